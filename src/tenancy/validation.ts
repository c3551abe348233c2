import { z } from 'zod';
import { FEATURES, LIMIT_KEYS } from './plans';
import { slugFormatSchema, slugSchema } from './slug';
import { timestampSchema } from '../http/timestamp';

/** Request bodies and queries of the tenancy routes. Validation only; the actions live elsewhere. */

const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');
const email = z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(254));
const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a2b3c');
// https only: an http logo on an https page is blocked as mixed content.
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048);

/**
 * A workspace's branding. `null` means "not set" (the app's default then applies): so a logo or
 * a colour can be removed, on PUT /api/tenants/:id (which replaces the branding as a whole, so
 * absent and null are the same) and on PATCH /api/tenant (a merge patch: absent keeps the value,
 * null removes it). Stored branding never holds a null (src/tenancy/branding.ts).
 */
export const brandingSchema = z
  .object({
    appName: z.string().trim().min(1).max(60).nullable().optional(),
    primaryColor: hexColor.nullable().optional(),
    accentColor: hexColor.nullable().optional(),
    logoUrl: httpsUrl.nullable().optional(),
  })
  .strict();
export type BrandingInput = z.output<typeof brandingSchema>;

export const createTenantSchema = z
  .object({
    name,
    slug: slugSchema,
    ownerEmail: email,
    ownerName: name,
    ownerPassword: z.string().min(1, 'is required'),
    plan: z.enum(['free', 'pro', 'enterprise', 'custom']).default('free'),
    trial: z.boolean().default(false),
  })
  .strict();
export type CreateTenantInput = z.output<typeof createTenantSchema>;

const retentionDays = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(36_500, 'must be at most 36500 days (100 years)');

export const settingsSchema = z
  .object({
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Europe/Paris')
      .optional(),
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag such as en or pt-BR').optional(),
    passwordMinLength: z.number().int().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters').optional(),
    passwordRequireMixed: z.boolean().optional(),
    passwordRequireDigit: z.boolean().optional(),
    sessionTimeoutMinutes: z.number().int().min(5, 'must be at least 5 minutes').max(525_600, 'must be at most a year (525600 minutes)').optional(),
    // null: kept forever.
    messageRetentionDays: retentionDays.nullable().optional(),
    fileRetentionDays: retentionDays.nullable().optional(),
    auditRetentionDays: retentionDays.optional(),
  })
  .strict();
export type SettingsPatch = z.output<typeof settingsSchema>;

const limitValue = z.number().int().nonnegative().nullable();

/** PUT /api/tenants/:id. Owners may send name, branding, settings; the rest is for platform admins. */
export const updateTenantSchema = z
  .object({
    name: name.optional(),
    branding: brandingSchema.optional(),
    settings: settingsSchema.optional(),
    plan: z.enum(['free', 'pro', 'enterprise', 'custom']).optional(),
    billingInterval: z.enum(['monthly', 'yearly']).nullable().optional(),
    status: z.enum(['trial', 'active', 'suspended']).optional(),
    trialEndsAt: timestampSchema.nullable().optional(),
    limits: z.partialRecord(z.enum(LIMIT_KEYS), limitValue).optional(),
    features: z.partialRecord(z.enum(FEATURES), z.boolean()).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type UpdateTenantInput = z.output<typeof updateTenantSchema>;
export const ADMIN_ONLY_FIELDS = ['plan', 'billingInterval', 'status', 'trialEndsAt', 'limits', 'features'] as const;

/**
 * PATCH /api/tenant: what a workspace's owners and admins change about it from its own host
 * (the owner's fields of PUT /api/tenants/:id), written together or not at all.
 */
export const workspaceChangeSchema = z
  .object({
    name: name.optional(),
    branding: brandingSchema.optional(),
    settings: settingsSchema.optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const listTenantsQuery = z.object({
  status: z.enum(['pending', 'trial', 'active', 'suspended', 'cancelled']).optional(),
  plan: z.enum(['free', 'pro', 'enterprise', 'custom']).optional(),
  search: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
});

export const suspendSchema = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

export const adoptSchema = z.object({
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase Postgres schema name'),
  slug: slugFormatSchema,
  name,
  ownerEmail: email,
  ownerName: name,
  plan: z.enum(['free', 'pro', 'enterprise', 'custom']).default('enterprise'),
});
export type AdoptInput = z.output<typeof adoptSchema>;

export const auditQuery = z.object({
  action: z.string().max(100).optional(),
  actorId: z.string().max(100).optional(),
  actorType: z.enum(['user', 'platform_admin', 'system', 'stripe']).optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
