import type { Query } from '../db/client';
import type { TenantDb } from '../tenancy/tenant-db';
import type { ChatMessage } from './message-model';

/** What a writer asks the room to store. */
export interface NewMessage {
  userId: string;
  /** The session the author sent it with: the storing statement checks it is still theirs. */
  sessionVersion: number;
  text: string;
  parentId: number | null;
  clientId: string | null;
  mentions: string[];
  /** Files the author uploaded to this channel for it (linked in the same statement). */
  attachmentIds: string[];
}

/**
 * The statement that stores one message with sequence number `seq`, if nchat_admit_message lets
 * it (the author's session, membership, the reply's parent, the attachments; it raises
 * otherwise): the row, its attached files, its mentions
 * (handles resolved to active users by e-mail local part or display name without spaces) and,
 * for a thread reply, the parent's reply count and last reply time. Returns the message in
 * MESSAGE_COLUMNS shape (without reactions, which a new message cannot have yet).
 */
/**
 * Whether a message needs facts only Postgres holds before it may be heard of: a reply (its
 * parent), files (the uploads), mentions (the directory resolves handles to people). Those are
 * written through (stored in Postgres, then broadcast); the others are durable in the room's log
 * first and written behind.
 */
export function needsDatabase(m: Pick<NewMessage, 'parentId' | 'attachmentIds' | 'mentions'>): boolean {
  return m.parentId !== null || m.attachmentIds.length > 0 || m.mentions.length > 0;
}

export function insertMessageStatement(tdb: TenantDb, channelId: string, id: number | null, seq: number, m: NewMessage): Query {
  return tdb.sql.query(
    `WITH m AS (
       INSERT INTO nchat_messages (id, channel_id, seq, user_id, parent_id, text, client_id) OVERRIDING SYSTEM VALUE
       SELECT coalesce($10::bigint, nextval(pg_get_serial_sequence('nchat_messages', 'id'))), $1::uuid, $2::bigint, $3::uuid, $4::bigint, $5::text, $6::text WHERE nchat_admit_message($1::uuid, $3::uuid, $8::int, $4::bigint, $9::uuid[], $6::text)
       RETURNING id, channel_id, seq, user_id, parent_id, text, client_id, reply_count, last_reply_at, edited_at, deleted_at, created_at
     ), att AS (
       UPDATE nchat_attachments a SET message_id = m.id FROM m WHERE a.id = ANY($9::uuid[])
       RETURNING a.id, a.filename, a.content_type, a.size_bytes, a.created_at
     ), parent AS (
       UPDATE nchat_messages p SET reply_count = p.reply_count + 1, last_reply_at = m.created_at
       FROM m WHERE p.id = m.parent_id
       RETURNING p.id, p.reply_count, p.last_reply_at
     ), men AS (
       INSERT INTO nchat_mentions (message_id, user_id)
       SELECT m.id, u.id FROM m JOIN nchat_users u ON u.status = 'active'
         AND (lower(split_part(u.email, '@', 1)) = ANY($7::text[]) OR lower(replace(u.display_name, ' ', '')) = ANY($7::text[]))
       ON CONFLICT DO NOTHING
       RETURNING user_id
     )
     SELECT m.*, coalesce((SELECT json_agg(user_id ORDER BY user_id) FROM men), '[]'::json) AS mentions, '[]'::json AS reactions,
            coalesce((SELECT json_agg(json_build_object('id', id, 'filename', filename, 'contentType', content_type, 'sizeBytes', size_bytes) ORDER BY created_at, id) FROM att), '[]'::json) AS attachments,
            (SELECT reply_count FROM parent) AS parent_reply_count, (SELECT last_reply_at FROM parent) AS parent_last_reply_at
     FROM m`,
    [channelId, seq, m.userId, m.parentId, m.text, m.clientId, m.mentions, m.sessionVersion, m.attachmentIds, id],
  ) as Query;
}

/**
 * First statement of a group: locks the channel row and checks that its sequence is where the
 * room believes it is (nchat_lock_channel_seq, tenant migration 0002). Anything else fails the
 * whole group with SQLSTATE NC409; the room then reloads and retries. The unique
 * (channel_id, seq) index backs this up.
 */
export function sequenceGuardStatement(tdb: TenantDb, channelId: string, expectedLastSeq: number): Query {
  return tdb.sql.query(`SELECT nchat_lock_channel_seq($1::uuid, $2::bigint) AS last_seq`, [channelId, expectedLastSeq]) as Query;
}

/** After a group: the channel's sequence and last message time, and each author's read position. */
export function afterGroupStatements(tdb: TenantDb, channelId: string, lastSeq: number, authorsLastSeq: Map<string, number>): Query[] {
  const statements: Query[] = [
    tdb.sql.query(`UPDATE nchat_channels SET last_seq = $2, last_message_at = now(), updated_at = now() WHERE id = $1`, [channelId, lastSeq]) as Query,
  ];
  for (const [userId, seq] of authorsLastSeq) {
    statements.push(
      tdb.sql.query(
        `UPDATE nchat_channel_members SET last_read_seq = greatest(last_read_seq, $3), last_read_at = now() WHERE channel_id = $1 AND user_id = $2`,
        [channelId, userId, seq],
      ) as Query,
    );
  }
  return statements;
}

