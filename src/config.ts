import { z } from 'zod';

/**
 * Runtime configuration, parsed and validated once per environment object. Pure TypeScript
 * with no Workers imports, so `npm run dev` validates `.dev.vars` with this same schema before
 * it starts anything.
 */

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.username !== '' && url.hostname !== '' && url.pathname.length > 1;
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL with a user, a host and a database name');

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

const stripePriceId = z.string().regex(/^(price|plan)_\w+$/, 'must be a Stripe price id such as price_1Q2w3E...');

const booleanString = z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).transform((v) => v === 'true');

/** Empty strings count as "not set": an empty line in .dev.vars or the dashboard means "use the default". */
const unsetIfEmpty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const optionalString = <T extends z.ZodType<string>>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());

const positiveInt = (fallback: number) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => n > 0, 'must be greater than zero')
      .optional()
      .transform((n) => n ?? fallback),
  );

export const configSchema = z.object({
  BASE_DOMAIN: z
    .string({ error: 'is required' })
    .transform((v) => v.trim().toLowerCase())
    .refine((v) => HOSTNAME.test(v), 'must be a bare hostname such as nchat.app or localhost (no scheme, port or path)'),
  ENABLE_MULTI_TENANCY: booleanString,
  DEFAULT_TENANT_SLUG: z.string({ error: 'is required' }).regex(SLUG, 'must be a slug: lowercase letters, digits and single hyphens'),
  LOG_LEVEL: z.preprocess(unsetIfEmpty, z.enum(['debug', 'info', 'warn', 'error']).optional().transform((v) => v ?? 'info')),
  DATABASE_URL: postgresUrl,
  NEON_FETCH_ENDPOINT: optionalString(httpUrl),
  DB_QUERY_TIMEOUT_MS: positiveInt(10_000),
  /**
   * How chat rooms make messages durable (durable-objects/room-writer.ts): `behind` (the room's
   * log first, Postgres behind; the default), `through` (Postgres before every broadcast), or
   * `baseline` (benchmarks on a local gateway only: never written to Postgres).
   */
  CHAT_ROOM_WRITES: z.preprocess(unsetIfEmpty, z.enum(['behind', 'through', 'baseline']).optional().transform((v) => v ?? 'behind')),
  HEALTH_DB_TIMEOUT_MS: positiveInt(2_000),
  TENANT_DELETION_GRACE_DAYS: positiveInt(30),
  /** The TenantGate's rate limit and monthly quota; "false" only in tests that are not about them. */
  PLAN_LIMITS_ENFORCED: z.preprocess(unsetIfEmpty, booleanString.optional()).transform((v) => v ?? true),
  SESSION_SECRET: z.string({ error: 'is required' }).min(32, 'must be at least 32 characters (use a random value)'),
  PLATFORM_ADMIN_TOKEN: z.string({ error: 'is required' }).min(24, 'must be at least 24 characters (use a random value)'),
  STRIPE_SECRET_KEY: optionalString(z.string().regex(/^(sk|rk)_(test|live)_\w+$/, 'must look like sk_test_... or sk_live_...')),
  STRIPE_WEBHOOK_SECRET: optionalString(z.string().regex(/^whsec_\w+$/, 'must look like whsec_...')),
  /** Local dev and tests only: where the Stripe SDK sends API calls (the local Stripe fake). */
  STRIPE_API_URL: optionalString(httpUrl),
  /** The Stripe prices checkout sells, one per plan and interval (src/tenancy/plans.ts maps them back to plans). */
  STRIPE_PRICE_PRO_MONTHLY: optionalString(stripePriceId),
  STRIPE_PRICE_PRO_YEARLY: optionalString(stripePriceId),
  STRIPE_PRICE_ENTERPRISE_MONTHLY: optionalString(stripePriceId),
  STRIPE_PRICE_ENTERPRISE_YEARLY: optionalString(stripePriceId),
  /** Days a subscription may stay past due (payment failed, Stripe retrying) before the workspace is suspended. */
  BILLING_GRACE_DAYS: positiveInt(7),
  /**
   * Custom domains (Cloudflare for SaaS, src/domains/). Without a token and zone the domains
   * API answers 503 domains_unavailable and everything else works.
   */
  CLOUDFLARE_API_TOKEN: optionalString(z.string().regex(/^\S{8,}$/, 'must be a Cloudflare API token (no spaces)')),
  CLOUDFLARE_ZONE_ID: optionalString(z.string().regex(/^[0-9a-f]{32}$/, 'must be a zone id: 32 hexadecimal characters (Cloudflare dashboard → the zone → Overview)')),
  /** Local dev and tests only: where the Cloudflare SDK sends API calls (the local Cloudflare fake), e.g. http://127.0.0.1:12112/client/v4. */
  CLOUDFLARE_API_URL: optionalString(httpUrl),
  /** The hostname customers point their CNAME at (the SaaS zone's fallback origin); default customers.<BASE_DOMAIN>. */
  CUSTOM_DOMAIN_TARGET: optionalString(z.string().transform((v) => v.trim().toLowerCase()).refine((v) => HOSTNAME.test(v), 'must be a bare hostname such as customers.nchat.app')),
});

export type Config = z.output<typeof configSchema>;

export interface ConfigProblem {
  variable: string;
  problem: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses raw variables (Worker env or .dev.vars) into a Config, or throws ConfigError naming each bad variable. */
export function parseConfig(raw: Record<string, unknown>): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(config)');
    const missing = raw[variable] === undefined || raw[variable] === '';
    return { variable, problem: missing ? 'is required' : issue.message };
  });
  throw new ConfigError(problems);
}

const cache = new WeakMap<object, Config | ConfigError>();

/**
 * The Worker's env object is the same for every request an isolate serves, so the parse runs
 * once per isolate (and once per distinct env in tests). A bad config is remembered too: it
 * cannot fix itself without a new deployment, which brings a new isolate.
 */
export function configFor(env: object): Config {
  let entry = cache.get(env);
  if (!entry) {
    try {
      entry = parseConfig(env as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      entry = err;
    }
    cache.set(env, entry);
  }
  if (entry instanceof ConfigError) throw entry;
  return entry;
}

/** A readable multi-line report for the terminal (npm run dev). */
export function formatConfigProblems(error: ConfigError): string {
  return ['Configuration problems:', ...error.problems.map((p) => `  - ${p.variable} ${p.problem}`)].join('\n');
}
