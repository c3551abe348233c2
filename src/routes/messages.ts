import { Hono, type Context } from 'hono';
import { channelForUser, requireMember, requireNotArchived } from '../chat/access';
import { mentionHandles } from '../chat/message-model';
import * as messages from '../chat/messages';
import { ROOM_ERROR_PREFIX } from '../chat/room-protocol';
import { editMessageSchema, listMessagesQuery, postMessageSchema, reactionSchema, searchQuery } from '../chat/validation';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { DomainError } from '../domain/errors';
import { asMember } from '../http/tenant-context';
import { requireFeature } from '../tenancy/entitlements';
import { tenantOnly } from '../tenancy/middleware';
import { room, roomContext, toRoom } from './channels';
import { z } from 'zod';

/** Messages of a channel: /api/channels/:id/messages (mounted with the channel routes). */
export const channelMessagesRoutes = new Hono<AppEnv>();
channelMessagesRoutes.use(tenantOnly());


channelMessagesRoutes.post('/:id/messages', async (c) => {
  const { user, tdb } = asMember(c);
  const input = await jsonBody(c, postMessageSchema);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  requireNotArchived(access);
  const parentId = input.parentId ?? null;
  if (parentId !== null) {
    requireFeature(c.get('tenant'), 'threads');
    const parent = await messages.messageForUser(tdb, String(parentId), user).catch(() => null);
    if (!parent || parent.message.channelId !== access.channel.id || parent.message.parentId !== null || parent.message.deleted) {
      throw new DomainError('invalid_parent', 'Replies go to a message of this channel that is not itself a reply.');
    }
  }
  // The channel's room stores it (group commit, sequence number) and broadcasts it once committed.
  const message = await room(c, access.channel.id)
    .post(roomContext(c, access.channel.id), {
      userId: user.userId,
      text: input.text,
      parentId,
      clientId: input.clientId ?? null,
      mentions: mentionHandles(input.text),
    })
    .catch((err: unknown) => {
      // Archived between our check and the room's commit.
      if (err instanceof Error && err.message.startsWith(`${ROOM_ERROR_PREFIX}channel_archived`)) throw new DomainError('channel_archived', 'The channel is archived.');
      throw err;
    });
  return c.json({ message }, 201);
});

channelMessagesRoutes.get('/:id/messages', async (c) => {
  const { user, tdb } = asMember(c);
  const q = queryParams(c, listMessagesQuery);
  const access = await channelForUser(tdb, c.req.param('id'), user);
  return c.json(await messages.listMessages(tdb, access.channel.id, q));
});

/** /api/messages/:id — one message: edit, delete, thread, reactions. */
export const messagesRoutes = new Hono<AppEnv>();
messagesRoutes.use(tenantOnly());

messagesRoutes.get('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const { message } = await messages.messageForUser(tdb, c.req.param('id'), user);
  return c.json({ message });
});

messagesRoutes.patch('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const { text } = await jsonBody(c, editMessageSchema);
  const { message, access } = await messages.messageForUser(tdb, c.req.param('id'), user);
  requireNotArchived(access);
  const updated = await messages.editMessage(tdb, user, message, text);
  await toRoom(c, access.channel.id, (r) => r.publish(roomContext(c, access.channel.id), { type: 'message.updated', message: updated }));
  return c.json({ message: updated });
});

messagesRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const { message, access } = await messages.messageForUser(tdb, c.req.param('id'), user);
  const deleted = await messages.deleteMessage(tdb, user, message);
  if (!message.deleted) {
    await toRoom(c, access.channel.id, (r) => r.publish(roomContext(c, access.channel.id), { type: 'message.deleted', messageId: deleted.id, seq: deleted.seq, deletedAt: deleted.deletedAt! }));
  }
  return c.json({ message: deleted });
});

const threadQuery = z.object({
  after: z.string().regex(/^\d{1,15}$/, 'must be a message id').transform(Number).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

messagesRoutes.get('/:id/thread', async (c) => {
  const { user, tdb } = asMember(c);
  const q = queryParams(c, threadQuery);
  const { message } = await messages.messageForUser(tdb, c.req.param('id'), user);
  return c.json(await messages.listThread(tdb, message, q));
});

messagesRoutes.post('/:id/reactions', async (c) => {
  const { user, tdb } = asMember(c);
  requireFeature(c.get('tenant'), 'reactions');
  const { emoji } = await jsonBody(c, reactionSchema);
  const { message, access } = await messages.messageForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  const result = await messages.react(tdb, user, message, emoji, true);
  if (result.changed) await toRoom(c, access.channel.id, (r) => r.publish(roomContext(c, access.channel.id), { type: 'reaction.added', messageId: message.id, emoji, userId: user.userId }));
  return c.json({ reactions: result.reactions }, result.changed ? 201 : 200);
});

messagesRoutes.delete('/:id/reactions/:emoji', async (c) => {
  const { user, tdb } = asMember(c);
  // Hono has already decoded the path parameter.
  const emoji = reactionSchema.parse({ emoji: c.req.param('emoji') }).emoji;
  const { message, access } = await messages.messageForUser(tdb, c.req.param('id'), user);
  requireMember(access);
  const result = await messages.react(tdb, user, message, emoji, false);
  if (!result.changed) throw new DomainError('not_found', 'You had not reacted with that emoji.');
  await toRoom(c, access.channel.id, (r) => r.publish(roomContext(c, access.channel.id), { type: 'reaction.removed', messageId: message.id, emoji, userId: user.userId }));
  return c.json({ reactions: result.reactions });
});

/** /api/search: full-text search over the messages the user can see. */
export const searchRoutes = new Hono<AppEnv>();
searchRoutes.use(tenantOnly());

searchRoutes.get('/', async (c) => {
  const { user, tdb } = asMember(c);
  requireFeature(c.get('tenant'), 'search');
  const q = queryParams(c, searchQuery);
  return c.json(await messages.searchMessages(tdb, user, q));
});
