/**
 * The tenant management API (issue 3, points 6–8): who may do what on /api/tenants/:id and the
 * platform's lists and lookups, the lifecycle of a workspace (suspend, delete with a grace
 * period, restore, purge, the purging cron), the routes a workspace host serves about itself
 * (/api/tenant, its settings and audit log, health), and the audit rows every change leaves.
 *
 * Everything goes through the Worker as a client would; the database is read directly only to
 * check what a purge leaves behind (schemas, roles, rows no API can show any more).
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { signSession } from '../src/auth/session';
import { tenantDomains } from '../src/db/schema';
import { TEST_SESSION_SECRET } from './support/constants';
import { envWith } from './support/gateway';
import { addUser, adminAuth, api, bearer, createTenant, database, PLATFORM, schemaOf, tenantUrl, uniqueSlug, type ApiResult, type CreatedTenant } from './support/tenants';
import { insertActiveDomain } from './support/domains';

const DAY_MS = 86_400_000;


function adminGet(id: string) {
  return api(`${PLATFORM}/api/tenants/${id}`, { headers: adminAuth });
}

/** The tenant as a platform admin sees it (row and settings); fails the test if it is gone. */
async function adminView(id: string): Promise<Record<string, any>> {
  const res = await adminGet(id);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

interface AuditEntryView {
  id: number;
  action: string;
  actor: { type: string; id: string | null };
  resource: { type: string; id: string | null };
  oldValues: Record<string, any> | null;
  newValues: Record<string, any> | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: string;
}

/** GET /api/tenant/audit-logs on the tenant's host, as `token` (default: the owner). */
function auditLogs(t: CreatedTenant, query = '', token = t.token) {
  return api<{ entries: AuditEntryView[]; nextCursor: string | null; error?: any }>(tenantUrl(t.slug, `/api/tenant/audit-logs?limit=100${query ? `&${query}` : ''}`), { headers: bearer(token) });
}

async function auditEntries(t: CreatedTenant, query = ''): Promise<AuditEntryView[]> {
  const res = await auditLogs(t, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

async function count(query: Promise<Record<string, unknown>[]>): Promise<number> {
  const rows = await query;
  return Number(rows[0]!.n);
}

// ---------------------------------------------------------------------------------------------
// 1. Authorization on every management route
// ---------------------------------------------------------------------------------------------

type Caller = 'anonymous' | 'forgedOwner' | 'expiredOwner' | 'member' | 'tenantAdmin' | 'otherOwner' | 'owner' | 'platformAdmin';
type RouteName = 'get' | 'update' | 'delete' | 'suspend' | 'unsuspend' | 'restore' | 'purge' | 'list';

interface Route {
  method: string;
  path: (id: string) => string;
  body?: unknown;
}

const ROUTES: Record<RouteName, Route> = {
  get: { method: 'GET', path: (id) => `/api/tenants/${id}` },
  update: { method: 'PUT', path: (id) => `/api/tenants/${id}`, body: { name: 'Renamed by the caller' } },
  delete: { method: 'DELETE', path: (id) => `/api/tenants/${id}` },
  suspend: { method: 'POST', path: (id) => `/api/tenants/${id}/suspend`, body: { reason: 'abuse report' } },
  unsuspend: { method: 'POST', path: (id) => `/api/tenants/${id}/unsuspend` },
  restore: { method: 'POST', path: (id) => `/api/tenants/${id}/restore` },
  purge: { method: 'DELETE', path: (id) => `/api/tenants/${id}?purge=true` },
  list: { method: 'GET', path: () => `/api/tenants` },
};
const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];
const ID_ROUTES = ROUTE_NAMES.filter((r) => r !== 'list');
const OWNER_MAY: RouteName[] = ['get', 'update', 'delete'];

function callRoute(route: RouteName, id: string, headers: Record<string, string>, base = PLATFORM) {
  const r = ROUTES[route];
  return api(`${base}${r.path(id)}`, { method: r.method, headers, ...(r.body === undefined ? {} : { json: r.body }) });
}

/** [route, caller, status, code] for every call that must be refused. */
const REFUSED: [RouteName, Caller, number, string][] = [
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'anonymous', 401, 'unauthorized']),
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'forgedOwner', 401, 'invalid_session']),
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'expiredOwner', 401, 'invalid_session']),
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'member', 403, 'forbidden']),
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'tenantAdmin', 403, 'forbidden']),
  ...ROUTE_NAMES.map((r): [RouteName, Caller, number, string] => [r, 'otherOwner', 403, 'forbidden']),
  ...ROUTE_NAMES.filter((r) => !OWNER_MAY.includes(r)).map((r): [RouteName, Caller, number, string] => [r, 'owner', 403, 'forbidden']),
];

