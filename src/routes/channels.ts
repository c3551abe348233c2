import { Hono, type Context } from 'hono';
import { deleteChannelFiles } from '../attachments/cleanup';
import { channelForUser, requireMember } from '../chat/access';
import * as channels from '../chat/channels';
import { closeUserSockets, roomStub } from '../chat/rooms';
import { ROOM_CONTEXT_HEADER, ROOM_USER_HEADER, type RoomContext } from '../chat/room-protocol';
import { addMemberSchema, createChannelSchema, dmSchema, readSchema, updateChannelSchema } from '../chat/validation';
import type { AppEnv } from '../env';
import { jsonBody } from '../http/body';
import { DomainError } from '../domain/errors';
import { asMember } from '../http/tenant-context';
import { tenantOnly } from '../tenancy/middleware';
import { capOf, requireFeature } from '../tenancy/entitlements';

/**
 * /api/channels: public and private channels on a workspace host, their members, read
 * positions and realtime connections. Everything runs as the signed-in user through TenantDb.
 */
export const channelsRoutes = new Hono<AppEnv>();
channelsRoutes.use(tenantOnly());

export function roomContext(c: Context<AppEnv>, channelId: string): RoomContext {
  const t = c.get('tenant');
  return { tenant: { id: t.id, schemaName: t.schemaName, roleName: t.roleName }, channelId };
}

export function room(c: Context<AppEnv>, channelId: string) {
  return roomStub(c.env, c.get('tenant').id, channelId);
}

/**
 * After a commit, tells the channel's room (broadcast, close sockets). The change is stored
 * whatever happens here: a room that cannot be reached is logged, and the request still
 * succeeds — a retried write would not be safe, and clients catch up with `?since=`.
 */
export async function toRoom(c: Context<AppEnv>, channelId: string, notify: (r: ReturnType<typeof room>) => Promise<unknown>): Promise<void> {
  try {
    await notify(room(c, channelId));
  } catch (err) {
    c.get('log').warn('room_notify_failed', { channelId, error: err instanceof Error ? err.message : String(err) });
  }
}

channelsRoutes.post('/', async (c) => {
  const { user, tdb } = asMember(c);
  const input = await jsonBody(c, createChannelSchema);
  const tenant = c.get('tenant');
  requireFeature(tenant, input.kind === 'private' ? 'privateChannels' : 'publicChannels');
  return c.json({ channel: await channels.createChannel(tdb, user, input, capOf(tenant, 'channels')) }, 201);
});

channelsRoutes.get('/', async (c) => {
  const { user, tdb } = asMember(c);
  return c.json({ channels: await channels.listChannels(tdb, user, { includeArchived: c.req.query('archived') === 'true' }) });
});

channelsRoutes.get('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json({ channel: await channels.getChannel(tdb, user, access.channel.id) });
});

channelsRoutes.patch('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const patch = await jsonBody(c, updateChannelSchema);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json({ channel: await channels.updateChannel(tdb, user, access, patch) });
});

channelsRoutes.post('/:id/archive', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json({ channel: await channels.archiveChannel(tdb, user, access) });
});

channelsRoutes.post('/:id/unarchive', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json({ channel: await channels.unarchiveChannel(tdb, user, access, capOf(c.get('tenant'), 'channels')) });
});

channelsRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await channels.deleteChannel(tdb, user, access);
  // After the commit: the files go, and anyone still connected is told the room is gone.
  await deleteChannelFiles(c.env.FILES, c.get('tenant').id, access.channel.id);
  await toRoom(c, access.channel.id, (r) => r.closeAll('channel deleted'));
  return c.json({ deleted: true, id: access.channel.id });
});

channelsRoutes.post('/:id/join', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await channels.joinChannel(tdb, user, access);
  return c.json({ channel: await channels.getChannel(tdb, user, access.channel.id) });
});

channelsRoutes.post('/:id/leave', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  if (access.channel.kind === 'direct') throw new DomainError('bad_request', 'You cannot leave a direct message.');
  requireMember(access);
  await channels.removeMember(tdb, access.channel.id, user.userId);
  await closeUserSockets(c.env, c.get('tenant').id, user.userId, [access.channel.id], 'left the channel');
  return c.json({ left: true });
});