/** The channel as its room needs it: sequence, kind, whether it is archived. */
export function channelStateStatement(tdb: TenantDb, channelId: string): Query {
  return tdb.sql.query('SELECT last_seq, kind, archived_at FROM nchat_channels WHERE id = $1', [channelId]) as Query;
}

/**
 * Reserves `count` message ids from the table's identity sequence (none when 0). A room hands
 * them out in order, so within a channel ids grow with sequence numbers (pages are by id) even
 * though the room assigns them before Postgres has the row.
 */
export function reserveIdsStatement(tdb: TenantDb, count: number): Query {
  return tdb.sql.query(`SELECT nextval(pg_get_serial_sequence('nchat_messages', 'id')) AS id FROM generate_series(1, $1::int)`, [count]) as Query;
}

/** A message in a room's log: as it was broadcast, and the session its author sent it with. */
export interface LoggedMessage {
  message: ChatMessage;
  /** The session the author sent it with (Postgres re-checks it when the message is written behind). */
  sessionVersion: number;
}

/** What Postgres says of a group written behind. */
export interface WrittenBehind {
  /** Rows new to Postgres (fewer than sent: an earlier attempt stored them, its answer was lost). */
  inserted: number;
  /** Authors whose session ended or who left the channel before the group reached Postgres. */
  revoked: { userId: string; sessionVersion: number; reason: 'session' | 'membership' }[];
}

/**
 * ONE statement that writes a group of the room's logged messages (plain ones: no parent, no
 * files, no mentions) with their sequence numbers and ids, idempotently (a retried group skips
 * the rows that are there), moves the channel's sequence and last message time, and the
 * authors' read positions; and reports the authors who may no longer post (the room closes their
 * sockets). It admits nothing: the messages were accepted, and broadcast, when they were logged.
 */
export function writeBehindStatement(tdb: TenantDb, channelId: string, group: LoggedMessage[]): Query {
  const ms = group.map((g) => g.message);
  const last = ms.at(-1)!;
  return tdb.sql.query(
    `WITH r AS (
       SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::int[]) AS r(id, seq, user_id, text, client_id, created_at, session_version)
     ), ins AS (
       INSERT INTO nchat_messages (id, channel_id, seq, user_id, text, client_id, created_at) OVERRIDING SYSTEM VALUE
       SELECT id, $1::uuid, seq, user_id, text, client_id, created_at FROM r ORDER BY seq
       ON CONFLICT (channel_id, seq) DO NOTHING
       RETURNING 1
     ), ch AS (
       UPDATE nchat_channels SET last_seq = greatest(last_seq, $9::bigint), last_message_at = greatest(coalesce(last_message_at, $10::timestamptz), $10::timestamptz), updated_at = now()
       WHERE id = $1 RETURNING last_seq
     ), readers AS (
       UPDATE nchat_channel_members cm SET last_read_seq = greatest(cm.last_read_seq, a.seq), last_read_at = now()
       FROM (SELECT user_id, max(seq) AS seq FROM r GROUP BY user_id) a
       WHERE cm.channel_id = $1 AND cm.user_id = a.user_id
       RETURNING cm.user_id
     ), authors AS (
       SELECT DISTINCT r.user_id, r.session_version,
              EXISTS (SELECT 1 FROM nchat_users u WHERE u.id = r.user_id AND u.status = 'active' AND u.session_version = r.session_version) AS session_ok,
              EXISTS (SELECT 1 FROM nchat_channel_members m WHERE m.channel_id = $1 AND m.user_id = r.user_id) AS member_ok
       FROM r
     )
     SELECT (SELECT count(*) FROM ins)::int AS inserted,
            coalesce((SELECT json_agg(json_build_object('userId', user_id, 'sessionVersion', session_version, 'reason', CASE WHEN session_ok THEN 'membership' ELSE 'session' END))
                      FROM authors WHERE NOT (session_ok AND member_ok)), '[]'::json) AS revoked`,
    [
      channelId,
      ms.map((m) => m.id),
      ms.map((m) => m.seq),
      ms.map((m) => m.userId),
      ms.map((m) => m.text),
      ms.map((m) => m.clientId),
      ms.map((m) => m.createdAt),
      group.map((g) => g.sessionVersion),
      last.seq,
      last.createdAt,
    ],
  ) as Query;
}

/**
 * First statement of a group written behind (tenant migration 0009): locks the channel row, so
 * groups commit one after another in sequence order; `after` (for a group sent behind another:
 * the sequence number before its first) makes Postgres refuse it with NC409 unless the group
 * before it has committed.
 */
export function writeBehindLockStatement(tdb: TenantDb, channelId: string, after: number | null): Query {
  return tdb.sql.query('SELECT nchat_lock_channel_after($1::uuid, $2::bigint) AS last_seq', [channelId, after]) as Query;
}

/** The first (only) row of writeBehindStatement's result. */
export function writtenBehind(row: Record<string, unknown> | undefined): WrittenBehind {
  return { inserted: Number(row?.inserted ?? 0), revoked: (row?.revoked as WrittenBehind['revoked'] | undefined) ?? [] };
}
