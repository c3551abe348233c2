import { sql as dsql } from 'drizzle-orm';
import type { Query } from '../db/client';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { accessFrom, channelAccessRead, channelNotFound, requireMember, requireNotArchived, visibleToUser, type ChannelAccess } from './access';
import { isUuid } from '../http/ids';
import { admitReaction } from './admission';
import { broadcast, type AfterCommit } from './after-commit';
import type { TenantSnapshot } from '../tenancy/snapshot';
import { releaseMessageStorageQuery } from '../attachments/cleanup';
import { MESSAGE_COLUMNS, mentionHandles, messageFromRow, type ChatMessage, type ReactionSummary } from './message-model';

/** Reading and changing stored messages (new messages go through the channel's ChatRoom). */

export interface MessagePage {
  messages: ChatMessage[];
  hasMore: boolean;
  order: 'newest_first' | 'oldest_first';
}

/**
 * Message queries as text, shared with bench/message-indexes.ts (which measures their plans on a
 * large tenant). Unqualified names: a TenantDb transaction's search_path is the tenant schema.
 */

/** A thread's replies after a cursor: $1 parent id, $2 after (id or null), $3 limit. */
export const THREAD_SQL = `SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.parent_id = $1 AND ($2::bigint IS NULL OR m.id > $2) ORDER BY m.id ASC LIMIT $3`;

/** Full-text search in the channels the reader can see: $1 query, $2 reader, $3 limit, $4 offset. */
export const SEARCH_SQL = `SELECT ${MESSAGE_COLUMNS}, c.name AS channel_name, ts_rank(m.search, query) AS rank,
       ts_headline('simple', m.text, query, 'MaxFragments=2, MaxWords=20, MinWords=5') AS highlight
  FROM nchat_messages m
  JOIN nchat_channels c ON c.id = m.channel_id
  LEFT JOIN nchat_channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2,
  websearch_to_tsquery('simple', $1) AS query
  WHERE m.search @@ query AND m.deleted_at IS NULL AND (c.kind = 'public' OR cm.user_id IS NOT NULL)
  ORDER BY rank DESC, m.id DESC
  LIMIT $3 OFFSET $4`;

/** Most messages a reconnecting socket is replayed (beyond that, `replay.truncated`: page through REST). */
export const REPLAY_LIMIT = 500;

/** What a reconnecting socket missed, in sequence order: $1 channel, $2 since, $3 up to; one more than the limit, to know there is more. */
export const REPLAY_SQL = `SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.channel_id = $1 AND m.seq > $2 AND m.seq <= $3 ORDER BY m.seq LIMIT ${REPLAY_LIMIT + 1}`;

/**
 * The channel timeline (top-level messages; replies live in threads) as `user` may see it, in
 * one round trip: the access read and the page in one transaction (with the session check).
 * A channel the caller may not see is not found (`accessFrom`), and the page statement itself
 * returns nothing for it (`visibleToUser`), so none of its messages leave the database.
 */
export async function listMessages(tdb: TenantDb, channelId: string, user: UserPrincipal, q: { before?: number; after?: number; limit: number }): Promise<MessagePage> {
  if (!isUuid(channelId)) throw channelNotFound();
  const ascending = q.after !== undefined;
  const [access, page] = await tdb.batch((db) => [
    channelAccessRead(db, channelId, user.userId),
    db.execute<Record<string, unknown>>(dsql`
      SELECT ${dsql.raw(MESSAGE_COLUMNS)} FROM nchat_messages m
      WHERE m.channel_id = ${channelId} AND m.parent_id IS NULL AND ${visibleToUser(channelId, user.userId)}
        AND (${q.before ?? null}::bigint IS NULL OR m.id < ${q.before ?? null}::bigint) AND (${q.after ?? null}::bigint IS NULL OR m.id > ${q.after ?? null}::bigint)
      ORDER BY m.id ${dsql.raw(ascending ? 'ASC' : 'DESC')} LIMIT ${q.limit + 1}`),
  ]);
  accessFrom(access);
  const rows = page.rows;
  return { messages: rows.slice(0, q.limit).map(messageFromRow), hasMore: rows.length > q.limit, order: ascending ? 'oldest_first' : 'newest_first' };
}

