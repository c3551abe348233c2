import type { Query } from '../db/client';
import type { TenantDb } from '../tenancy/tenant-db';

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
export function insertMessageStatement(tdb: TenantDb, channelId: string, seq: number, m: NewMessage): Query {
  return tdb.sql.query(
    `WITH m AS (
       INSERT INTO nchat_messages (channel_id, seq, user_id, parent_id, text, client_id)
       SELECT $1::uuid, $2::bigint, $3::uuid, $4::bigint, $5::text, $6::text WHERE nchat_admit_message($1::uuid, $3::uuid, $8::int, $4::bigint, $9::uuid[], $6::text)
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
    [channelId, seq, m.userId, m.parentId, m.text, m.clientId, m.mentions, m.sessionVersion, m.attachmentIds],
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
