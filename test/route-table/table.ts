/**
 * The route table: one entry per method + path of the app (`app.routes`, deduplicated, without
 * the `ALL` middleware entries). test/route-isolation.test.ts and test/route-bad-input.test.ts
 * generate their cases from it, and both fail when app.routes has a route this table lacks, or
 * this table a route app.routes no longer has — so a new route makes them red until it is
 * described here.
 *
 * What an entry says:
 *  - site: where the route is served (`tenant`: a workspace host; `platform`: the platform host;
 *    `both`); on the other site its group answers 404;
 *  - access: who may call it (`public`, `member`, `manager` = owner or admin, `owner`,
 *    `platform_admin`, `stripe` = a signed webhook, `invite_token` = the token in the path);
 *  - params: how to build each path parameter from a workspace's objects (A's or B's), and its kind;
 *  - query: the parameters it reads, their kind and a valid value;
 *  - body: a valid body (built from a workspace's objects), its fields and their kinds;
 *  - writes: whether a successful call changes stored data;
 *  - cross / bad: what the two suites do differently for this route, each with its reason.
 */
import { BILLING_INTERVALS, PAID_PLANS } from '../../src/tenancy/plans';
import { OTHER_PASSWORD, OWNER_PASSWORD, type Objs } from './world';
import { TEST_PLATFORM_ADMIN_TOKEN } from '../support/constants';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
export type Site = 'tenant' | 'platform' | 'both';
export type Access = 'public' | 'member' | 'manager' | 'owner' | 'platform_admin' | 'stripe' | 'invite_token';

/** Path parameters: uuid ids, integer ids (messages), opaque tokens, emoji. */
export type ParamKind = 'uuid' | 'int' | 'token' | 'emoji';
export interface Param {
  kind: ParamKind;
  of: (o: Objs) => string;
}

/**
 * Body fields. `text`: free text (any characters are valid, so SQL/LIKE characters are not bad
 * input there); `format`: a string with a constrained form (slug, channel name, e-mail, emoji,
 * time zone...); `url`; `enum`; `int`; `bool`; `uuid` / `uuids`; `object`.
 * `ref`: the field holds another object's id (a cross-tenant case puts B's id there).
 */
export type FieldKind = 'text' | 'format' | 'url' | 'enum' | 'int' | 'bool' | 'uuid' | 'uuids' | 'object';
export interface Field {
  kind: FieldKind;
  required?: boolean;
  nullable?: boolean;
  ref?: boolean;
}

export type JsonBody = {
  kind: 'json';
  valid: (o: Objs) => Record<string, unknown>;
  fields: Record<string, Field>;
  /** `{}` (and an empty body) is refused: true when a field is required or the schema wants at least one. */
  emptyIsInvalid: boolean;
};
export type Body =
  | JsonBody
  /** A raw-body file upload (src/attachments/upload-body.ts). */
  | { kind: 'upload' }
  /** A Stripe event, signed over the exact bytes (src/billing/webhook.ts). */
  | { kind: 'stripe'; valid: (o: Objs) => Record<string, unknown> };

/**
 * Query parameters. `like`: a search string matched with LIKE / full text (a `%` must not match
 * everything); `text`: an exact-match string; `cursor`: an opaque pagination cursor; `date`: an
 * ISO date-time; `period`: YYYY-MM; `seq`: a sequence number; `flag`: 'true' or anything else.
 */
export type QueryKind = 'like' | 'text' | 'format' | 'enum' | 'int' | 'cursor' | 'date' | 'period' | 'seq' | 'flag' | 'token';
export interface QueryParam {
  kind: QueryKind;
  /** A valid value (sent in every request when `send`, and by the bad-input suite next to the broken one). */
  valid: string | ((o: Objs) => string);
  required?: boolean;
  send?: boolean;
}

/**
 * The cross-tenant cases (test/route-table/cross-tenant.ts). A = the attacker's workspace, B = the target's.
 *  - a-session: A's owner session, on B's host (or the platform host, for platform routes), B's ids;
 *  - b-ids-on-a: A's owner on A's own host, with B's ids (path and body);
 *  - b-body-ids: A's owner on A's host, A's path ids, B's ids in the body;
 *  - no-session, garbage-token, forged-token (B's owner, signed with another secret),
 *    revoked (a B owner who signed out), deactivated (a B admin), demoted (a B admin made member,
 *    the token from before): on B's host with B's ids;
 *  - under-privileged: a B user one role below the route's (member / admin / owner);
 *  - spoof-headers: A's owner on A's host, with X-Tenant-*, X-Forwarded-Host, Forwarded... naming B;
 *  - host-*: A's owner, the Host header in odd forms — B's in upper case, with a trailing dot and
 *    a port, B's custom domain (all three are B), B's host as a suffix or a prefix of another
 *    (nobody), another host with X-Forwarded-Host: B (nobody), the platform's www and [::1].
 */