/** A message with its channel and the caller's membership; hidden if the caller may not see the channel. */
export async function messageForUser(tdb: TenantDb, messageId: string, user: UserPrincipal): Promise<{ message: ChatMessage; access: ChannelAccess }> {
  if (!/^\d{1,15}$/.test(messageId)) throw messageNotFound();
  const [rows] = await tdb.transaction([
    tdb.sql.query(
      `SELECT ${MESSAGE_COLUMNS}, row_to_json(c.*) AS channel, cm.role AS member_role, cm.last_read_seq
       FROM nchat_messages m JOIN nchat_channels c ON c.id = m.channel_id
       LEFT JOIN nchat_channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2
       WHERE m.id = $1`,
      [Number(messageId), user.userId],
    ) as Query,
  ]);
  const row = rows![0];
  if (!row) throw messageNotFound();
  const c = row.channel as Record<string, unknown>;
  const member = row.member_role ? { role: row.member_role as 'owner' | 'member', lastReadSeq: Number(row.last_read_seq) } : null;
  if (c.kind !== 'public' && !member) throw messageNotFound();
  const channel = {
    id: String(c.id),
    kind: c.kind,
    name: c.name,
    topic: c.topic,
    description: c.description,
    dmKey: c.dm_key,
    createdBy: c.created_by,
    lastSeq: Number(c.last_seq),
    lastMessageAt: c.last_message_at ? new Date(String(c.last_message_at)) : null,
    archivedAt: c.archived_at ? new Date(String(c.archived_at)) : null,
    createdAt: new Date(String(c.created_at)),
    updatedAt: new Date(String(c.updated_at)),
  } as ChannelAccess['channel'];
  return { message: messageFromRow(row), access: { channel, member } };
}

export function messageNotFound(): DomainError {
  return new DomainError('message_not_found', 'No such message.');
}

export interface MessageChange {
  message: ChatMessage;
  events: AfterCommit[];
}

/** The author edits the text (not in an archived channel); mentions are re-resolved. */
export async function editMessage(tdb: TenantDb, user: UserPrincipal, found: { message: ChatMessage; access: ChannelAccess }, text: string): Promise<MessageChange> {
  const { message, access } = found;
  if (message.userId !== user.userId) throw new DomainError('forbidden', 'Only the author can edit a message.');
  if (message.deleted) throw new DomainError('message_deleted', 'The message was deleted.');
  requireNotArchived(access);
  const handles = mentionHandles(text);
  const results = await tdb.transaction([
    tdb.sql.query(`UPDATE nchat_messages SET text = $2, edited_at = now() WHERE id = $1`, [message.id, text]) as Query,
    tdb.sql.query(`DELETE FROM nchat_mentions WHERE message_id = $1`, [message.id]) as Query,
    tdb.sql.query(
      `INSERT INTO nchat_mentions (message_id, user_id) SELECT $1, u.id FROM nchat_users u WHERE u.status = 'active'
         AND (lower(split_part(u.email, '@', 1)) = ANY($2::text[]) OR lower(replace(u.display_name, ' ', '')) = ANY($2::text[]))`,
      [message.id, handles],
    ) as Query,
    tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1`, [message.id]) as Query,
  ]);
  const updated = messageFromRow(results[3]![0]!);
  return { message: updated, events: [broadcast(access.channel.id, { type: 'message.updated', message: updated })] };
}

/** Soft delete: the row stays as a tombstone (its place and sequence), its words do not. Deleting twice changes nothing. */
export async function deleteMessage(tdb: TenantDb, user: UserPrincipal, found: { message: ChatMessage; access: ChannelAccess }): Promise<MessageChange> {
  const { message, access } = found;
  const isAdmin = user.role === 'owner' || user.role === 'admin';
  if (message.userId !== user.userId && !isAdmin) throw new DomainError('forbidden', 'Only the author or a workspace admin can delete a message.');
  if (message.deleted) return { message, events: [] };
  const results = await tdb.transaction([
    tdb.sql.query(`UPDATE nchat_messages SET text = '', deleted_at = now(), deleted_by = $2 WHERE id = $1`, [message.id, user.userId]) as Query,
    tdb.sql.query(`DELETE FROM nchat_mentions WHERE message_id = $1`, [message.id]) as Query,
    tdb.sql.query(`DELETE FROM nchat_reactions WHERE message_id = $1`, [message.id]) as Query,
    // Its files go with it: their storage is given back now, the objects after the commit.
    releaseMessageStorageQuery(tdb, message.id),
    tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1`, [message.id]) as Query,
  ]);
  const deleted = messageFromRow(results[4]![0]!);
  const keys = (results[3]![0]?.keys as string[] | undefined) ?? [];
  return {
    message: deleted,
    events: [
      broadcast(access.channel.id, { type: 'message.deleted', messageId: deleted.id, seq: deleted.seq, deletedAt: deleted.deletedAt! }),
      ...(keys.length ? [{ kind: 'delete_files', keys } as const] : []),
    ],
  };
}

