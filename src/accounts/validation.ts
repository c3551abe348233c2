import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from '../auth/password-policy';

/**
 * Request bodies and queries of the account routes (sign-in, own profile, users, invitations).
 * Validation only: the tenant's password policy is checked by the actions, which know it.
 */

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(254));
const displayName = z.string().trim().min(1, 'is required').max(80, 'must be at most 80 characters');
// https only: an http image on an https page is blocked as mixed content.
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048);
/** Any password-like string; the policy (length, classes) is the tenant's, checked later. */
const secret = z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const loginSchema = z.object({ email: emailSchema, password: secret }).strict();
/** A handoff code: 32 random bytes in unpadded base64url. */
export const handoffSchema = z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a sign-in code') }).strict();
export type LoginInput = z.output<typeof loginSchema>;

export const profileSchema = z
  .object({
    displayName: displayName.optional(),
    avatarUrl: httpsUrl.nullable().optional(),
    // An empty status clears it.
    statusText: z
      .string()
      .trim()
      .max(100, 'must be at most 100 characters')
      .nullable()
      .optional()
      .transform((v) => (v === '' ? null : v)),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'nothing to update');
export type ProfilePatch = z.output<typeof profileSchema>;

export const passwordChangeSchema = z.object({ currentPassword: secret, newPassword: secret }).strict();
export type PasswordChange = z.output<typeof passwordChangeSchema>;

export const ROLES = ['owner', 'admin', 'member', 'guest'] as const;
export const roleSchema = z.object({ role: z.enum(ROLES) }).strict();

export const listUsersQuery = z
  .object({
    search: z.string().trim().max(100).optional(),
    status: z.enum(['active', 'deactivated', 'all']).default('active'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();
export type ListUsersQuery = z.output<typeof listUsersQuery>;

export const INVITABLE_ROLES = ['admin', 'member', 'guest'] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];
export const createInvitationSchema = z.object({ email: emailSchema, role: z.enum(INVITABLE_ROLES).default('member') }).strict();
export type CreateInvitationInput = z.output<typeof createInvitationSchema>;

export const INVITATION_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];
export const listInvitationsQuery = z
  .object({
    status: z.enum(INVITATION_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListInvitationsQuery = z.output<typeof listInvitationsQuery>;

export const acceptInvitationSchema = z.object({ displayName, password: secret }).strict();
export type AcceptInvitationInput = z.output<typeof acceptInvitationSchema>;

export { isUuid } from '../http/ids';