describe('management routes: who may call them', () => {
  let target: CreatedTenant;
  let other: CreatedTenant;
  const headersOf = {} as Record<Caller, Record<string, string>>;
  let baseline: Record<string, any>;

  beforeAll(async () => {
    // target on a Pro trial: its audit log (a Pro feature) is read below.
    [target, other] = await Promise.all([createTenant({ trial: true }), createTenant()]);
    const [member, tenantAdmin] = await Promise.all([addUser(target, 'member'), addUser(target, 'admin')]);
    const ownerClaims = { sub: target.ownerId, tid: target.id, role: 'owner' as const, sv: 1 };
    Object.assign(headersOf, {
      anonymous: {},
      // The owner's claims signed with another secret, and a genuine owner token that has expired.
      forgedOwner: bearer(await signSession('not-the-session-secret-0123456789abcdef', ownerClaims)),
      expiredOwner: bearer(await signSession(TEST_SESSION_SECRET, ownerClaims, 1, Date.now() - 2 * DAY_MS)),
      member: bearer(member.token),
      tenantAdmin: bearer(tenantAdmin.token),
      otherOwner: bearer(other.token),
      owner: bearer(target.token),
      platformAdmin: adminAuth,
    });
    baseline = await adminView(target.id);
  });

  it.each(REFUSED)('%s by %s → %i %s, and nothing changes', async (route, caller, status, code) => {
    const res = await callRoute(route, target.id, headersOf[caller]);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    // The refused call left no trace: same row (version, timestamps), same settings.
    expect(await adminView(target.id)).toEqual(baseline);
    // And the workspace still serves its host.
    expect((await api(tenantUrl(target.slug, '/api/tenant'))).status).toBe(200);
  });

  it("the owner's own refused calls write no audit row", async () => {
    const before = await auditEntries(target);
    for (const route of ['suspend', 'unsuspend', 'restore', 'purge'] as const) {
      expect((await callRoute(route, target.id, headersOf.owner)).status).toBe(403);
    }
    expect(await auditEntries(target)).toEqual(before);
  });

  it("the other tenant's owner may read their own tenant: the 403s above are about whose tenant it is", async () => {
    expect((await callRoute('get', other.id, headersOf.otherOwner)).status).toBe(200);
  });

  /** What each allowed call needs first, and what it must have done. */
  const ALLOWED: { route: RouteName; caller: Caller; prepare?: (t: CreatedTenant) => Promise<void>; verify: (t: CreatedTenant, res: ApiResult<Record<string, any>>) => Promise<void> }[] = [
    { route: 'get', caller: 'owner', verify: async (t, res) => { expect(res.body.tenant).toMatchObject({ id: t.id, slug: t.slug }); expect(res.body.tenant.schemaName).toBeUndefined(); expect(res.body.settings).toMatchObject({ timezone: 'UTC' }); } },
    { route: 'update', caller: 'owner', verify: async (t) => expect((await adminView(t.id)).tenant.name).toBe('Renamed by the caller') },
    { route: 'delete', caller: 'owner', verify: async (t) => expect((await adminView(t.id)).tenant.status).toBe('cancelled') },
    { route: 'get', caller: 'platformAdmin', verify: async (t, res) => expect(res.body.tenant).toMatchObject({ id: t.id, schemaName: schemaOf(t.slug) }) },
    { route: 'update', caller: 'platformAdmin', verify: async (t) => expect((await adminView(t.id)).tenant.name).toBe('Renamed by the caller') },
    { route: 'delete', caller: 'platformAdmin', verify: async (t) => expect((await adminView(t.id)).tenant.status).toBe('cancelled') },
    { route: 'suspend', caller: 'platformAdmin', verify: async (t) => expect((await adminView(t.id)).tenant).toMatchObject({ status: 'suspended', suspendedReason: 'abuse report' }) },
    {
      route: 'unsuspend',
      caller: 'platformAdmin',
      prepare: async (t) => { expect((await callRoute('suspend', t.id, adminAuth)).status).toBe(200); },
      verify: async (t) => expect((await adminView(t.id)).tenant.status).toBe('active'),
    },
    {
      route: 'restore',
      caller: 'platformAdmin',
      prepare: async (t) => { expect((await callRoute('delete', t.id, adminAuth)).status).toBe(200); },
      verify: async (t) => expect((await adminView(t.id)).tenant).toMatchObject({ status: 'active', deletionScheduledAt: null }),
    },
    { route: 'purge', caller: 'platformAdmin', verify: async (t) => expect((await adminGet(t.id)).status).toBe(404) },
    { route: 'list', caller: 'platformAdmin', verify: async (_t, res) => expect(Array.isArray(res.body.tenants)).toBe(true) },
  ];

  it.each(ALLOWED.map((a) => [a.route, a.caller, a] as const))('%s by %s is allowed', async (route, caller, a) => {
    const t = await createTenant();
    await a.prepare?.(t);
    const headers = caller === 'owner' ? bearer(t.token) : adminAuth;
    const res = await callRoute(route, t.id, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await a.verify(t, res);
  });

  it.each(ID_ROUTES)('%s of an unknown id (as platform admin) → 404', async (route) => {
    const res = await callRoute(route, crypto.randomUUID(), adminAuth);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it.each(ID_ROUTES)('%s of a malformed id (as platform admin) → 404, never a database error', async (route) => {
    for (const id of ['not-a-uuid', '123', "x'; DROP TABLE tenants; --"]) {
      const res = await callRoute(route, encodeURIComponent(id), adminAuth);
      expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it.each(ROUTE_NAMES)('%s on a workspace host → 404 (platform only), even for the platform admin and the owner', async (route) => {
    for (const headers of [adminAuth, headersOf.owner]) {
      const res = await callRoute(route, target.id, headers, tenantUrl(target.slug, '').replace(/\/$/, ''));
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await adminView(target.id)).toEqual(baseline);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. PUT /api/tenants/:id — what owners and platform admins may change, and its audit trail
// ---------------------------------------------------------------------------------------------

describe('PUT /api/tenants/:id', () => {
  it('lets the owner change name, branding and settings, visible on the tenant host at once', async () => {
    const t = await createTenant({ trial: true });
    // Warm the host cache first: the change must still show on the next request.
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.name).toBe(`Workspace ${t.slug}`);
    const branding = { appName: 'Acme Chat', primaryColor: '#112233', logoUrl: 'https://cdn.example.com/logo.png' };
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, {
      method: 'PUT',
      headers: bearer(t.token),
      json: { name: 'Acme Renamed', branding, settings: { timezone: 'Europe/Paris', passwordMinLength: 12 } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ name: 'Acme Renamed', branding });
    expect(res.body.tenant.schemaName).toBeUndefined(); // the owner's view
    expect(res.body.settings).toMatchObject({ timezone: 'Europe/Paris', passwordMinLength: 12, language: 'en' });

    const host = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(host.body.tenant).toMatchObject({ name: 'Acme Renamed', branding });
    const settings = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: bearer(t.token) });
    expect(settings.body.settings).toMatchObject({ timezone: 'Europe/Paris', passwordMinLength: 12 });
  });

  it('writes tenant.updated (old/new name) and tenant.settings_updated with the owner as actor', async () => {
    const t = await createTenant({ trial: true });
    const oldName = `Workspace ${t.slug}`;
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, {
      method: 'PUT',
      headers: { ...bearer(t.token), 'cf-connecting-ip': '203.0.113.7', 'user-agent': 'nchat-tests/1.0' },
      json: { name: 'New Name', settings: { timezone: 'Europe/Paris' } },
    });
    expect(res.status).toBe(200);
    const updated = await auditEntries(t, 'action=tenant.updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      action: 'tenant.updated',
      actor: { type: 'user', id: t.ownerId },
      resource: { type: 'tenant', id: t.id },
      oldValues: { name: oldName },
      newValues: { name: 'New Name' },
      ipAddress: '203.0.113.7',
      userAgent: 'nchat-tests/1.0',
      requestId: res.headers.get('x-request-id'),
    });
    // Only what changed is recorded.
    expect(Object.keys(updated[0]!.newValues!)).toEqual(['name']);
    const settings = await auditEntries(t, 'action=tenant.settings_updated');
    expect(settings).toHaveLength(1);
    expect(settings[0]).toMatchObject({
      actor: { type: 'user', id: t.ownerId },
      resource: { type: 'tenant_settings', id: t.id },
      oldValues: { timezone: 'UTC' },
      newValues: { timezone: 'Europe/Paris' },
    });
  });

  it('an update that changes nothing writes no audit row and does not bump the version', async () => {
    const t = await createTenant({ trial: true });
    const before = await adminView(t.id);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { name: `Workspace ${t.slug}`, settings: { timezone: 'UTC' } } });
    expect(res.status).toBe(200);
    expect((await adminView(t.id)).tenant.version).toBe(before.tenant.version);
    expect((await auditEntries(t)).map((e) => e.action)).toEqual(['tenant.created']);
  });

  it.each([
    [{ plan: 'pro' }, ['plan']],
    [{ limits: { users: 1000 } }, ['limits']],
    [{ features: { sso: true } }, ['features']],
    [{ status: 'active' }, ['status']],
    [{ trialEndsAt: null, billingInterval: 'yearly' }, ['billingInterval', 'trialEndsAt']],
    [{ name: 'Sneaky', plan: 'enterprise', limits: { users: null }, features: { sso: true }, status: 'active' }, ['plan', 'status', 'limits', 'features']],
  ])('refuses the owner %j → 403 forbidden_field naming %j, and changes nothing', async (patch, fields) => {
    const t = await createTenant({ trial: true });
    const before = await adminView(t.id);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: patch });
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.error.code).toBe('forbidden_field');
    expect([...res.body.error.details.fields].sort()).toEqual([...fields].sort());
    for (const f of fields) expect(res.body.error.message).toContain(f);
    expect(await adminView(t.id)).toEqual(before);
    expect((await auditEntries(t)).map((e) => e.action)).toEqual(['tenant.created']);
  });

  it('lets a platform admin change the plan: the tenant host shows the new limits and features at once', async () => {
    const t = await createTenant();
    const warm = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(warm.body.tenant).toMatchObject({ plan: 'free', limits: { users: 10, channels: 5 }, features: { search: false } });

    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'pro', billingInterval: 'monthly' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ plan: 'pro', billingPlan: 'pro', billingInterval: 'monthly', schemaName: schemaOf(t.slug) });

    const host = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(host.body.tenant).toMatchObject({
      plan: 'pro',
      limits: { users: 100, channels: 50, requestsPerMinute: 120 },
      features: { search: true, auditLog: true, customDomains: true, sso: false },
    });

    const planChanged = await auditEntries(t, 'action=tenant.plan_changed');
    expect(planChanged).toHaveLength(1);
    expect(planChanged[0]).toMatchObject({ actor: { type: 'platform_admin', id: null }, oldValues: { plan: 'free' }, newValues: { plan: 'pro' } });
    const updated = await auditEntries(t, 'action=tenant.updated');
    expect(updated[0]).toMatchObject({ actor: { type: 'platform_admin' }, oldValues: { billingPlan: 'free', billingInterval: null }, newValues: { billingPlan: 'pro', billingInterval: 'monthly' } });
  });

  it('lets a platform admin set a custom deal: limits override on top of the plan', async () => {
    const t = await createTenant();
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'custom', limits: { users: 3 } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ plan: 'custom', limitOverrides: { users: 3 } });
    const host = await api(tenantUrl(t.slug, '/api/tenant'));
    // users from the override; the rest from the custom plan (enterprise-like).
    expect(host.body.tenant.limits).toMatchObject({ users: 3, channels: null, requestsPerMinute: 300 });
    expect(host.body.tenant.features).toMatchObject({ sso: true });
    const updated = await auditEntries(t, 'action=tenant.updated');
    expect(updated[0]).toMatchObject({ actor: { type: 'platform_admin' }, oldValues: { limits: {} }, newValues: { limits: { users: 3 } } });
  });

  it('lets a platform admin override features', async () => {
    const t = await createTenant();
    // auditLog too: the free tenant can then read its audit log (a Pro feature) below.
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { features: { search: true, fileUploads: false, auditLog: true } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const host = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(host.body.tenant).toMatchObject({ plan: 'free', features: { search: true, fileUploads: false, auditLog: true, publicChannels: true, sso: false } });
    const updated = await auditEntries(t, 'action=tenant.updated');
    expect(updated[0]).toMatchObject({ oldValues: { features: {} }, newValues: { features: { search: true, fileUploads: false, auditLog: true } } });
  });

  it.each([
    ['branding colour "red"', { branding: { primaryColor: 'red' } }, 'branding.primaryColor'],
    ['a logo that is not http(s)', { branding: { logoUrl: 'javascript:alert(1)' } }, 'branding.logoUrl'],
    ['an unknown branding key', { branding: { css: 'body{}' } }, 'branding'],
    ['timezone Mars/Base', { settings: { timezone: 'Mars/Base' } }, 'settings.timezone'],
    ['password minimum 4', { settings: { passwordMinLength: 4 } }, 'settings.passwordMinLength'],
    ['an empty name', { name: '   ' }, 'name'],
    ['an empty body', {}, ''],
    ['an unknown field', { schemaName: 'public' }, ''],
  ])('rejects %s → 400 validation_failed, nothing changes', async (_label, patch, path) => {
    const t = await createTenant();
    const before = await adminView(t.id);
    for (const headers of [bearer(t.token), adminAuth]) {
      const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers, json: patch });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      if (path) expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect(await adminView(t.id)).toEqual(before);
  });

  it('rejects a plan or status outside the lists, even from a platform admin', async () => {
    const t = await createTenant();
    for (const patch of [{ plan: 'platinum' }, { status: 'cancelled' }, { limits: { users: -1 } }, { features: { teleport: true } }]) {
      const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: patch });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('concurrent edits never overwrite each other silently: each success has its audit row, the rest get 409', async () => {
    const t = await createTenant({ trial: true });
    const names = ['Edit A', 'Edit B', 'Edit C', 'Edit D'];
    const results = await Promise.all(
      names.map((name, i) => api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: i % 2 ? adminAuth : bearer(t.token), json: { name } })),
    );
    for (const r of results) expect([200, 409], JSON.stringify(r.body)).toContain(r.status);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('conflict');
    const after = await adminView(t.id);
    expect(after.tenant.version).toBe(1 + ok.length);
    const updates = await auditEntries(t, 'action=tenant.updated');
    expect(updates).toHaveLength(ok.length);
    // The newest audit row describes the state that won.
    expect(updates[0]!.newValues!.name).toBe(after.tenant.name);
  });

  it('rejects a body over 64 KB → 413 payload_too_large', async () => {
    const t = await createTenant();
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { name: 'x'.repeat(70 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect((await adminView(t.id)).tenant.name).toBe(`Workspace ${t.slug}`);
  });

  it('rejects a body that is not JSON → 400 invalid_json', async () => {
    const t = await createTenant();
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: { ...bearer(t.token), 'content-type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Lookups by slug and by domain
// ---------------------------------------------------------------------------------------------

describe('GET /api/tenants/by-slug and /by-domain', () => {
  let t: CreatedTenant;
  beforeAll(async () => {
    t = await createTenant({ trial: true, plan: 'pro' });
  });

  it('shows anyone (and the owner) the public fields only', async () => {
    for (const headers of [{}, bearer(t.token)]) {
      const res = await api(`${PLATFORM}/api/tenants/by-slug?slug=${t.slug}`, { headers });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.tenant).sort()).toEqual(['branding', 'id', 'name', 'plan', 'slug', 'status']);
      expect(res.body.tenant).toEqual({ id: t.id, name: `Workspace ${t.slug}`, slug: t.slug, status: 'trial', branding: {}, plan: 'pro' });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(`owner@${t.slug}.test`);
      expect(text).not.toContain(schemaOf(t.slug));
    }
  });

  it('shows a platform admin everything', async () => {
    const res = await api(`${PLATFORM}/api/tenants/by-slug?slug=${t.slug}`, { headers: adminAuth });
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: t.id, schemaName: schemaOf(t.slug), roleName: schemaOf(t.slug), ownerEmail: `owner@${t.slug}.test`, stripeCustomerId: null });
  });

  it('answers 404 tenant_not_found for an unknown slug and 400 for a malformed one', async () => {
    const unknown = await api(`${PLATFORM}/api/tenants/by-slug?slug=${uniqueSlug('nobody')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('tenant_not_found');
    for (const q of ['?slug=Not%20A%20Slug', '']) {
      const bad = await api(`${PLATFORM}/api/tenants/by-slug${q}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
    }
  });

  it('finds a tenant by an active custom domain (case-insensitively), not by a pending one', async () => {
    const active = `chat.${t.slug}.example.com`;
    const pending = `pending.${t.slug}.example.com`;
    await insertActiveDomain(t.id, active);
    await database().db.insert(tenantDomains).values({ tenantId: t.id, hostname: pending, status: 'pending', verification: {} });
    const anon = await api(`${PLATFORM}/api/tenants/by-domain?domain=${active.toUpperCase()}`);
    expect(anon.status).toBe(200);
    expect(anon.body.tenant).toEqual({ id: t.id, name: `Workspace ${t.slug}`, slug: t.slug, status: 'trial', branding: {}, plan: 'pro' });
    const admin = await api(`${PLATFORM}/api/tenants/by-domain?domain=${active}`, { headers: adminAuth });
    expect(admin.body.tenant).toMatchObject({ id: t.id, schemaName: schemaOf(t.slug) });

    const notActive = await api(`${PLATFORM}/api/tenants/by-domain?domain=${pending}`);
    expect(notActive.status).toBe(404);
    expect(notActive.body.error.code).toBe('tenant_not_found');
    const unknown = await api(`${PLATFORM}/api/tenants/by-domain?domain=${uniqueSlug('nowhere')}.example.org`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('tenant_not_found');
    const missing = await api(`${PLATFORM}/api/tenants/by-domain`);
    expect(missing.status).toBe(400);
  });

  it('the lookups are platform routes: 404 on a workspace host', async () => {
    const res = await api(tenantUrl(t.slug, `/api/tenants/by-slug?slug=${t.slug}`));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. GET /api/tenants — the platform admin's list
// ---------------------------------------------------------------------------------------------

describe('GET /api/tenants (platform admin)', () => {
  const prefix = `Lst${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const created: CreatedTenant[] = [];

  function list(query: string) {
    return api<{ tenants: Record<string, any>[]; nextCursor: string | null; error?: any }>(`${PLATFORM}/api/tenants?${query}`, { headers: adminAuth });
  }

  beforeAll(async () => {
    // One after the other, so their creation times are ordered.
    created.push(await createTenant({ name: `${prefix} one` }));
    created.push(await createTenant({ name: `${prefix} two` }));
    created.push(await createTenant({ name: `${prefix} three`, trial: true, plan: 'pro' }));
  });

  it('pages newest first with an opaque cursor, without duplicates or gaps', async () => {
    const first = await list(`search=${prefix}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.tenants.map((x) => x.id)).toEqual([created[2]!.id, created[1]!.id]);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await list(`search=${prefix}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect(second.status).toBe(200);
    expect(second.body.tenants.map((x) => x.id)).toEqual([created[0]!.id]);
    expect(second.body.nextCursor).toBeNull();

    const all = [...first.body.tenants, ...second.body.tenants].map((x) => x.id);
    expect(new Set(all).size).toBe(3);
    // Admin view: internal names are there.
    expect(first.body.tenants[0]).toMatchObject({ schemaName: schemaOf(created[2]!.slug), ownerEmail: `owner@${created[2]!.slug}.test` });
  });

  it('an exact page leaves no empty next page', async () => {
    const page = await list(`search=${prefix}&limit=3`);
    expect(page.body.tenants).toHaveLength(3);
    expect(page.body.nextCursor).toBeNull();
  });

  it('filters by status, plan and search (name, slug or owner email)', async () => {
    const ids = (r: Awaited<ReturnType<typeof list>>) => r.body.tenants.map((x) => x.id);
    expect(ids(await list(`search=${prefix}&status=trial`))).toEqual([created[2]!.id]);
    expect(ids(await list(`search=${prefix}&status=active`))).toEqual([created[1]!.id, created[0]!.id]);
    expect(ids(await list(`search=${prefix}&plan=pro`))).toEqual([created[2]!.id]);
    expect(ids(await list(`search=${prefix}&plan=free&status=active`))).toEqual([created[1]!.id, created[0]!.id]);
    expect(ids(await list(`search=${prefix}&status=suspended`))).toEqual([]);
    expect(ids(await list(`search=${created[1]!.slug}`))).toEqual([created[1]!.id]);
    expect(ids(await list(`search=${encodeURIComponent(`owner@${created[0]!.slug}`)}`))).toEqual([created[0]!.id]);
    expect(ids(await list(`search=${prefix.toLowerCase()}%20TWO`))).toEqual([created[1]!.id]);
  });

  it('pages correctly through tenants created in the same instant (ties broken by id)', async () => {
    const tiePrefix = `Tie${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const tied = await Promise.all([1, 2, 3, 4].map((n) => createTenant({ name: `${tiePrefix} ${n}` })));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: Awaited<ReturnType<typeof list>> = await list(`search=${tiePrefix}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.tenants.map((x) => x.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(4);
    expect([...seen].sort()).toEqual(tied.map((x) => x.id).sort());
    const whole = await list(`search=${tiePrefix}&limit=10`);
    expect(whole.body.tenants.map((x) => x.id)).toEqual(seen);
  });

  it('treats % and _ in a search as literal characters', async () => {
    expect((await list(`search=${encodeURIComponent('%')}&limit=100`)).body.tenants).toEqual([]);
    expect((await list(`search=${encodeURIComponent(`${prefix}_`)}`)).body.tenants).toEqual([]);
  });

  it.each([
    ['garbage', 'invalid_cursor'],
    [btoa('not json'), 'invalid_cursor'],
    [btoa(JSON.stringify({ t: 'yesterday', id: crypto.randomUUID() })), 'invalid_cursor'],
    [btoa(JSON.stringify({ t: new Date().toISOString(), id: 'x' })), 'invalid_cursor'],
    [btoa(JSON.stringify({ id: 5 })), 'invalid_cursor'],
  ])('rejects cursor %s → 400 %s', async (cursor, code) => {
    const res = await list(`cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it.each(['limit=1000', 'limit=0', 'limit=two', 'status=deleted', 'plan=platinum'])('rejects %s → 400 validation_failed', async (query) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Lifecycle: delete with grace, restore, suspend, purge, the purging cron
// ---------------------------------------------------------------------------------------------

describe('workspace lifecycle', () => {
  it("owner's DELETE cancels now and schedules deletion after 30 days; the host answers 410", async () => {
    const t = await createTenant({ trial: true, plan: 'pro' });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200); // warm cache
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant.status).toBe('cancelled');
    const scheduled = Date.parse(res.body.deletionScheduledAt);
    expect(Math.abs(scheduled - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);
    expect(res.body.tenant.deletionScheduledAt).toBe(res.body.deletionScheduledAt);

    for (const path of ['/api/tenant', '/api/tenant/settings', '/api/tenant/audit-logs']) {
      const host = await api(tenantUrl(t.slug, path), { headers: bearer(t.token) });
      expect(host.status, path).toBe(410);
      expect(host.body.error.code).toBe('tenant_cancelled');
    }
    // A person in a browser gets a page, not JSON.
    const page = await api(tenantUrl(t.slug, '/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(410);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);

    // The owner can still see it (and when it goes), but can no longer change it.
    const own = await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: bearer(t.token) });
    expect(own.status).toBe(200);
    expect(own.body.tenant.deletionScheduledAt).toBe(res.body.deletionScheduledAt);
    const put = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { name: 'Too late' } });
    expect(put.status).toBe(409);
    // Deleting again changes nothing (the grace period does not restart).
    const again = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) });
    expect(again.status).toBe(200);
    expect(again.body.deletionScheduledAt).toBe(res.body.deletionScheduledAt);
  });

  it('a platform admin restores a workspace in grace: its status comes back (trial) and the host works again', async () => {
    const t = await createTenant({ trial: true, plan: 'pro' });
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(410);

    const res = await api(`${PLATFORM}/api/tenants/${t.id}/restore`, { method: 'POST', headers: adminAuth });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ status: 'trial', cancelledAt: null, deletionScheduledAt: null, plan: 'pro' });
    const host = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(host.status).toBe(200);
    expect(host.body.tenant).toMatchObject({ status: 'trial', plan: 'pro', trial: { expired: false } });

    const entries = await auditEntries(t);
    expect(entries.map((e) => e.action)).toEqual(['tenant.restored', 'tenant.deletion_scheduled', 'tenant.created']);
    expect(entries[1]).toMatchObject({ actor: { type: 'user', id: t.ownerId }, oldValues: { status: 'trial' }, newValues: { status: 'cancelled', deletionScheduledAt: expect.any(String) } });
    expect(entries[0]).toMatchObject({ actor: { type: 'platform_admin', id: null }, oldValues: { status: 'cancelled' }, newValues: { status: 'trial' } });
  });

  it('the grace period comes from TENANT_DELETION_GRACE_DAYS', async () => {
    const t = await createTenant();
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: adminAuth }), envWith({ TENANT_DELETION_GRACE_DAYS: '7' }) as never, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deletionScheduledAt: string; tenant: { status: string } };
    expect(body.tenant.status).toBe('cancelled');
    expect(Math.abs(Date.parse(body.deletionScheduledAt) - (Date.now() + 7 * DAY_MS))).toBeLessThan(60_000);
    const [entry] = await database().sql`SELECT actor_type, new_values FROM public.tenant_audit_logs WHERE tenant_id = ${t.id} AND action = 'tenant.deletion_scheduled'`;
    expect(entry).toMatchObject({ actor_type: 'platform_admin', new_values: { status: 'cancelled', deletionScheduledAt: body.deletionScheduledAt } });
  });

  it('restoring a workspace that is not awaiting deletion → 409', async () => {
    const t = await createTenant();
    const before = await adminView(t.id);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}/restore`, { method: 'POST', headers: adminAuth });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(await adminView(t.id)).toEqual(before);
  });

  it('suspend (with a reason) → 403 tenant_suspended on the host; unsuspend brings it back', async () => {
    const t = await createTenant();
    // An active Pro workspace (not a trial: the statuses below are active/suspended): the audit log is a Pro feature.
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'pro' } })).status).toBe(200);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200); // warm cache
    const res = await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'unpaid invoices' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ status: 'suspended', suspendedReason: 'unpaid invoices', suspendedAt: expect.any(String) });

    for (const headers of [{}, bearer(t.token)]) {
      const host = await api(tenantUrl(t.slug, '/api/tenant'), { headers });
      expect(host.status).toBe(403);
      expect(host.body.error.code).toBe('tenant_suspended');
    }
    expect((await api(tenantUrl(t.slug, '/api/health'))).status).toBe(403);
    // Suspending again is harmless.
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth })).status).toBe(200);
    // The owner cannot lift it by editing the workspace.
    const put = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { status: 'active' } });
    expect(put.status).toBe(403);

    const un = await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth });
    expect(un.status).toBe(200);
    expect(un.body.tenant).toMatchObject({ status: 'active', suspendedAt: null, suspendedReason: null });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.status).toBe('active');

    const entries = await auditEntries(t);
    expect(entries.map((e) => e.action)).toEqual(['tenant.unsuspended', 'tenant.suspended', 'tenant.plan_changed', 'tenant.updated', 'tenant.created']);
    expect(entries[1]).toMatchObject({ actor: { type: 'platform_admin' }, oldValues: { status: 'active' }, newValues: { status: 'suspended', reason: 'unpaid invoices' } });
    expect(entries[0]).toMatchObject({ actor: { type: 'platform_admin' }, oldValues: { status: 'suspended' }, newValues: { status: 'active' } });
  });

  it('unsuspending a trial workspace returns it to trial; unsuspending one that is not suspended → 409', async () => {
    const t = await createTenant({ trial: true, plan: 'pro' });
    const notSuspended = await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth });
    expect(notSuspended.status).toBe(409);
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth })).status).toBe(200);
    const un = await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth });
    expect(un.body.tenant.status).toBe('trial');
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.status).toBe('trial');
  });

  it('an owner cannot escape a suspension by deleting and having the workspace restored', async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'abuse' } })).status).toBe(200);
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    const restored = await api(`${PLATFORM}/api/tenants/${t.id}/restore`, { method: 'POST', headers: adminAuth });
    expect(restored.status).toBe(200);
    expect(restored.body.tenant.status).toBe('suspended');
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(403);
  });

  it('suspending a cancelled workspace → 409', async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth });
    expect(res.status).toBe(409);
    expect((await adminView(t.id)).tenant.status).toBe('cancelled');
  });

  it('purge drops schema, role and public rows, keeps a platform audit row, and the host is unknown at once', async () => {
    const t = await createTenant();
    const schema = schemaOf(t.slug);
    const customHost = `chat.${t.slug}.example.net`;
    const { sql, db } = database();
    await insertActiveDomain(t.id, customHost);
    // Warm every cache layer for both hosts.
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200);
    expect((await api(`http://${customHost}/api/tenant`)).body.tenant?.id).toBe(t.id);
    // The rows are there (and visible to this query) before the purge.
    expect(await count(sql`SELECT count(*) AS n FROM public.tenant_settings WHERE tenant_id = ${t.id}`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM public.tenant_audit_logs WHERE tenant_id = ${t.id}`)).toBeGreaterThan(0);
    expect(await count(sql`SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = ${schema}`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM pg_roles WHERE rolname = ${schema}`)).toBe(1);

    const res = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ purged: true, id: t.id });

    // The very next request to either host: unknown.
    for (const url of [tenantUrl(t.slug, '/api/tenant'), `http://${customHost}/api/tenant`]) {
      const host = await api(url);
      expect(host.status, url).toBe(404);
      expect(host.body.error.code).toBe('tenant_not_found');
    }

    expect(await count(sql`SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = ${schema}`)).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM pg_roles WHERE rolname = ${schema}`)).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM public.tenants WHERE id = ${t.id}`)).toBe(0);
    for (const table of ['tenant_settings', 'tenant_audit_logs', 'tenant_domains', 'tenant_usage', 'tenant_invitations']) {
      expect(await count(sql.query(`SELECT count(*) AS n FROM public.${table} WHERE tenant_id = $1`, [t.id])), table).toBe(0);
    }
    const platformRows = await sql`SELECT actor_type, action, tenant_slug, details, request_id FROM public.platform_audit_logs WHERE tenant_id = ${t.id}`;
    expect(platformRows).toHaveLength(1);
    expect(platformRows[0]).toMatchObject({ actor_type: 'platform_admin', action: 'tenant.purged', tenant_slug: t.slug, details: { schema }, request_id: res.headers.get('x-request-id') });

    expect((await adminGet(t.id)).status).toBe(404);
    expect((await api(`${PLATFORM}/api/tenants/by-slug?slug=${t.slug}`)).status).toBe(404);
    // Nothing of it is left in the way: the address can be signed up for again.
    const again = await createTenant({ slug: t.slug });
    expect(again.id).not.toBe(t.id);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.id).toBe(again.id);
    // The purged workspace's owner session opens nothing of the new one.
    const stale = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: bearer(t.token) });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('invalid_session');
    expect((await api(`${PLATFORM}/api/tenants/${again.id}`, { headers: bearer(t.token) })).status).toBe(403);
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: bearer(t.token) })).status).toBe(404);
  });

  it('purge also works on a workspace in its grace period', async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(res.status).toBe(200);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.error.code).toBe('tenant_not_found');
  });

  it('the daily cron purges workspaces whose grace period is over, and only those', async () => {
    const [due, inGrace, active] = await Promise.all([createTenant(), createTenant(), createTenant()]);
    for (const t of [due, inGrace]) {
      expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    }
    const { sql } = database();
    await sql`UPDATE public.tenants SET deletion_scheduled_at = now() - interval '1 hour' WHERE id = ${due.id}`;

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '17 3 * * *' }), env as never, ctx);
    await waitOnExecutionContext(ctx);

    expect(await count(sql`SELECT count(*) AS n FROM public.tenants WHERE id = ${due.id}`)).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = ${schemaOf(due.slug)}`)).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM pg_roles WHERE rolname = ${schemaOf(due.slug)}`)).toBe(0);
    const rows = await sql`SELECT actor_type, action FROM public.platform_audit_logs WHERE tenant_id = ${due.id}`;
    expect(rows).toEqual([{ actor_type: 'system', action: 'tenant.purged' }]);
    expect((await api(tenantUrl(due.slug, '/api/tenant'))).body.error.code).toBe('tenant_not_found');

    expect((await adminView(inGrace.id)).tenant.status).toBe('cancelled');
    expect(await count(sql`SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = ${schemaOf(inGrace.slug)}`)).toBe(1);
    expect((await adminView(active.id)).tenant.status).toBe('active');
  });
});