export async function listThread(tdb: TenantDb, parent: ChatMessage, q: { after?: number; limit: number }): Promise<{ parent: ChatMessage; replies: ChatMessage[]; hasMore: boolean }> {
  if (parent.parentId !== null) throw new DomainError('bad_request', 'That message is a reply; open its parent thread.');
  const [rows] = await tdb.transaction([
    tdb.sql.query(
      THREAD_SQL,
      [parent.id, q.after ?? null, q.limit + 1],
    ) as Query,
  ]);
  return { parent, replies: rows!.slice(0, q.limit).map(messageFromRow), hasMore: rows!.length > q.limit };
}

/**
 * Adds or removes the caller's reaction, members only. Adding is new content: it follows the
 * admission rules (status, the reactions feature) and not in archived channels; taking one's
 * own reaction back stays possible. Not on deleted messages. Says whether anything changed;
 * the room hears of it when it did.
 */
export async function react(
  tdb: TenantDb,
  user: UserPrincipal,
  tenant: TenantSnapshot,
  found: { message: ChatMessage; access: ChannelAccess },
  emoji: string,
  add: boolean,
): Promise<{ changed: boolean; reactions: ReactionSummary[]; events: AfterCommit[] }> {
  const { message, access } = found;
  requireMember(access);
  if (add) {
    const refusal = admitReaction(tenant, access.channel);
    if (refusal) throw refusal;
    requireNotArchived(access);
  }
  if (message.deleted) throw new DomainError('message_deleted', 'The message was deleted.');
  const change = add
    ? tdb.sql.query(`INSERT INTO nchat_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING emoji`, [message.id, user.userId, emoji])
    : tdb.sql.query(`DELETE FROM nchat_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3 RETURNING emoji`, [message.id, user.userId, emoji]);
  const [changed, rows] = await tdb.transaction([change as Query, tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1`, [message.id]) as Query]);
  const didChange = changed!.length > 0;
  const event = { type: add ? 'reaction.added' : 'reaction.removed', messageId: message.id, emoji, userId: user.userId } as const;
  return { changed: didChange, reactions: messageFromRow(rows![0]!).reactions, events: didChange ? [broadcast(access.channel.id, event)] : [] };
}

/**
 * Full-text search over messages in channels the user can see (public ones and their own),
 * ranked by ts_rank, newest first among equals. `cursor` is the offset of the next page.
 */
export async function searchMessages(tdb: TenantDb, user: UserPrincipal, q: { q: string; limit: number; cursor?: number }) {
  const offset = q.cursor ?? 0;
  const [rows] = await tdb.transaction([
    tdb.sql.query(
      SEARCH_SQL,
      [q.q, user.userId, q.limit + 1, offset],
    ) as Query,
  ]);
  const page = rows!.slice(0, q.limit);
  return {
    results: page.map((r) => ({ message: messageFromRow(r), channelName: (r.channel_name as string | null) ?? null, rank: Number(r.rank), highlight: String(r.highlight ?? '') })),
    nextCursor: rows!.length > q.limit ? String(offset + q.limit) : null,
  };
}

export { channelNotFound };
