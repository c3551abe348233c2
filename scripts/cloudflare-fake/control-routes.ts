/**
 * The control API under /_fake: what tests and the dev CLI use to play the parts that happen
 * outside Cloudflare's API (the customer's DNS records verify or never do, the CNAME is removed,
 * Cloudflare blocks the name, someone else adds it) and to look at what the Worker sent.
 * No authentication: it listens on loopback only. Answers are plain JSON; errors use Cloudflare's
 * envelope like everything else.
 */
import { z } from 'zod';
import { CloudflareApiError } from './envelope';
import { normaliseHostname } from './hostnames';
import { HOSTNAME_STATES } from './objects';
import { json, SEGMENT, type Route, type RouteContext } from './router';

/** Reads a control body with a schema; a bad one is a 400 in Cloudflare's envelope. */
function parseBody<S extends z.ZodType>(schema: S, ctx: RouteContext): z.infer<S> {
  const result = schema.safeParse(ctx.body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CloudflareApiError(400, 1000, `Invalid control request: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad body'}`);
  }
  return result.data;
}

const zoneId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hexadecimal characters');
const strings = z.record(z.string(), z.string());
const stateName = z.enum(HOSTNAME_STATES);

const patchFields = {
  status: z
    .enum(['active', 'pending', 'active_redeploying', 'moved', 'pending_deletion', 'deleted', 'pending_blocked', 'pending_migration', 'pending_provisioned', 'test_pending', 'test_active', 'test_active_apex', 'test_blocked', 'test_failed', 'provisioned', 'blocked'])
    .optional(),
  ssl_status: z
    .enum(['initializing', 'pending_validation', 'deleted', 'pending_issuance', 'pending_deployment', 'pending_deletion', 'pending_expiration', 'expired', 'active', 'initializing_timed_out', 'validation_timed_out', 'issuance_timed_out', 'deployment_timed_out', 'deletion_timed_out', 'pending_cleanup', 'staging_deployment', 'staging_active', 'deactivating', 'inactive', 'backup_issued', 'holding_deployment'])
    .optional(),
  verification_errors: z.array(z.string()).optional(),
  validation_errors: z.array(z.string()).optional(),
  custom_metadata: strings.optional(),
};
const patchBody = z.object(patchFields);
/** A named state, then any of the patch's fields over it (e.g. active with the certificate still pending_validation). */
const stateBody = z.object({ state: stateName, ...patchFields });
const seedBody = z.object({
  hostname: z.string().min(1),
  /** Another zone: a hostname held elsewhere on Cloudflare (this zone's create then answers 1406, its list finds nothing). */
  zone_id: zoneId.optional(),
  custom_metadata: strings.optional(),
  /** null: no certificate. Default: txt/dv, as nchat asks. */
  ssl: z.object({ method: z.enum(['http', 'txt', 'email']).optional(), type: z.literal('dv').optional() }).nullable().optional(),
  state: stateName.exclude(['deleted']).optional(),
});
const failBody = z.object({
  method: z.string().optional(),
  /** A path prefix, with or without /client/v4; `*` matches within one segment. */
  path: z.string().startsWith('/').optional(),
  /** Only calls about this hostname: the create naming it, a list filtering on it, a call on its id. */
  hostname: z.string().min(1).optional(),
  /** Only calls whose path names this custom hostname id. */
  id: z.string().min(1).optional(),
  mode: z.enum(['status', 'hang', 'close']).default('status'),
  status: z.number().int().min(400).max(599).default(500),
  count: z.number().int().positive().default(1),
  code: z.number().int().optional(),
  message: z.string().optional(),
  retryAfter: z.number().nonnegative().optional(),
  hangMs: z.number().int().positive().optional(),
});

/** The control API's request bodies, as callers write them (test/support/cloudflare.ts imports these types). */
export type SetStateRequest = z.input<typeof stateBody>;
export type PatchHostnameRequest = z.input<typeof patchBody>;
export type SeedHostnameRequest = z.input<typeof seedBody>;
export type FailRequest = z.input<typeof failBody>;

function queryString(ctx: RouteContext, key: string): string | undefined {
  const value = ctx.query.get(key);
  return value ? value : undefined;
}

export const controlRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/_fake\/hostnames$/,
    handle: (ctx) => json({ hostnames: ctx.state.all({ hostname: queryString(ctx, 'hostname'), zoneId: queryString(ctx, 'zone_id') }) }),
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/hostnames$/,
    handle: (ctx) => json(ctx.state.seed(parseBody(seedBody, ctx)), 201),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/_fake/hostnames/${SEGMENT}$`),
    handle: (ctx) => json(ctx.state.show(ctx.state.resolve(ctx.ids[0]!, queryString(ctx, 'zone_id')))),
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`^/_fake/hostnames/${SEGMENT}$`),
    handle: (ctx) => json(ctx.state.patch(ctx.ids[0]!, parseBody(patchBody, ctx), queryString(ctx, 'zone_id'))),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_fake/hostnames/${SEGMENT}/state$`),
    handle: (ctx) => {
      const { state, ...patch } = parseBody(stateBody, ctx);
      return json({ customHostname: ctx.state.setState(ctx.ids[0]!, state, patch, queryString(ctx, 'zone_id')) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/_fake\/requests$/,
    handle: (ctx) =>
      json({ requests: ctx.state.requestsFor({ hostname: queryString(ctx, 'hostname'), id: queryString(ctx, 'id'), method: queryString(ctx, 'method'), path: queryString(ctx, 'path') }) }),
  },
  {
    method: 'DELETE',
    pattern: /^\/_fake\/requests$/,
    handle: (ctx) => {
      const deleted = ctx.state.requests.length;
      ctx.state.requests.length = 0;
      return json({ deleted });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/fail$/,
    handle: (ctx) => {
      const body = parseBody(failBody, ctx);
      const rule = ctx.state.addFailure({
        method: body.method ? body.method.toUpperCase() : null,
        path: body.path ?? null,
        hostname: body.hostname ? normaliseHostname(body.hostname) : null,
        hostnameId: body.id ? body.id.toLowerCase() : null,
        mode: body.mode,
        status: body.status,
        remaining: body.count,
        code: body.code ?? null,
        message: body.message ?? null,
        retryAfter: body.retryAfter ?? null,
        hangMs: body.hangMs ?? null,
      });
      return json({ rule });
    },
  },
  { method: 'GET', pattern: /^\/_fake\/fail$/, handle: (ctx) => json({ rules: ctx.state.failures }) },
  {
    method: 'DELETE',
    pattern: /^\/_fake\/fail$/,
    handle: (ctx) => json({ cleared: ctx.state.clearFailures({ hostname: queryString(ctx, 'hostname'), id: queryString(ctx, 'id'), rule: queryString(ctx, 'rule') }) }),
  },
];
