import { z } from 'zod';
import { EMOJI, MESSAGE_MAX_LENGTH } from './message-model';

/** Channel names: lowercase letters, digits, hyphens and underscores, like a chat tool's. */
export const channelName = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'is required')
  .max(80, 'must be at most 80 characters')
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'may contain lowercase letters, digits, hyphens and underscores, starting with a letter or digit');

export const createChannelSchema = z
  .object({
    name: channelName,
    kind: z.enum(['public', 'private']).default('public'),
    topic: z.string().trim().max(250).default(''),
    description: z.string().trim().max(1000).default(''),
    memberIds: z.array(z.uuid()).max(100).default([]),
  })
  .strict();

export const updateChannelSchema = z
  .object({
    name: channelName.optional(),
    topic: z.string().trim().max(250).optional(),
    description: z.string().trim().max(1000).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const addMemberSchema = z.object({ userId: z.uuid() }).strict();
export const dmSchema = z.object({ userId: z.uuid() }).strict();
export const readSchema = z.object({ seq: z.number().int().nonnegative() }).strict();

export const messageText = z.string().trim().min(1, 'is empty').max(MESSAGE_MAX_LENGTH, `is longer than ${MESSAGE_MAX_LENGTH} characters`);

export const MAX_ATTACHMENTS = 10;

/**
 * A new message, as REST takes it and as a socket's `message` frame carries it: text (which may
 * be empty when files go with it), an optional thread parent, the client's own id for
 * optimistic display, and files uploaded to the channel beforehand.
 */
export const newMessageFields = {
  text: z.string().trim().max(MESSAGE_MAX_LENGTH, `is longer than ${MESSAGE_MAX_LENGTH} characters`),
  parentId: z.number().int().positive().nullable().optional(),
  clientId: z.string().min(1).max(64).nullable().optional(),
  attachmentIds: z
    .array(z.uuid())
    .max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} files`)
    .default([])
    .transform((ids) => [...new Set(ids)]),
};

/** Text or files: a message with neither is empty. */
export function notEmpty(m: { text: string; attachmentIds: string[] }, ctx: z.RefinementCtx): void {
  if (m.text === '' && m.attachmentIds.length === 0) ctx.addIssue({ code: 'custom', path: ['text'], message: 'is empty' });
}

export const postMessageSchema = z.object(newMessageFields).strict().superRefine(notEmpty);

export const editMessageSchema = z.object({ text: messageText }).strict();
export const reactionSchema = z.object({ emoji: z.string().regex(EMOJI, 'must be an emoji or a :shortcode:') }).strict();

const idCursor = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a message id')
  .transform(Number);

export const listMessagesQuery = z
  .object({
    before: idCursor.optional(),
    after: idCursor.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .refine((q) => !(q.before !== undefined && q.after !== undefined), 'use before or after, not both');

export const searchQuery = z.object({
  q: z.string().trim().min(1, 'is required').max(200),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^\d{1,6}$/, 'is not a valid cursor').transform(Number).optional(),
});
