import { z } from 'zod';
import type { ChatMessage } from './message-model';
import { MESSAGE_MAX_LENGTH } from './message-model';

/** Who a room belongs to. Always built by the Worker from the resolved tenant, never by a client. */
export interface RoomContext {
  tenant: { id: string; schemaName: string; roleName: string };
  channelId: string;
}

export interface RoomUser {
  userId: string;
  role: string;
  /** For tickets: the session version to re-check when the ticket is redeemed. */
  sessionVersion?: number;
}

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
  | { type: 'replay.truncated'; fromSeq: number; toSeq: number }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string; clientId?: string | null };

/** Frames a client may send. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    text: z.string().trim().min(1, 'is empty').max(MESSAGE_MAX_LENGTH, `is longer than ${MESSAGE_MAX_LENGTH} characters`),
    parentId: z.number().int().positive().nullable().optional(),
    clientId: z.string().min(1).max(64).nullable().optional(),
  }),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('read'), seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.output<typeof clientFrameSchema>;

/** Internal headers on the upgrade request the Worker forwards to the room. */
export const ROOM_CONTEXT_HEADER = 'x-nchat-room';
export const ROOM_USER_HEADER = 'x-nchat-user';

/** Errors a room's RPC methods throw start with this, then a code (`channel_archived`, ...). */
export const ROOM_ERROR_PREFIX = 'nchat-room:';
