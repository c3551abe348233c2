import { Hono } from 'hono';
import { acting, smallBodies } from '../accounts/http';
import { capOf } from '../tenancy/entitlements';
import { changeUserRole, deactivateUser, getUser, listUsers, reactivateUser } from '../accounts/user-admin';
import { listUsersQuery, roleSchema } from '../accounts/validation';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { afterCommit, asMember, MANAGER_ROLES } from '../http/tenant-context';
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
  const changed = await changeUserRole(tdb, acting(c, user), c.req.param('id'), role);
  await afterCommit(c, changed.events);
  return c.json({ user: changed.user });
});

usersRoutes.post('/:id/deactivate', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const changed = await deactivateUser(tdb, acting(c, user), c.req.param('id'));
  await afterCommit(c, changed.events);
  return c.json({ user: changed.user });
});

usersRoutes.post('/:id/reactivate', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  return c.json({ user: await reactivateUser(tdb, acting(c, user), c.req.param('id'), capOf(c.get('tenant'), 'users')) });
});