channelsRoutes.get('/:id/members', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json({ members: await channels.listMembers(tdb, access.channel.id) });
});

channelsRoutes.post('/:id/members', async (c) => {
  const { user, tdb } = asMember(c);
  const { userId } = await jsonBody(c, addMemberSchema);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await channels.addMember(tdb, user, access, userId);
  return c.json({ members: await channels.listMembers(tdb, access.channel.id) }, 201);
});

channelsRoutes.delete('/:id/members/:userId', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  const target = c.req.param('userId');
  if (access.channel.kind === 'direct') throw new DomainError('bad_request', 'Direct messages are between two people.');
  if (target !== user.userId) channels.requireManager(access, user);
  const removed = await channels.removeMember(tdb, access.channel.id, target);
  if (!removed) throw new DomainError('not_found', 'That user is not a member of this channel.');
  // Removed means removed now: their open sockets in this room are closed.
  await closeUserSockets(c.env, c.get('tenant').id, target, [access.channel.id], 'removed from the channel');
  return c.json({ removed: true });
});

channelsRoutes.post('/:id/read', async (c) => {
  const { user, tdb } = asMember(c);
  const { seq } = await jsonBody(c, readSchema);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  const lastReadSeq = await channels.markRead(tdb, user, access.channel.id, seq);
  await toRoom(c, access.channel.id, (r) => r.publish(roomContext(c, access.channel.id), { type: 'read', userId: user.userId, seq: lastReadSeq }));
  return c.json({ lastReadSeq, unreadCount: Math.max(0, access.channel.lastSeq - lastReadSeq) });
});

// ---- realtime ----

channelsRoutes.post('/:id/ws-ticket', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  const ticket = await room(c, access.channel.id).issueTicket(roomContext(c, access.channel.id), { userId: user.userId, role: user.role, sessionVersion: user.sessionVersion });
  return c.json(ticket, 201);
});

/**
 * GET /api/channels/:id/ws — the channel's realtime connection. Authenticated by the session
 * (cookie or bearer: membership and session are checked here), or by `?ticket=` from
 * ws-ticket (checked and consumed by the room). `?since=<seq>` replays what was missed.
 */
channelsRoutes.get('/:id/ws', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new DomainError('upgrade_required', 'This endpoint speaks WebSocket.');
  const channelId = c.req.param('id');
  const url = new URL(c.req.url);
  const headers = new Headers({ upgrade: 'websocket' });
  const principal = c.get('principal');
  let targetId = channelId;
  if (principal.kind === 'user') {
    const { user, tdb } = asMember(c);
    const access = await channelForUser(tdb, channelId, user);
    requireMember(access);
    targetId = access.channel.id;
    headers.set(ROOM_USER_HEADER, JSON.stringify({ userId: user.userId, role: user.role }));
  } else if (!url.searchParams.get('ticket')) {
    throw new DomainError('unauthorized', 'Sign in, or pass a ticket from POST /api/channels/:id/ws-ticket.');
  } else if (!/^[0-9a-f-]{36}$/i.test(channelId)) {
    throw new DomainError('channel_not_found', 'No such channel, or you are not a member of it.');
  }
  headers.set(ROOM_CONTEXT_HEADER, JSON.stringify(roomContext(c, targetId)));
  // A fresh request: only our headers reach the room, whatever the client sent.
  const forward = new URL(`https://room.internal/ws`);
  for (const key of ['ticket', 'since']) {
    const v = url.searchParams.get(key);
    if (v !== null) forward.searchParams.set(key, v);
  }
  return room(c, targetId).fetch(new Request(forward, { headers }));
});

/** /api/dms: direct-message channels between two users. */
export const dmRoutes = new Hono<AppEnv>();
dmRoutes.use(tenantOnly());

dmRoutes.post('/', async (c) => {
  const { user, tdb } = asMember(c);
  requireFeature(c.get('tenant'), 'directMessages');
  const { userId } = await jsonBody(c, dmSchema);
  const { channel, created } = await channels.openDirectChannel(tdb, user, userId);
  return c.json({ channel }, created ? 201 : 200);
});