export const CROSS_KINDS = [
  'a-session',
  'b-ids-on-a',
  'b-body-ids',
  'no-session',
  'garbage-token',
  'forged-token',
  'revoked',
  'deactivated',
  'demoted',
  'under-privileged',
  'spoof-headers',
  'host-upper',
  'host-dot-port',
  'host-custom-domain',
  'host-suffix',
  'host-forwarded',
  'host-nested',
  'host-platform',
  'host-ipv6',
] as const;
export type CrossKind = (typeof CROSS_KINDS)[number];

export interface CheckContext {
  kind: CrossKind;
  /** The attacker's workspace and the target's. */
  A: Objs;
  B: Objs;
}

/** Why a 2xx is fine, and what must hold of its body then (null: nothing wrong). */
export interface Allowance {
  why: string;
  check?: (body: unknown, ctx: CheckContext) => string | null | Promise<string | null>;
}

export interface RouteEntry {
  method: Method;
  path: string;
  site: Site;
  access: Access;
  params?: Record<string, Param>;
  query?: Record<string, QueryParam>;
  body?: Body;
  writes: boolean;
  /** GET /api/channels/:id/ws, /api/me/stream: requests carry `Upgrade: websocket` (a plain GET is a 426). */
  websocket?: true;
  /** A success ends the caller's sessions (the suites sign in again afterwards). */
  endsSession?: true;
  /** A 2xx is an allowed outcome of every cross-tenant case (public routes), if `check` finds nothing wrong in the body. */
  public2xx?: Allowance;
  cross?: {
    /** Cases that do not apply, each with its reason. */
    skip?: Partial<Record<CrossKind, string>>;
    /** Cases where a 2xx is an allowed outcome, each with its reason and what must hold then. */
    allow2xx?: Partial<Record<CrossKind, Allowance>>;
    /** Whose objects the body is built from, per case (default: the tenant whose ids the case uses). */
    bodyFrom?: Partial<Record<CrossKind | 'default', 'A' | 'B'>>;
  };
  bad?: {
    /** Query cases are not run, with the reason. */
    skipQuery?: string;
    /** Changes the workspace's status when it succeeds: run after the others, then the workspace is put back. */
    lifecycle?: true;
  };
}

// ---- helpers ----

const uuid = (of: (o: Objs) => string): Param => ({ kind: 'uuid', of });
const int = (of: (o: Objs) => string): Param => ({ kind: 'int', of });
const channel = { id: uuid((o) => o.channelId) };
const message = { id: int((o) => o.messageId) };

function json(fields: Record<string, Field>, valid: (o: Objs) => Record<string, unknown>, emptyIsInvalid?: boolean): JsonBody {
  return { kind: 'json', fields, valid, emptyIsInvalid: emptyIsInvalid ?? Object.values(fields).some((f) => f.required) };
}

const limit: QueryParam = { kind: 'int', valid: '10' };
const cursor: QueryParam = { kind: 'cursor', valid: '' };

const TENANT_CONFIG_KEYS = ['id', 'name', 'slug', 'status', 'branding', 'plan', 'billingPlan', 'billingInterval', 'trial', 'features', 'limits'];
const PUBLIC_TENANT_KEYS = ['id', 'name', 'slug', 'status', 'branding', 'plan'];

/**
 * A 2xx body `{tenant: {...}}` whose tenant has only `keys` — unless it is the caller's own
 * workspace (headers naming B on A's host), where a member may see more.
 */
function onlyTenantKeys(keys: string[]) {
  return (body: unknown, ctx: CheckContext): string | null => {
    const tenant = (body as { tenant?: Record<string, unknown> } | null)?.tenant;
    if (!tenant || typeof tenant !== 'object') return 'no tenant in the body';
    if (ctx.kind === 'spoof-headers' && tenant.id === ctx.A.t.id) return null;
    const extra = Object.keys(tenant).filter((k) => !keys.includes(k));
    return extra.length ? `non-public fields: ${extra.join(', ')}` : null;
  };
}

