import type { ChannelView } from './channels';

/**
 * The per-person event stream (`GET /api/me/stream`, one PersonStream Durable Object per
 * tenant user): what happens in the person's channels that they do not have open — new
 * messages (for unread counts and mentions), channels they were added to or removed from (a new
 * DM), channels renamed or archived, and read positions moved on another device. Every event
 * has a per-person sequence number; a client resumes with `?since=<seq>`.
 */
export type StreamEvent =
  | { type: 'activity'; channelId: string; messageId: number; messageSeq: number; authorId: string; parentId: number | null; at: string; mention: boolean }
  | { type: 'channel.added'; channel: ChannelView }
  | { type: 'channel.updated'; channel: ChannelView }
  | { type: 'channel.removed'; channelId: string }
  | { type: 'read'; channelId: string; lastReadSeq: number };

/** Frames the stream sends: its events with their seq, and control frames. */
export type StreamFrame =
  | (StreamEvent & { seq: number })
  | { type: 'ready'; seq: number }
  /** The events since the client's seq are not all kept (it was away too long): reload the bootstrap. */
  | { type: 'resync'; seq: number }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

/**
 * What rooms and the Worker tell a stream. Channel changes name the channel only: the view
 * (unread count, the other person of a DM) is the person's own, so the stream reads it.
 */
export type StreamNotice =
  | { kind: 'activity'; event: Extract<StreamEvent, { type: 'activity' }> }
  | { kind: 'channel_changed'; channelId: string; change: 'added' | 'updated' }
  | { kind: 'channel_removed'; channelId: string }
  | { kind: 'read'; channelId: string; lastReadSeq: number };

/** Who the stream belongs to, and the channels they are in now (the Worker read them with the session check). */
export interface StreamContext {
  tenant: { id: string; schemaName: string; roleName: string };
  userId: string;
  sessionVersion: number;
  channelIds: string[];
}

export const STREAM_CONTEXT_HEADER = 'x-nchat-stream';
