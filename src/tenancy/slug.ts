import { z } from 'zod';

/**
 * Workspace slugs: the subdomain, and the base of the tenant's schema and role names.
 * Lowercase letters, digits and single hyphens; 3–32 characters; no leading or trailing hyphen;
 * not a name the platform uses itself.
 */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SLUG_MIN = 3;
export const SLUG_MAX = 32;

/** One list. Hosts and paths the platform needs, and names that would confuse users. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'www', 'app', 'api', 'admin', 'administrator', 'auth', 'login', 'logout', 'signup', 'register',
  'billing', 'pay', 'payments', 'checkout', 'invoice', 'mail', 'email', 'smtp', 'imap', 'pop',
  'status', 'health', 'docs', 'help', 'support', 'static', 'assets', 'cdn', 'media', 'files',
  'uploads', 'img', 'images', 'blog', 'news', 'dev', 'staging', 'test', 'demo', 'internal',
  'system', 'root', 'platform', 'dashboard', 'console', 'account', 'accounts', 'settings',
  'security', 'webhook', 'webhooks', 'stripe', 'ws', 'wss', 'socket', 'realtime', 'nchat',
  'public', 'default', 'tenant', 'tenants', 'postgres', 'ftp', 'ssh', 'vpn', 'ns1', 'ns2',
]);

/** The shape of a slug. Platform operators may register reserved names (e.g. adopting "default"). */
export const slugFormatSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(SLUG_MIN, `must be at least ${SLUG_MIN} characters`)
  .max(SLUG_MAX, `must be at most ${SLUG_MAX} characters`)
  .regex(SLUG_PATTERN, 'may contain only lowercase letters, digits and single hyphens, and must not start or end with a hyphen');

/** What public sign-up accepts: a well-formed slug that is not reserved. */
export const slugSchema = slugFormatSchema.refine((s) => !RESERVED_SLUGS.has(s), 'is reserved');

/** Postgres names are limited to 63 bytes; a slug of 32 ASCII characters gives 39. */
export const MAX_IDENTIFIER_BYTES = 63;

/** `tenant_<slug>` with hyphens as underscores: both the schema and the NOLOGIN role. */
export function tenantSchemaName(slug: string): string {
  const parsed = slugFormatSchema.safeParse(slug);
  if (!parsed.success) throw new Error(`invalid slug: ${slug}`);
  const name = `tenant_${parsed.data.replace(/-/g, '_')}`;
  if (new TextEncoder().encode(name).length > MAX_IDENTIFIER_BYTES) throw new Error(`schema name too long: ${name}`);
  return name;
}