// ---------------------------------------------------------------------------------------------
// 6. On a workspace host: /api/tenant, its settings, its audit log
// ---------------------------------------------------------------------------------------------

describe('GET /api/tenant', () => {
  it('is public and has what a UI needs, and no internal names', async () => {
    const t = await createTenant({ trial: true, plan: 'pro' });
    const res = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(res.status).toBe(200);
    const tenant = res.body.tenant;
    expect(tenant).toMatchObject({
      id: t.id,
      name: `Workspace ${t.slug}`,
      slug: t.slug,
      status: 'trial',
      branding: {},
      plan: 'pro',
      trial: { endsAt: expect.any(String), expired: false },
      features: expect.objectContaining({ publicChannels: true, search: true, sso: false }),
      limits: expect.objectContaining({ users: 100, channels: 50 }),
    });
    expect(Math.abs(Date.parse(tenant.trial.endsAt) - (Date.now() + 14 * DAY_MS))).toBeLessThan(5 * 60_000);
    for (const key of ['schemaName', 'roleName', 'ownerEmail', 'ownerUserId', 'stripeCustomerId', 'metadata', 'version']) expect(tenant).not.toHaveProperty(key);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(schemaOf(t.slug));
    expect(text).not.toContain(`owner@${t.slug}.test`);
  });

  it('a free workspace has no trial and the free limits', async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(res.body.tenant).toMatchObject({ status: 'active', plan: 'free', trial: null, limits: { users: 10 }, features: { search: false } });
  });

  it('on the platform host there is no workspace: {tenant: null, platform}', async () => {
    const res = await api(`${PLATFORM}/api/tenant`);
    expect(res.status).toBe(200);
    expect(res.body.tenant).toBeNull();
    expect(res.body.platform).toEqual({ baseDomain: expect.any(String), trialDays: 14 });
  });
});

