import { z } from 'zod';
import type { ErrorCode, ErrorInfo } from '../domain/errors';
import type { TenantSnapshot } from '../tenancy/snapshot';
import type { ChatMessage } from './message-model';
import { newMessageFields, notEmpty } from './validation';

/**
 * Who a room belongs to, and the workspace as the caller knows it. Always built by the Worker
 * from the resolved tenant, never by a client. The room keeps the newest snapshot it has seen
 * (from callers, and pushed by the TenantGate after every tenant write) and judges socket
 * frames by it.
 */
export interface RoomContext {
  tenant: TenantSnapshot;
  channelId: string;
}

export interface RoomUser {
  userId: string;
  role: string;
  /** The session the socket was opened with: every message it sends is checked against it. */
  sessionVersion: number;
}

/** A room's answer to a post: the stored message, or why it was not stored (as data: RPC keeps only an Error's message). */
export type PostResult = { ok: true; message: ChatMessage } | { ok: false; error: ErrorInfo };

/**
 * Close codes a room sends, beyond the standard ones. A client reconnects after 4401 only with a
 * new session, after 4403 not at all (the workspace cannot be used), after 4003/4004 not to this
 * channel.
 */
export const CLOSE_CODES = {
  /** Removed from the channel, or the account was deactivated / signed out. */
  userRemoved: 4003,
  /** The channel was deleted. */
  channelDeleted: 4004,
  /** The session the socket was opened with has ended (signed out, password or role changed). */
  sessionEnded: 4401,
  /** The workspace is suspended, cancelled or not active. */
  tenantUnusable: 4403,
} as const;

/** Events a room sends to its sockets. */
export type RoomEvent =
  | { type: 'ready'; userId: string; lastSeq: number; online: string[] }
  | { type: 'message.created'; message: ChatMessage; replay?: true }
  | { type: 'message.updated'; message: ChatMessage }
  | { type: 'message.deleted'; messageId: number; seq: number; deletedAt: string }
  | { type: 'thread.reply'; parentId: number; replyCount: number; lastReplyAt: string | null; message: ChatMessage }
  | { type: 'reaction.added' | 'reaction.removed'; messageId: number; emoji: string; userId: string }
  | { type: 'typing'; userId: string }
  | { type: 'presence'; online: string[] }
  | { type: 'read'; userId: string; seq: number }
  /** Renamed, topic changed, archived or unarchived: reload it (GET /api/channels/:id). */
  | { type: 'channel.updated'; channelId: string }
  | { type: 'replay.truncated'; fromSeq: number; toSeq: number }
  | { type: 'pong' }
  | { type: 'error'; code: ErrorCode | 'bad_frame' | 'replay_failed'; message: string; details?: unknown; clientId?: string | null };

/** Frames a client may send. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), ...newMessageFields }).superRefine(notEmpty),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('read'), seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.output<typeof clientFrameSchema>;

/** A client's keep-alive, exactly as clients send it (JSON.stringify({type:'ping'})), and its answer. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** Internal headers on the upgrade request the Worker forwards to the room. */
export const ROOM_CONTEXT_HEADER = 'x-nchat-room';
export const ROOM_USER_HEADER = 'x-nchat-user';
