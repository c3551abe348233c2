import { Hono } from 'hono';
import { channelNotFound } from '../chat/access';
import { isUuid } from '../http/ids';
import { mentionHandles } from '../chat/message-model';
import * as messages from '../chat/messages';
import { editMessageSchema, listMessagesQuery, postMessageSchema, reactionSchema, searchQuery } from '../chat/validation';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { DomainError, type ErrorInfo } from '../domain/errors';
import { afterCommit, asMember } from '../http/tenant-context';
import { requireFeature } from '../tenancy/entitlements';
import { tenantOnly } from '../tenancy/middleware';
import { room, roomContext } from './channels';
import { z } from 'zod';

/** Messages of a channel: /api/channels/:id/messages (mounted with the channel routes). */
export const channelMessagesRoutes = new Hono<AppEnv>();
channelMessagesRoutes.use(tenantOnly());


/**
 * A new message: the channel's room decides everything (it exists, the author's session and
 * membership, admission: src/chat/admission.ts), stores it in Postgres (sequence number, group
 * commit) and broadcasts it. The route reads nothing itself: one database round trip in all.
 */
channelMessagesRoutes.post('/:id/messages', async (c) => {
  const { user } = asMember(c);
  const input = await jsonBody(c, postMessageSchema);
  const channelId = c.req.param('id');
  if (!isUuid(channelId)) throw channelNotFound();
  const result = await room(c, channelId).post(roomContext(c, channelId), {
    userId: user.userId,
    sessionVersion: user.sessionVersion,
    text: input.text,
    parentId: input.parentId ?? null,
    clientId: input.clientId ?? null,
    mentions: mentionHandles(input.text),
    attachmentIds: input.attachmentIds,
  });
  // The RPC stub's types widen the literal `ok` and make `details` unknown: narrow by hand.
  if ('error' in result) throw DomainError.from(result.error as ErrorInfo);
  return c.json({ message: result.message }, 201);
});

/** A page of the channel's timeline: the access check and the page are one round trip (404 if the caller may not see it). */
channelMessagesRoutes.get('/:id/messages', async (c) => {
  const { user, tdb } = asMember(c);
  const q = queryParams(c, listMessagesQuery);
  return c.json(await messages.listMessages(tdb, c.req.param('id'), user, q));
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
  const found = await messages.messageForUser(tdb, c.req.param('id'), user);
  const { message, events } = await messages.editMessage(tdb, user, found, text);
  await afterCommit(c, events);
  return c.json({ message });
});

messagesRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const found = await messages.messageForUser(tdb, c.req.param('id'), user);
  const { message, events } = await messages.deleteMessage(tdb, user, found);
  await afterCommit(c, events);
  return c.json({ message });
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
  const { emoji } = await jsonBody(c, reactionSchema);
  const found = await messages.messageForUser(tdb, c.req.param('id'), user);
  const result = await messages.react(tdb, user, c.get('tenant'), found, emoji, true);
  await afterCommit(c, result.events);
  return c.json({ reactions: result.reactions }, result.changed ? 201 : 200);
});

messagesRoutes.delete('/:id/reactions/:emoji', async (c) => {
  const { user, tdb } = asMember(c);
  // Hono has already decoded the path parameter.
  const emoji = reactionSchema.parse({ emoji: c.req.param('emoji') }).emoji;
  const found = await messages.messageForUser(tdb, c.req.param('id'), user);
  const result = await messages.react(tdb, user, c.get('tenant'), found, emoji, false);
  if (!result.changed) throw new DomainError('not_found', 'You had not reacted with that emoji.');
  await afterCommit(c, result.events);
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