describe('/api/tenant/settings and /api/tenant/audit-logs: who may call them', () => {
  let t: CreatedTenant;
  let other: CreatedTenant;
  const headersOf = {} as Record<string, Record<string, string>>;
  let adminUserId: string;

  beforeAll(async () => {
    // Pro trials: the audit log is a Pro feature.
    [t, other] = await Promise.all([createTenant({ trial: true }), createTenant({ trial: true })]);
    const [admin, member, guest] = await Promise.all([addUser(t, 'admin'), addUser(t, 'member'), addUser(t, 'guest')]);
    adminUserId = admin.id;
    Object.assign(headersOf, { owner: bearer(t.token), admin: bearer(admin.token), member: bearer(member.token), guest: bearer(guest.token), anonymous: {}, otherOwner: bearer(other.token) });
    // Distinct settings per tenant, to tell them apart.
    expect((await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: bearer(t.token), json: { timezone: 'Asia/Tokyo' } })).status).toBe(200);
    expect((await api(tenantUrl(other.slug, '/api/tenant/settings'), { method: 'PUT', headers: bearer(other.token), json: { timezone: 'America/Chicago' } })).status).toBe(200);
  });

  const MATRIX: [string, number, string | null][] = [
    ['owner', 200, null],
    ['admin', 200, null],
    ['member', 403, 'forbidden'],
    ['guest', 403, 'forbidden'],
    ['anonymous', 401, 'unauthorized'],
    ['otherOwner', 401, 'invalid_session'],
  ];

  it.each(MATRIX)('GET settings as %s → %i', async (caller, status, code) => {
    const res = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf[caller] });
    expect(res.status).toBe(status);
    if (code) {
      expect(res.body.error.code).toBe(code);
      expect(res.body.settings).toBeUndefined();
    } else {
      expect(res.body.settings).toMatchObject({ timezone: 'Asia/Tokyo', language: 'en' });
    }
    // Never the other workspace's settings, whoever asks.
    expect(JSON.stringify(res.body)).not.toContain('America/Chicago');
  });

  it.each(MATRIX)('PUT settings as %s → %i', async (caller, status, code) => {
    const before = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf.owner });
    const res = await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: headersOf[caller], json: { sessionTimeoutMinutes: 60 + MATRIX.findIndex((m) => m[0] === caller) } });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    const after = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf.owner });
    if (code) {
      expect(res.body.error.code).toBe(code);
      expect(after.body).toEqual(before.body);
    } else {
      expect(after.body.settings.sessionTimeoutMinutes).toBe(60 + MATRIX.findIndex((m) => m[0] === caller));
    }
  });

  it("another workspace's owner cannot change this workspace's settings, nor their own through it", async () => {
    const res = await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: headersOf.otherOwner, json: { timezone: 'Europe/Berlin' } });
    expect(res.status).toBe(401);
    const mine = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf.owner });
    const theirs = await api(tenantUrl(other.slug, '/api/tenant/settings'), { headers: headersOf.otherOwner });
    expect(mine.body.settings.timezone).toBe('Asia/Tokyo');
    expect(theirs.body.settings.timezone).toBe('America/Chicago');
  });

  it('PUT settings records tenant.settings_updated with old/new values and the acting admin', async () => {
    const res = await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: headersOf.admin, json: { passwordMinLength: 14, passwordRequireDigit: true } });
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ passwordMinLength: 14, passwordRequireDigit: true, timezone: 'Asia/Tokyo' });
    const [latest] = await auditEntries(t, 'action=tenant.settings_updated');
    expect(latest).toMatchObject({
      actor: { type: 'user', id: adminUserId },
      resource: { type: 'tenant_settings', id: t.id },
      oldValues: { passwordMinLength: 8, passwordRequireDigit: false },
      newValues: { passwordMinLength: 14, passwordRequireDigit: true },
      requestId: res.headers.get('x-request-id'),
    });
    expect(Object.keys(latest!.newValues!).sort()).toEqual(['passwordMinLength', 'passwordRequireDigit']);
  });

  it.each([
    [{ timezone: 'Mars/Base' }, 'timezone'],
    [{ passwordMinLength: 4 }, 'passwordMinLength'],
    [{ language: 'english' }, 'language'],
    [{ sessionTimeoutMinutes: 1 }, 'sessionTimeoutMinutes'],
    [{ tenantId: crypto.randomUUID() }, ''],
  ])('PUT settings %j → 400 validation_failed, nothing written', async (patch, path) => {
    const before = await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf.owner });
    const auditBefore = await auditEntries(t);
    const res = await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: headersOf.owner, json: patch });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    if (path) expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect((await api(tenantUrl(t.slug, '/api/tenant/settings'), { headers: headersOf.owner })).body).toEqual(before.body);
    expect(await auditEntries(t)).toEqual(auditBefore);
  });

  it.each(MATRIX)('GET audit-logs as %s → %i', async (caller, status, code) => {
    const res = await api(tenantUrl(t.slug, '/api/tenant/audit-logs'), { headers: headersOf[caller] });
    expect(res.status).toBe(status);
    if (code) {
      expect(res.body.error.code).toBe(code);
      expect(res.body.entries).toBeUndefined();
    } else {
      expect(res.body.entries.length).toBeGreaterThan(0);
      expect(res.body.entries.at(-1).action).toBe('tenant.created');
    }
  });

  it("one workspace's audit log never shows another's entries", async () => {
    const mine = await auditEntries(t);
    const theirs = await auditEntries(other);
    const mineIds = new Set(mine.map((e) => e.id));
    expect(theirs.some((e) => mineIds.has(e.id))).toBe(false);
    const text = JSON.stringify(mine);
    expect(text).not.toContain(other.id);
    expect(text).not.toContain(other.slug);
    expect(text).not.toContain('America/Chicago');
    for (const e of mine) if (e.resource.id) expect(e.resource.id).toBe(t.id);
    // And the other owner's session is refused on this host, whatever the query.
    const cross = await api(tenantUrl(t.slug, `/api/tenant/audit-logs?actorId=${other.ownerId}`), { headers: headersOf.otherOwner });
    expect(cross.status).toBe(401);
    expect(cross.body.error.code).toBe('invalid_session');
  });
});