/** GET /api/tenant for someone who is not a member here: public fields, and no session (or none asked for). */
function publicBootstrap(body: unknown, ctx: CheckContext): string | null {
  const b = body as { tenant?: unknown; session?: unknown; platform?: unknown } | null;
  if (b?.tenant === null) return b.platform && !('session' in b) ? null : 'the platform host answered more than `platform`';
  if (b && 'session' in b && b.session !== null && !(ctx.kind === 'spoof-headers')) return 'a session for someone who is not a member here';
  return onlyTenantKeys(TENANT_CONFIG_KEYS)(body, ctx);
}

/** The operator session routes answer `{signedIn, expiresAt}` and nothing more. */
function onlyOperatorSessionKeys(body: unknown): string | null {
  const extra = Object.keys((body as Record<string, unknown> | null) ?? {}).filter((k) => k !== 'signedIn' && k !== 'expiresAt');
  return extra.length ? `fields beyond the session state: ${extra.join(', ')}` : null;
}

// ---- the table ----

export const TABLE: RouteEntry[] = [
  // Platform host (and health on both).
  {
    method: 'GET',
    path: '/api/health',
    site: 'both',
    access: 'public',
    writes: false,
    public2xx: { why: 'liveness: status, version, database latency and the workspace slug only' },
  },
  {
    method: 'POST',
    path: '/api/tenants/create',
    site: 'platform',
    access: 'public',
    writes: true,
    body: json(
      {
        name: { kind: 'text', required: true },
        slug: { kind: 'format', required: true, ref: true },
        ownerEmail: { kind: 'format', required: true },
        ownerName: { kind: 'text', required: true },
        ownerPassword: { kind: 'text', required: true },
        plan: { kind: 'enum' },
        trial: { kind: 'bool' },
      },
      // The cross-tenant cases sign up with B's slug (must be 409, B untouched); the bad-input
      // suite gets a new slug each call, so a case that slips through is a 201, not a 409.
      (o) => ({ name: 'Route probe', slug: o.label === 'B' ? o.t.slug : `rt-${crypto.randomUUID().slice(0, 8)}`, ownerEmail: 'probe@example.test', ownerName: 'Probe', ownerPassword: 'securepass123', plan: 'free', trial: false }),
    ),
    cross: { bodyFrom: { default: 'B' } },
  },
  {
    method: 'GET',
    path: '/api/tenants',
    site: 'platform',
    access: 'platform_admin',
    writes: false,
    query: {
      status: { kind: 'enum', valid: 'trial' },
      plan: { kind: 'enum', valid: 'pro' },
      search: { kind: 'like', valid: (o) => o.t.slug, send: true },
      limit,
      cursor,
    },
  },
  {
    method: 'GET',
    path: '/api/tenants/by-slug',
    site: 'platform',
    access: 'public',
    writes: false,
    query: { slug: { kind: 'format', valid: (o) => o.t.slug, required: true } },
    public2xx: { why: 'public fields of a workspace, for a login page', check: onlyTenantKeys(PUBLIC_TENANT_KEYS) },
  },
  {
    method: 'GET',
    path: '/api/tenants/slug-availability',
    site: 'platform',
    access: 'public',
    writes: false,
    query: { slug: { kind: 'format', valid: (o) => o.t.slug, required: true } },
    public2xx: {
      why: 'whether sign-up would take a slug: yes or no and why, nothing about the workspace',
      check: (body: unknown) => {
        const keys = Object.keys((body as Record<string, unknown> | null) ?? {});
        const extra = keys.filter((k) => !['slug', 'available', 'reason', 'message'].includes(k));
        return extra.length ? `fields beyond the answer: ${extra.join(', ')}` : null;
      },
    },
  },
  {
    method: 'GET',
    path: '/api/tenants/by-domain',
    site: 'platform',
    access: 'public',
    writes: false,
    query: { domain: { kind: 'text', valid: (o) => o.customDomain, required: true } },
    public2xx: { why: 'public fields of a workspace, for a login page', check: onlyTenantKeys(PUBLIC_TENANT_KEYS) },
  },
  { method: 'GET', path: '/api/tenants/:id', site: 'platform', access: 'owner', writes: false, params: { id: uuid((o) => o.t.id) } },
  {
    method: 'PUT',
    path: '/api/tenants/:id',
    site: 'platform',
    access: 'owner',
    writes: true,
    params: { id: uuid((o) => o.t.id) },
    body: json({ name: { kind: 'text' }, branding: { kind: 'object' }, settings: { kind: 'object' } }, () => ({ name: 'Renamed by a route probe' }), true),
  },
  {
    method: 'DELETE',
    path: '/api/tenants/:id',
    site: 'platform',
    access: 'owner',
    writes: true,
    params: { id: uuid((o) => o.t.id) },
    query: { purge: { kind: 'flag', valid: 'false' } },
    bad: { skipQuery: 'any purge value but "true" schedules the deletion of the acting workspace (a valid request), which would end the suite', lifecycle: true },
  },
  {
    method: 'POST',
    path: '/api/tenants/:id/suspend',
    site: 'platform',
    access: 'platform_admin',
    writes: true,
    params: { id: uuid((o) => o.t.id) },
    body: json({ reason: { kind: 'text' } }, () => ({ reason: 'route probe' }), false),
    bad: { lifecycle: true },
  },
  { method: 'POST', path: '/api/tenants/:id/unsuspend', site: 'platform', access: 'platform_admin', writes: true, params: { id: uuid((o) => o.t.id) }, bad: { lifecycle: true } },
  { method: 'POST', path: '/api/tenants/:id/restore', site: 'platform', access: 'platform_admin', writes: true, params: { id: uuid((o) => o.t.id) }, bad: { lifecycle: true } },
  {
    method: 'GET',
    path: '/api/admin/domains',
    site: 'platform',
    access: 'platform_admin',
    writes: false,
    query: {
      status: { kind: 'enum', valid: 'pending' },
      tenantId: { kind: 'format', valid: (o) => o.t.id },
      search: { kind: 'like', valid: (o) => o.marker, send: true },
      limit,
      cursor,
    },
  },
  {
    method: 'GET',
    path: '/api/admin/usage',
    site: 'platform',
    access: 'platform_admin',
    writes: false,
    query: {
      period: { kind: 'period', valid: new Date().toISOString().slice(0, 7) },
      sort: { kind: 'enum', valid: 'messages' },
      order: { kind: 'enum', valid: 'asc' },
      plan: { kind: 'enum', valid: 'pro' },
      status: { kind: 'enum', valid: 'trial' },
      search: { kind: 'like', valid: (o) => o.t.slug, send: true },
      tenantId: { kind: 'format', valid: (o) => o.t.id },
      overLimit: { kind: 'enum', valid: 'false' },
      limit,
      cursor,
    },
  },
  // The operator console's sign-in (src/routes/admin-session.ts): anyone may try; the body is
  // the admin token itself, so a success says only that the caller is signed in, nothing of B's.
  {
    method: 'POST',
    path: '/api/admin/session',
    site: 'platform',
    access: 'public',
    writes: false,
    body: json({ token: { kind: 'text', required: true } }, () => ({ token: TEST_PLATFORM_ADMIN_TOKEN })),
    public2xx: { why: 'signing in with the admin token is what the route is for; the answer is whether one is signed in', check: onlyOperatorSessionKeys },
  },
  {
    method: 'GET',
    path: '/api/admin/session',
    site: 'platform',
    access: 'public',
    writes: false,
    public2xx: { why: 'whether this caller is signed in as the operator, nothing else', check: onlyOperatorSessionKeys },
  },
  {
    method: 'DELETE',
    path: '/api/admin/session',
    site: 'platform',
    access: 'public',
    writes: false,
    public2xx: { why: 'signing out clears the caller\'s own cookie', check: onlyOperatorSessionKeys },
  },
  {
    method: 'POST',
    path: '/api/billing/webhook',
    site: 'platform',
    access: 'stripe',
    writes: true,
    // An event about a customer nobody has, naming the workspace in its metadata: the handler
    // must not take the metadata's word for it (README, Billing) and records it as ignored.
    body: {
      kind: 'stripe',
      valid: (o) => ({
        id: `evt_rt_${crypto.randomUUID().replace(/-/g, '')}`,
        object: 'event',
        type: 'customer.subscription.updated',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: {
          object: {
            id: `sub_rt_${crypto.randomUUID().replace(/-/g, '').slice(0, 14)}`,
            object: 'subscription',
            customer: `cus_rt_nobody_${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`,
            status: 'active',
            metadata: { tenant_id: o.t.id },
            items: { object: 'list', data: [] },
          },
        },
      }),
    },
    public2xx: {
      why: 'a validly signed event is accepted whoever sends it; one naming B only in its metadata must be ignored',
      check: (body: unknown) => ((body as { status?: string } | null)?.status === 'ignored' ? null : `status ${(body as { status?: string } | null)?.status}, expected ignored`),
    },
  },

  // Workspace host: the workspace itself.
  {
    method: 'GET',
    path: '/api/tenant',
    site: 'both',
    access: 'public',
    writes: false,
    // The web app's bootstrap: `include=session` adds the member's own account and channels.
    query: { include: { kind: 'enum', valid: 'session', send: true } },
    // Members of the workspace also get `usage`, `limitsExceeded` and their session; nobody here is one.
    public2xx: { why: "the workspace's public configuration (what a login page needs), and no session", check: publicBootstrap },
  },
  {
    method: 'PATCH',
    path: '/api/tenant',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json({ name: { kind: 'text' }, branding: { kind: 'object' }, settings: { kind: 'object' } }, () => ({ name: 'Renamed by a route probe', settings: { sessionTimeoutMinutes: 4322 } }), true),
  },
  { method: 'GET', path: '/api/tenant/settings', site: 'tenant', access: 'manager', writes: false },
  {
    method: 'PUT',
    path: '/api/tenant/settings',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json(
      {
        timezone: { kind: 'format' },
        language: { kind: 'format' },
        passwordMinLength: { kind: 'int' },
        passwordRequireMixed: { kind: 'bool' },
        passwordRequireDigit: { kind: 'bool' },
        sessionTimeoutMinutes: { kind: 'int' },
        messageRetentionDays: { kind: 'int', nullable: true },
        fileRetentionDays: { kind: 'int', nullable: true },
        auditRetentionDays: { kind: 'int' },
      },
      () => ({ timezone: 'Pacific/Chatham', sessionTimeoutMinutes: 4321 }),
      false,
    ),
  },
  {
    method: 'GET',
    path: '/api/tenant/audit-logs',
    site: 'tenant',
    access: 'manager',
    writes: false,
    query: {
      action: { kind: 'text', valid: 'channel.created' },
      actorId: { kind: 'text', valid: (o) => o.ownerId },
      actorType: { kind: 'enum', valid: 'user' },
      from: { kind: 'date', valid: '2020-01-01T00:00:00Z' },
      to: { kind: 'date', valid: '2100-01-01T00:00:00+02:00' },
      limit,
      cursor,
    },
  },
  { method: 'GET', path: '/api/tenant/usage', site: 'tenant', access: 'manager', writes: false, query: { period: { kind: 'period', valid: new Date().toISOString().slice(0, 7) } } },
  { method: 'GET', path: '/api/tenant/usage/history', site: 'tenant', access: 'manager', writes: false },

  // Custom domains (the Cloudflare fake answers; its hostnames stay pending).
  { method: 'GET', path: '/api/tenant/domains', site: 'tenant', access: 'manager', writes: false },
  { method: 'GET', path: '/api/tenant/domains/:id', site: 'tenant', access: 'manager', writes: false, params: { id: uuid((o) => o.domainId) } },
  {
    method: 'POST',
    path: '/api/tenant/domains',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json({ hostname: { kind: 'format', required: true } }, (o) => ({ hostname: `new-${crypto.randomUUID().slice(0, 8)}.${o.marker}.nchat-customer.com` })),
  },
  { method: 'POST', path: '/api/tenant/domains/:id/refresh', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.domainId) } },
  { method: 'DELETE', path: '/api/tenant/domains/:id', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.doomedDomainId) } },

  // Billing (the Stripe fake answers).
  { method: 'GET', path: '/api/billing', site: 'tenant', access: 'manager', writes: false },
  {
    method: 'POST',
    path: '/api/billing/checkout',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json(
      { plan: { kind: 'enum', required: true }, interval: { kind: 'enum', required: true }, successUrl: { kind: 'url' }, cancelUrl: { kind: 'url' } },
      (o) => ({ plan: PAID_PLANS[0], interval: BILLING_INTERVALS[0], successUrl: `http://${o.host}/billing?ok=1` }),
    ),
  },
  { method: 'POST', path: '/api/billing/portal', site: 'tenant', access: 'manager', writes: true, body: json({ returnUrl: { kind: 'url' } }, (o) => ({ returnUrl: `http://${o.host}/billing` }), false) },
  {
    method: 'PUT',
    path: '/api/billing/subscription',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json({ plan: { kind: 'enum', required: true }, interval: { kind: 'enum', required: true } }, () => ({ plan: 'enterprise', interval: 'yearly' })),
  },
  { method: 'DELETE', path: '/api/billing/subscription', site: 'tenant', access: 'manager', writes: true },
  { method: 'POST', path: '/api/billing/subscription/resume', site: 'tenant', access: 'manager', writes: true },

  // Accounts.
  {
    method: 'POST',
    path: '/api/auth/login',
    site: 'tenant',
    access: 'public',
    writes: true,
    body: json({ email: { kind: 'format', required: true }, password: { kind: 'text', required: true } }, (o) => ({ email: o.ownerEmail, password: o.password })),
    cross: {
      // A's credentials on B's host (must not sign in); B's on A's host, with and without
      // headers naming B (must not either).
      bodyFrom: { default: 'A', 'b-ids-on-a': 'B', 'spoof-headers': 'B' },
    },
  },
  {
    method: 'POST',
    path: '/api/auth/handoff',
    site: 'tenant',
    access: 'public',
    writes: true,
    // The code is the credential; the suites hold none that is valid (a sign-up issues it once), so every case must be refused.
    body: json({ code: { kind: 'format', required: true } }, () => ({ code: 'x'.repeat(43) })),
  },
  { method: 'POST', path: '/api/auth/logout', site: 'tenant', access: 'member', writes: true, endsSession: true },
  { method: 'GET', path: '/api/me', site: 'tenant', access: 'member', writes: false },
  {
    method: 'GET',
    path: '/api/me/stream',
    site: 'tenant',
    access: 'member',
    writes: false,
    websocket: true,
    query: { since: { kind: 'seq', valid: '0' } },
    // It names no object: A's session on A's host opens A's own stream, whatever headers name B.
    cross: { allow2xx: { 'spoof-headers': { why: "A's own stream on A's own host (the route takes no id that could name B's)" } } },
  },
  {
    method: 'PATCH',
    path: '/api/me',
    site: 'tenant',
    access: 'member',
    writes: true,
    body: json({ displayName: { kind: 'text' }, avatarUrl: { kind: 'url', nullable: true }, statusText: { kind: 'text', nullable: true } }, () => ({ statusText: 'changed by a route probe' }), true),
  },
  {
    method: 'PUT',
    path: '/api/me/password',
    site: 'tenant',
    access: 'member',
    writes: true,
    endsSession: true,
    // Should a case slip through, the owner's password is the other of two known ones (the
    // bad-input suite signs in again with whichever works).
    body: json({ currentPassword: { kind: 'text', required: true }, newPassword: { kind: 'text', required: true } }, (o) => ({
      currentPassword: o.password,
      newPassword: o.password === OWNER_PASSWORD ? OTHER_PASSWORD : OWNER_PASSWORD,
    })),
  },
  {
    method: 'GET',
    path: '/api/users',
    site: 'tenant',
    access: 'member',
    writes: false,
    query: { search: { kind: 'like', valid: 'member' }, status: { kind: 'enum', valid: 'all' }, limit, cursor },
  },
  { method: 'GET', path: '/api/users/:id', site: 'tenant', access: 'member', writes: false, params: { id: uuid((o) => o.memberId) } },
  {
    method: 'PUT',
    path: '/api/users/:id/role',
    site: 'tenant',
    access: 'manager',
    writes: true,
    params: { id: uuid((o) => o.targetUserId) },
    body: json({ role: { kind: 'enum', required: true } }, () => ({ role: 'guest' })),
  },
  { method: 'POST', path: '/api/users/:id/deactivate', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.targetUserId) } },
  { method: 'POST', path: '/api/users/:id/reactivate', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.deactivatedUserId) } },
  {
    method: 'POST',
    path: '/api/invitations',
    site: 'tenant',
    access: 'manager',
    writes: true,
    body: json({ email: { kind: 'format', required: true }, role: { kind: 'enum' } }, () => ({ email: `probe-${crypto.randomUUID().slice(0, 8)}@example.test`, role: 'member' })),
  },
  {
    method: 'GET',
    path: '/api/invitations',
    site: 'tenant',
    access: 'manager',
    writes: false,
    query: { status: { kind: 'enum', valid: 'pending' }, limit, cursor },
  },
  { method: 'POST', path: '/api/invitations/:id/resend', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.invitationId) } },
  { method: 'DELETE', path: '/api/invitations/:id', site: 'tenant', access: 'manager', writes: true, params: { id: uuid((o) => o.doomedInvitationId) } },
  {
    method: 'GET',
    path: '/api/invitations/:token/preview',
    site: 'tenant',
    access: 'invite_token',
    writes: false,
    params: { token: { kind: 'token', of: (o) => o.inviteToken } },
    cross: {
      skip: {
        // As for accepting: B's token on B's host is a valid preview, whoever asks.
        'a-session': "B's own token on B's host is a valid preview",
        'no-session': "B's own token on B's host is a valid preview",
        'forged-token': "B's own token on B's host is a valid preview (the session is not read)",
        revoked: "B's own token on B's host is a valid preview (the session is not read)",
        deactivated: "B's own token on B's host is a valid preview (the session is not read)",
        demoted: "B's own token on B's host is a valid preview (the session is not read)",
        'host-upper': 'resolves to B: a valid preview',
        'host-dot-port': 'resolves to B: a valid preview',
        'host-custom-domain': 'resolves to B: a valid preview',
      },
    },
  },
  {
    method: 'POST',
    path: '/api/invitations/:token/accept',
    site: 'tenant',
    access: 'invite_token',
    writes: true,
    params: { token: { kind: 'token', of: (o) => o.inviteToken } },
    body: json({ displayName: { kind: 'text', required: true }, password: { kind: 'text', required: true } }, () => ({ displayName: 'Route probe', password: 'a-good-password' })),
    cross: {
      skip: {
        // The invitation token is the credential: whoever holds B's token may accept on B's
        // host, with or without a session. What must fail is B's token anywhere else.
        'a-session': 'B\'s own token on B\'s host is a valid acceptance',
        'no-session': 'B\'s own token on B\'s host is a valid acceptance',
        'forged-token': 'B\'s own token on B\'s host is a valid acceptance (the session is not read)',
        revoked: 'B\'s own token on B\'s host is a valid acceptance (the session is not read)',
        deactivated: 'B\'s own token on B\'s host is a valid acceptance (the session is not read)',
        demoted: 'B\'s own token on B\'s host is a valid acceptance (the session is not read)',
        'host-upper': 'resolves to B: a valid acceptance',
        'host-dot-port': 'resolves to B: a valid acceptance',
        'host-custom-domain': 'resolves to B: a valid acceptance',
      },
    },
  },

  // Channels.
  {
    method: 'POST',
    path: '/api/channels',
    site: 'tenant',
    access: 'member',
    writes: true,
    body: json(
      { name: { kind: 'format', required: true }, kind: { kind: 'enum' }, topic: { kind: 'text' }, description: { kind: 'text' }, memberIds: { kind: 'uuids', ref: true } },
      (o) => ({ name: `probe-${crypto.randomUUID().slice(0, 8)}`, kind: 'public', topic: 'probe', memberIds: [o.memberId] }),
    ),
  },
  { method: 'GET', path: '/api/channels', site: 'tenant', access: 'member', writes: false, query: { archived: { kind: 'flag', valid: 'true' } } },
  { method: 'GET', path: '/api/channels/:id', site: 'tenant', access: 'member', writes: false, params: channel },
  {
    method: 'PATCH',
    path: '/api/channels/:id',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: channel,
    body: json({ name: { kind: 'format' }, topic: { kind: 'text' }, description: { kind: 'text' } }, () => ({ topic: 'changed by a route probe' }), true),
  },
  { method: 'POST', path: '/api/channels/:id/archive', site: 'tenant', access: 'member', writes: true, params: channel },
  { method: 'POST', path: '/api/channels/:id/unarchive', site: 'tenant', access: 'member', writes: true, params: { id: uuid((o) => o.archivedChannelId) } },
  { method: 'DELETE', path: '/api/channels/:id', site: 'tenant', access: 'member', writes: true, params: { id: uuid((o) => o.doomedChannelId) } },
  { method: 'POST', path: '/api/channels/:id/join', site: 'tenant', access: 'member', writes: true, params: channel },
  { method: 'POST', path: '/api/channels/:id/leave', site: 'tenant', access: 'member', writes: true, params: channel },
  { method: 'GET', path: '/api/channels/:id/members', site: 'tenant', access: 'member', writes: false, params: channel },
  {
    method: 'POST',
    path: '/api/channels/:id/members',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: { id: uuid((o) => o.privateChannelId) },
    body: json({ userId: { kind: 'uuid', required: true, ref: true } }, (o) => ({ userId: o.adminId })),
  },
  {
    method: 'DELETE',
    path: '/api/channels/:id/members/:userId',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: { id: uuid((o) => o.channelId), userId: uuid((o) => o.adminId) },
  },
  { method: 'POST', path: '/api/channels/:id/read', site: 'tenant', access: 'member', writes: true, params: channel, body: json({ seq: { kind: 'int', required: true } }, () => ({ seq: 1 })) },
  { method: 'POST', path: '/api/channels/:id/ws-ticket', site: 'tenant', access: 'member', writes: false, params: channel },
  {
    method: 'GET',
    path: '/api/channels/:id/ws',
    site: 'tenant',
    access: 'member',
    writes: false,
    websocket: true,
    params: channel,
    query: { since: { kind: 'seq', valid: '0' }, ticket: { kind: 'token', valid: 'not-a-ticket' } },
  },
  {
    method: 'POST',
    path: '/api/channels/:id/messages',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: channel,
    body: json(
      { text: { kind: 'text', required: true }, parentId: { kind: 'int', nullable: true, ref: true }, clientId: { kind: 'text', nullable: true }, attachmentIds: { kind: 'uuids', ref: true } },
      (o) => ({ text: 'posted by a route probe', parentId: Number(o.messageId), clientId: 'probe-1' }),
    ),
  },
  {
    method: 'GET',
    path: '/api/channels/:id/messages',
    site: 'tenant',
    access: 'member',
    writes: false,
    params: channel,
    query: { before: { kind: 'seq', valid: '1000' }, after: { kind: 'seq', valid: '0' }, limit },
  },
  {
    method: 'POST',
    path: '/api/channels/:id/attachments',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: channel,
    body: { kind: 'upload' },
    query: { filename: { kind: 'text', valid: 'probe.txt', send: true } },
    bad: { skipQuery: 'the file name is sanitised, not refused (src/attachments/filename.ts): any ?filename= with a valid body stores a file' },
  },
  { method: 'GET', path: '/api/channels/:id/attachments', site: 'tenant', access: 'member', writes: false, params: channel, query: { limit, cursor } },
  { method: 'POST', path: '/api/dms', site: 'tenant', access: 'member', writes: true, body: json({ userId: { kind: 'uuid', required: true, ref: true } }, (o) => ({ userId: o.adminId })) },

  // Messages.
  { method: 'GET', path: '/api/messages/:id', site: 'tenant', access: 'member', writes: false, params: message },
  { method: 'PATCH', path: '/api/messages/:id', site: 'tenant', access: 'member', writes: true, params: message, body: json({ text: { kind: 'text', required: true } }, () => ({ text: 'edited by a route probe' })) },
  { method: 'DELETE', path: '/api/messages/:id', site: 'tenant', access: 'member', writes: true, params: { id: int((o) => o.doomedMessageId) } },
  { method: 'GET', path: '/api/messages/:id/thread', site: 'tenant', access: 'member', writes: false, params: message, query: { after: { kind: 'seq', valid: '0' }, limit } },
  { method: 'POST', path: '/api/messages/:id/reactions', site: 'tenant', access: 'member', writes: true, params: message, body: json({ emoji: { kind: 'format', required: true } }, () => ({ emoji: ':tada:' })) },
  {
    method: 'DELETE',
    path: '/api/messages/:id/reactions/:emoji',
    site: 'tenant',
    access: 'member',
    writes: true,
    params: { id: int((o) => o.messageId), emoji: { kind: 'emoji', of: (o) => o.emoji } },
  },
  {
    method: 'GET',
    path: '/api/search',
    site: 'tenant',
    access: 'member',
    writes: false,
    query: { q: { kind: 'like', valid: 'message', required: true }, limit, cursor: { kind: 'seq', valid: '0' } },
  },

  // Attachments.
  { method: 'GET', path: '/api/attachments/:id/meta', site: 'tenant', access: 'member', writes: false, params: { id: uuid((o) => o.attachmentId) } },
  { method: 'GET', path: '/api/attachments/:id', site: 'tenant', access: 'member', writes: false, params: { id: uuid((o) => o.attachmentId) } },
  { method: 'DELETE', path: '/api/attachments/:id', site: 'tenant', access: 'member', writes: true, params: { id: uuid((o) => o.doomedAttachmentId) } },
];

export function keyOf(r: { method: string; path: string }): string {
  return `${r.method} ${r.path}`;
}

/** app.routes as `METHOD path`, deduplicated (a route with inline middleware appears once per handler), without `ALL` middleware. */
export function appRouteKeys(routes: readonly { method: string; path: string }[]): string[] {
  return [...new Set(routes.filter((r) => r.method !== 'ALL').map(keyOf))];
}

/** What the table and app.routes disagree on. */
export function inventory(routes: readonly { method: string; path: string }[]): { missing: string[]; stale: string[]; duplicated: string[] } {
  const app = new Set(appRouteKeys(routes));
  const keys = TABLE.map(keyOf);
  const table = new Set(keys);
  return {
    missing: [...app].filter((k) => !table.has(k)),
    stale: [...table].filter((k) => !app.has(k)),
    duplicated: keys.filter((k, i) => keys.indexOf(k) !== i),
  };
}
