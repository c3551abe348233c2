import { Hono, type Context } from 'hono';
import { requestContext } from '../audit/audit';
import { acting, smallBodies } from '../accounts/http';
import { capOf } from '../tenancy/entitlements';
import { acceptInvitation, acceptUrl, createInvitation, listInvitations, previewInvitation, resendInvitation, revokeInvitation, type IssuedInvitation } from '../accounts/invitations';
import { startSession } from '../accounts/session-cookie';
import { acceptInvitationSchema, createInvitationSchema, listInvitationsQuery } from '../accounts/validation';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { signInTenantDb, asMember, MANAGER_ROLES } from '../http/tenant-context';
import { mailerFor } from '../mail';
import { tenantOnly } from '../tenancy/middleware';

/**
 * /api/invitations: owners and admins invite people by e-mail; the invitee accepts with the
 * token from the accept URL (no session needed). The accept URL is on the host the request
 * came in on, so it points at this workspace.
 */
export const invitationsRoutes = new Hono<AppEnv>();
invitationsRoutes.use(tenantOnly(), smallBodies());

/** The accept URL for the response, and the (not yet sent) mail. A mail failure is logged, not fatal. */
async function deliver(c: Context<AppEnv>, issued: IssuedInvitation): Promise<string> {
  const url = acceptUrl(new URL(c.req.url).origin, issued.token);
  const tenant = c.get('tenant');
  try {
    await mailerFor(c).send({
      kind: 'invitation',
      to: issued.invitation.email,
      workspace: { id: tenant.id, name: tenant.name, slug: tenant.slug },
      invitationId: issued.invitation.id,
      role: issued.invitation.role,
      expiresAt: issued.invitation.expiresAt,
      acceptUrl: url,
    });
  } catch (err) {
    c.get('log').warn('invitation_mail_failed', { invitationId: issued.invitation.id, error: err instanceof Error ? err.name : 'unknown' });
  }
  return url;
}

invitationsRoutes.post('/', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const input = await jsonBody(c, createInvitationSchema);
  const issued = await createInvitation(tdb, acting(c, user), input, capOf(c.get('tenant'), 'users'));
  return c.json({ invitation: issued.invitation, acceptUrl: await deliver(c, issued) }, 201);
});

invitationsRoutes.get('/', async (c) => {
  const { tdb } = asMember(c, MANAGER_ROLES);
  const q = queryParams(c, listInvitationsQuery);
  return c.json(await listInvitations(tdb, q));
});

invitationsRoutes.post('/:id/resend', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const issued = await resendInvitation(tdb, acting(c, user), c.req.param('id'), capOf(c.get('tenant'), 'users'));
  return c.json({ invitation: issued.invitation, acceptUrl: await deliver(c, issued) });
});

invitationsRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  return c.json({ invitation: await revokeInvitation(tdb, acting(c, user), c.req.param('id')) });
});

/** No session: what the invitee is about to accept, for the accept page. */
invitationsRoutes.get('/:token/preview', async (c) => {
  const invitation = await previewInvitation(signInTenantDb(c), c.req.param('token'));
  const { name, slug } = c.get('tenant');
  return c.json({ invitation, workspace: { name, slug } });
});

/** No session: the invitee has no account yet. Creates it, then signs it in. */
invitationsRoutes.post('/:token/accept', async (c) => {
  const input = await jsonBody(c, acceptInvitationSchema);
  const accepted = await acceptInvitation(signInTenantDb(c), c.req.param('token'), input, requestContext(c), capOf(c.get('tenant'), 'users'));
  const token = await startSession(c, accepted.session, accepted.sessionTimeoutMinutes);
  return c.json({ user: accepted.user, token }, 201);
});