describe('GET /api/tenant/audit-logs: paging and filters', () => {
  let t: CreatedTenant;
  let all: AuditEntryView[];

  beforeAll(async () => {
    t = await createTenant({ trial: true }); // the audit log is a Pro feature
    for (const tz of ['Europe/Paris', 'Europe/Lisbon', 'Asia/Tokyo']) {
      expect((await api(tenantUrl(t.slug, '/api/tenant/settings'), { method: 'PUT', headers: bearer(t.token), json: { timezone: tz } })).status).toBe(200);
    }
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { name: 'Renamed by support' } })).status).toBe(200);
    all = await auditEntries(t);
  });

  it('lists newest first', () => {
    expect(all.map((e) => e.action)).toEqual(['tenant.updated', 'tenant.settings_updated', 'tenant.settings_updated', 'tenant.settings_updated', 'tenant.created']);
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    for (const e of all) expect(Date.parse(e.createdAt)).not.toBeNaN();
  });

  it('walks every entry with limit=1, newest first, without duplicates', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res: ApiResult<{ entries: AuditEntryView[]; nextCursor: string | null }> = await api(
        tenantUrl(t.slug, `/api/tenant/audit-logs?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
        { headers: bearer(t.token) },
      );
      expect(res.status).toBe(200);
      expect(res.body.entries.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.entries.map((e) => e.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('filters by action, actor type and actor id', async () => {
    const settings = await auditEntries(t, 'action=tenant.settings_updated');
    expect(settings.map((e) => e.newValues?.timezone)).toEqual(['Asia/Tokyo', 'Europe/Lisbon', 'Europe/Paris']);
    const byAdmin = await auditEntries(t, 'actorType=platform_admin');
    expect(byAdmin).toHaveLength(1);
    expect(byAdmin[0]).toMatchObject({ action: 'tenant.updated', oldValues: { name: `Workspace ${t.slug}` }, newValues: { name: 'Renamed by support' } });
    const byOwner = await auditEntries(t, `actorType=user&actorId=${t.ownerId}`);
    expect(byOwner.map((e) => e.action)).toEqual(['tenant.settings_updated', 'tenant.settings_updated', 'tenant.settings_updated', 'tenant.created']);
    expect(await auditEntries(t, 'action=tenant.purged')).toEqual([]);
  });

  it('filters by date range', async () => {
    const future = new Date(Date.now() + DAY_MS).toISOString();
    const past = new Date(Date.now() - DAY_MS).toISOString();
    expect(await auditEntries(t, `from=${encodeURIComponent(future)}`)).toEqual([]);
    expect((await auditEntries(t, `from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`)).map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(await auditEntries(t, `to=${encodeURIComponent(past)}`)).toEqual([]);
  });

  it('pages within a filter', async () => {
    const first = await api(tenantUrl(t.slug, '/api/tenant/audit-logs?action=tenant.settings_updated&limit=2'), { headers: bearer(t.token) });
    expect(first.body.entries).toHaveLength(2);
    const second = await api(tenantUrl(t.slug, `/api/tenant/audit-logs?action=tenant.settings_updated&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`), { headers: bearer(t.token) });
    expect(second.body.entries).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
  });

  it.each([
    ['cursor=garbage', 'invalid_cursor'],
    [`cursor=${btoa(JSON.stringify({ id: 'x' }))}`, 'invalid_cursor'],
    [`cursor=${btoa(JSON.stringify({ id: -1 }))}`, 'invalid_cursor'],
    [`cursor=${btoa(JSON.stringify({ t: new Date().toISOString(), id: crypto.randomUUID() }))}`, 'invalid_cursor'],
    ['actorType=robot', 'validation_failed'],
    ['limit=0', 'validation_failed'],
    ['limit=1000', 'validation_failed'],
    ['from=yesterday', 'validation_failed'],
  ])('rejects %s → 400 %s', async (query, code) => {
    const res = await api(tenantUrl(t.slug, `/api/tenant/audit-logs?${query}`), { headers: bearer(t.token) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Health on a workspace host
// ---------------------------------------------------------------------------------------------

describe('GET /api/health on a workspace host', () => {
  it("checks the workspace's schema as its own role", async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/health'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', db: { status: 'ok' }, tenant: { status: 'ok', slug: t.slug, latencyMs: expect.any(Number) } });
    expect(JSON.stringify(res.body)).not.toContain(schemaOf(t.slug));
  });

  it('on an unknown workspace host → 404 tenant_not_found', async () => {
    const res = await api(tenantUrl(uniqueSlug('ghost'), '/api/health'));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
  });
});
