import { toIsoTimestamp } from '../db/client';

/** A message as the API and the realtime events show it. */
export interface ChatMessage {
  id: number;
  channelId: string;
  seq: number;
  userId: string;
  parentId: number | null;
  text: string;
  clientId: string | null;
  replyCount: number;
  lastReplyAt: string | null;
  editedAt: string | null;
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  mentions: string[];
  reactions: ReactionSummary[];
  /** Files attached to it (none on a deleted message). */
  attachments: MessageAttachment[];
}

export interface MessageAttachment {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  /** Where to download it (members of the channel only). */
  url: string;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  users: string[];
}

export const MESSAGE_MAX_LENGTH = 4000;

/**
 * Columns of a message with its reactions and mentions aggregated in the same query (JSON, so
 * the driver hands back plain arrays). `m` is the nchat_messages alias.
 */
export const MESSAGE_COLUMNS = `m.id, m.channel_id, m.seq, m.user_id, m.parent_id, m.text, m.client_id, m.reply_count,
  m.last_reply_at, m.edited_at, m.deleted_at, m.created_at,
  coalesce((SELECT json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'users', r.users) ORDER BY r.first)
            FROM (SELECT emoji, count(*)::int AS n, json_agg(user_id ORDER BY created_at) AS users, min(created_at) AS first
                  FROM nchat_reactions WHERE message_id = m.id GROUP BY emoji) r), '[]'::json) AS reactions,
  coalesce((SELECT json_agg(user_id ORDER BY user_id) FROM nchat_mentions WHERE message_id = m.id), '[]'::json) AS mentions,
  coalesce((SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'contentType', a.content_type, 'sizeBytes', a.size_bytes) ORDER BY a.created_at, a.id)
            FROM nchat_attachments a WHERE a.message_id = m.id AND a.deleted_at IS NULL), '[]'::json) AS attachments`;

/** Maps a row selected with MESSAGE_COLUMNS (or RETURNING the same names) to a ChatMessage. */
export function messageFromRow(r: Record<string, unknown>): ChatMessage {
  const deletedAt = toIsoTimestamp(r.deleted_at as string | null);
  return {
    id: Number(r.id),
    channelId: String(r.channel_id),
    seq: Number(r.seq),
    userId: String(r.user_id),
    parentId: r.parent_id === null || r.parent_id === undefined ? null : Number(r.parent_id),
    // A deleted message is a tombstone: it keeps its place in the timeline, not its words.
    text: deletedAt ? '' : String(r.text),
    clientId: (r.client_id as string | null) ?? null,
    replyCount: Number(r.reply_count ?? 0),
    lastReplyAt: toIsoTimestamp(r.last_reply_at as string | null),
    editedAt: toIsoTimestamp(r.edited_at as string | null),
    deleted: deletedAt !== null,
    deletedAt,
    createdAt: toIsoTimestamp(r.created_at as string)!,
    mentions: (r.mentions as string[] | undefined) ?? [],
    reactions: (r.reactions as ReactionSummary[] | undefined) ?? [],
    attachments: deletedAt ? [] : ((r.attachments as Omit<MessageAttachment, 'url'>[] | undefined) ?? []).map((a) => ({ ...a, sizeBytes: Number(a.sizeBytes), url: `/api/attachments/${a.id}` })),
  };
}

/** `@handle` mentions: lowercased handles, without trailing punctuation. */
export function mentionHandles(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(^|[^\w@])@([a-z0-9][a-z0-9._-]{0,63})/gi)) {
    found.add(m[2]!.toLowerCase().replace(/[._-]+$/, ''));
  }
  return [...found].slice(0, 50);
}

export const EMOJI = /^(?::[a-z0-9_+-]{1,40}:|[\p{Extended_Pictographic}\p{Emoji_Component}\u200d\ufe0f]{1,16})$/u;
