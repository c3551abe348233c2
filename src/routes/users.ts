import { Hono } from 'hono';
import { acting, smallBodies } from '../accounts/http';
import { changeUserRole, deactivateUser, getUser, listUsers, reactivateUser } from '../accounts/user-admin';
import { listUsersQuery, roleSchema } from '../accounts/validation';
import { closeUserSockets } from '../chat/rooms';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { asMember, MANAGER_ROLES } from '../http/tenant-context';
import { tenantOnly } from '../tenancy/middleware';

/** /api/users: the workspace's people. Everyone signed in may look; owners and admins manage. */
export const usersRoutes = new Hono<AppEnv>();
usersRoutes.use(tenantOnly(), smallBodies());

usersRoutes.get('/', async (c) => {
  const { user, tdb } = asMember(c);
  const q = queryParams(c, listUsersQuery);
  return c.json(await listUsers(tdb, user, q));
});

usersRoutes.get('/:id', async (c) => {
  const { tdb } = asMember(c);
  return c.json({ user: await getUser(tdb, c.req.param('id')) });
});

usersRoutes.put('/:id/role', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const { role } = await jsonBody(c, roleSchema);
  return c.json({ user: await changeUserRole(tdb, acting(c, user), c.req.param('id'), role) });
});

usersRoutes.post('/:id/deactivate', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const result = await deactivateUser(tdb, acting(c, user), c.req.param('id'));
  // After the commit: the sessions are already dead (the version was bumped), this also drops
  // the sockets they opened. A room that cannot be reached does not undo the deactivation.
  if (result.channelIds.length) {
    try {
      await closeUserSockets(c.env, c.get('tenant').id, result.user.id, result.channelIds, 'account deactivated');
    } catch (err) {
      c.get('log').warn('close_sockets_failed', { userId: result.user.id, error: String(err) });
    }
  }
  return c.json({ user: result.user });
});

usersRoutes.post('/:id/reactivate', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  return c.json({ user: await reactivateUser(tdb, acting(c, user), c.req.param('id')) });
});
