import { Hono } from 'hono';
import { requestContext } from '../audit/audit';
import { loginThrottle, passwordCheckThrottle } from '../accounts/attempt-throttle';
import { smallBodies } from '../accounts/http';
import { clearSessionCookie, startSession } from '../accounts/session-cookie';
import { changePassword, continueSession, getOwnAccount, signIn, signOut, updateProfile } from '../accounts/sessions';
import { DomainError } from '../domain/errors';
import { gateStub } from '../tenancy/gate';
import { handoffSchema, loginSchema, passwordChangeSchema, profileSchema } from '../accounts/validation';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { z } from 'zod';
import { memberChannelIds } from '../chat/channels';
import { personStreamStub } from '../chat/rooms';
import { STREAM_CONTEXT_HEADER, type StreamContext } from '../chat/stream-protocol';
import { afterCommit, handedOffTenantDb, signInTenantDb, asMember } from '../http/tenant-context';
import { tenantOnly } from '../tenancy/middleware';

/**
 * /api/auth: signing in and out of the current workspace. Sessions are signed tokens, returned
 * in the body (for `Authorization: Bearer`) and set as the HttpOnly session cookie.
 */
export const authRoutes = new Hono<AppEnv>();
authRoutes.use(tenantOnly(), smallBodies());

authRoutes.post('/login', async (c) => {
  const input = await jsonBody(c, loginSchema);
  const tenant = c.get('tenant');
  const signedIn = await signIn(signInTenantDb(c), loginThrottle(c.env, tenant.id, input.email), input);
  const token = await startSession(c, signedIn.session, signedIn.sessionTimeoutMinutes);
  return c.json({ user: signedIn.user, token });
});

/**
 * POST /api/auth/handoff {code}: the single-use code sign-up put in the new workspace's URL
 * (its fragment: never sent to a server or a log) becomes this host's session cookie.
 */
authRoutes.post('/handoff', async (c) => {
  const { code } = await jsonBody(c, handoffSchema);
  const handed = await gateStub(c.env, c.get('tenant').id).redeemHandoff(code);
  if (!handed) throw new DomainError('invalid_handoff', 'This sign-in link has expired or was already used. Sign in with your e-mail address and password.');
  const signedIn = await continueSession(handedOffTenantDb(c, { userId: handed.userId, sessionVersion: handed.sessionVersion }), handed.userId);
  const token = await startSession(c, signedIn.session, signedIn.sessionTimeoutMinutes);
  return c.json({ user: signedIn.user, token });
});

/** Ends every session of the caller (all devices) and their sockets, and clears this browser's cookie. */
authRoutes.post('/logout', async (c) => {
  const { user, tdb } = asMember(c);
  await afterCommit(c, await signOut(tdb, user));
  clearSessionCookie(c);
  return c.body(null, 204);
});

/** /api/me: the signed-in user's own account. */
export const meRoutes = new Hono<AppEnv>();
meRoutes.use(tenantOnly(), smallBodies());

meRoutes.get('/', async (c) => {
  const { user, tdb } = asMember(c);
  const me = await getOwnAccount(tdb, user);
  const { id, slug, name } = c.get('tenant');
  return c.json({ user: me, tenant: { id, slug, name } });
});

meRoutes.patch('/', async (c) => {
  const { user, tdb } = asMember(c);
  const patch = await jsonBody(c, profileSchema);
  return c.json({ user: await updateProfile(tdb, user, patch) });
});

/**
 * GET /api/me/stream — the person's event stream (WebSocket): unread activity, new DMs and
 * mentions across their channels, channels added or removed, reads on other devices
 * (src/chat/stream-protocol.ts). The session (cookie or bearer) is checked here with the
 * channels it is in; `?since=<seq>` resumes.
 */
meRoutes.get('/stream', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new DomainError('upgrade_required', 'This endpoint speaks WebSocket.');
  const { user, tdb } = asMember(c);
  const { since } = queryParams(c, z.object({ since: z.string().regex(/^\d{1,15}$/, 'must be a sequence number').optional() }));
  const channelIds = await memberChannelIds(tdb, user.userId);
  const { id, schemaName, roleName } = c.get('tenant');
  const context: StreamContext = { tenant: { id, schemaName, roleName }, userId: user.userId, sessionVersion: user.sessionVersion, channelIds };
  // A fresh request: only our header reaches the object, whatever the client sent.
  const forward = new URL('https://stream.internal/');
  if (since !== undefined) forward.searchParams.set('since', since);
  return personStreamStub(c.env, id, user.userId).fetch(new Request(forward, { headers: { upgrade: 'websocket', [STREAM_CONTEXT_HEADER]: JSON.stringify(context) } }));
});

/** Ends every session (including this one, and their sockets) and returns a fresh token for the caller. */
meRoutes.put('/password', async (c) => {
  const { user, tdb } = asMember(c);
  const input = await jsonBody(c, passwordChangeSchema);
  const tenant = c.get('tenant');
  const changed = await changePassword(tdb, passwordCheckThrottle(c.env, tenant.id, user.userId), user, input, { tenantId: tenant.id, context: requestContext(c) });
  await afterCommit(c, changed.events);
  const token = await startSession(c, changed.session, changed.sessionTimeoutMinutes);
  return c.json({ user: changed.user, token });
});
