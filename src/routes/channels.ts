import { Hono, type Context } from 'hono';
import { channelForUser, requireMember } from '../chat/access';
import * as channels from '../chat/channels';
import { roomStub } from '../chat/rooms';
import { ROOM_CONTEXT_HEADER, ROOM_USER_HEADER, type RoomContext, type RoomUser } from '../chat/room-protocol';
import { addMemberSchema, createChannelSchema, dmSchema, readSchema, updateChannelSchema } from '../chat/validation';
import type { AppEnv } from '../env';
import { jsonBody } from '../http/body';
import { DomainError } from '../domain/errors';
import { afterCommit, asMember, type UserPrincipal } from '../http/tenant-context';
import { isUuid } from '../http/ids';
import { tenantOnly } from '../tenancy/middleware';
import { capOf, requireFeature } from '../tenancy/entitlements';

/**
 * /api/channels: public and private channels on a workspace host, their members, read
 * positions and realtime connections. Everything runs as the signed-in user through TenantDb.
 */
export const channelsRoutes = new Hono<AppEnv>();
channelsRoutes.use(tenantOnly());

export function roomContext(c: Context<AppEnv>, channelId: string): RoomContext {
  return { tenant: c.get('tenant'), channelId };
}

export function room(c: Context<AppEnv>, channelId: string) {
  return roomStub(c.env, c.get('tenant').id, channelId);
}

channelsRoutes.post('/', async (c) => {
  const { user, tdb } = asMember(c);
  const input = await jsonBody(c, createChannelSchema);
  const tenant = c.get('tenant');
  requireFeature(tenant, input.kind === 'private' ? 'privateChannels' : 'publicChannels');
  const { channel, events } = await channels.createChannel(tdb, user, input, capOf(tenant, 'channels'));
  await afterCommit(c, events);
  return c.json({ channel }, 201);
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
  const { channel, events } = await channels.updateChannel(tdb, user, access, patch);
  await afterCommit(c, events);
  return c.json({ channel });
});

channelsRoutes.post('/:id/archive', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  const { channel, events } = await channels.archiveChannel(tdb, user, access);
  await afterCommit(c, events);
  return c.json({ channel });
});

channelsRoutes.post('/:id/unarchive', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  const { channel, events } = await channels.unarchiveChannel(tdb, user, access, capOf(c.get('tenant'), 'channels'));
  await afterCommit(c, events);
  return c.json({ channel });
});

channelsRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await afterCommit(c, await channels.deleteChannel(tdb, user, access));
  return c.json({ deleted: true, id: access.channel.id });
});

/** Two round trips: the access read, then the join with the channel as the caller now sees it. */
channelsRoutes.post('/:id/join', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  const { channel, events } = await channels.joinChannel(tdb, user, access);
  await afterCommit(c, events);
  return c.json({ channel });
});

channelsRoutes.post('/:id/leave', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await afterCommit(c, await channels.leaveChannel(tdb, user, access));
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
  // Two round trips: the access read, then the insert with the members as they now are.
  const { members, events } = await channels.addMember(tdb, user, access, userId);
  await afterCommit(c, events);
  return c.json({ members }, 201);
});

channelsRoutes.delete('/:id/members/:userId', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  await afterCommit(c, await channels.removeMember(tdb, user, access, c.req.param('userId')));
  return c.json({ removed: true });
});

channelsRoutes.post('/:id/read', async (c) => {
  const { user, tdb } = asMember(c);
  const { seq } = await jsonBody(c, readSchema);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  const { lastReadSeq, unreadCount, events } = await channels.markRead(tdb, user, access, seq);
  await afterCommit(c, events);
  return c.json({ lastReadSeq, unreadCount });
});

// ---- realtime ----

channelsRoutes.post('/:id/ws-ticket', async (c) => {
  const { user, tdb } = asMember(c);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  const ticket = await room(c, access.channel.id).issueTicket(roomContext(c, access.channel.id), roomUser(user));
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
    headers.set(ROOM_USER_HEADER, JSON.stringify(roomUser(user)));
  } else if (!url.searchParams.get('ticket')) {
    throw new DomainError('unauthorized', 'Sign in, or pass a ticket from POST /api/channels/:id/ws-ticket.');
  } else if (!isUuid(channelId)) {
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

/** Who the room sees: the user, and the session every message they send is checked against. */
function roomUser(user: UserPrincipal): RoomUser {
  return { userId: user.userId, role: user.role, sessionVersion: user.sessionVersion };
}

/** /api/dms: direct-message channels between two users. */
export const dmRoutes = new Hono<AppEnv>();
dmRoutes.use(tenantOnly());

dmRoutes.post('/', async (c) => {
  const { user, tdb } = asMember(c);
  requireFeature(c.get('tenant'), 'directMessages');
  const { userId } = await jsonBody(c, dmSchema);
  const { channel, created, events } = await channels.openDirectChannel(tdb, user, userId);
  await afterCommit(c, events);
  return c.json({ channel }, created ? 201 : 200);
});
