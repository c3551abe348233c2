/**
 * Host → tenant resolution (issue 3, DESIGN.md "Tenancy"): every host rule, the cache layers
 * (in-isolate map → KV snapshot → Postgres) counted in database round trips, negative caching,
 * writes visible on the next request, spoofed X-Tenant-* headers, tenant status handling and
 * single-tenant mode.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantDomains, tenants } from '../src/db/schema';
import worker from '../src/index';
import { clearLocalTenantCache, kvKey } from '../src/tenancy/directory';
import { withoutTenantHeaders } from '../src/tenancy/middleware';
import { classifyHost, type HostTarget } from '../src/tenancy/host';
import { connectionString, envWith, gatewayStats, resetGatewayStats } from './support/gateway';
import { adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl, uniqueSlug } from './support/tenants';
import { insertActiveDomain } from './support/domains';
import { TEST_BASE_DOMAIN } from './support/constants';

interface TenantConfig {
  id: string;
  name: string;
  slug: string;
  status: string;
  branding: Record<string, unknown>;
  plan: string;
  billingPlan: string;
  billingInterval: string | null;
  trial: { endsAt: string; expired: boolean } | null;
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
}

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId?: string };
}

const MULTI = { BASE_DOMAIN: TEST_BASE_DOMAIN, ENABLE_MULTI_TENANCY: true, DEFAULT_TENANT_SLUG: 'default' };

/** A connection string of its own, so the gateway's counters for it see only this test's calls. */
function isolatedConnection(label: string): string {
  return connectionString(`resolution-${label}-${crypto.randomUUID().slice(0, 8)}`);
}

/**
 * A request through the Worker's fetch handler (the same module this file's
 * clearLocalTenantCache() acts on), with env overrides such as an isolated connection string.
 */
async function call(url: string, init: RequestInit = {}, overrides: Record<string, string | undefined> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), envWith(overrides), ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, text, body };
}

function hostKey(slug: string): string {
  return kvKey(`${slug}.${TEST_BASE_DOMAIN}`);
}

describe('classifyHost: the host rules', () => {
  it.each<[string, HostTarget]>([
    ['nchat.test', { kind: 'platform', hostname: 'nchat.test' }],
    ['www.nchat.test', { kind: 'platform', hostname: 'www.nchat.test' }],
    ['app.nchat.test', { kind: 'platform', hostname: 'app.nchat.test' }],
    ['NCHAT.TEST:8787', { kind: 'platform', hostname: 'nchat.test' }],
    ['www.nchat.test.', { kind: 'platform', hostname: 'www.nchat.test' }],
    ['127.0.0.1', { kind: 'platform', hostname: '127.0.0.1' }],
    ['127.0.0.1:8787', { kind: 'platform', hostname: '127.0.0.1' }],
    ['192.168.10.20', { kind: 'platform', hostname: '192.168.10.20' }],
    ['[::1]', { kind: 'platform', hostname: '[::1]' }],
    ['[::1]:8787', { kind: 'platform', hostname: '[::1]' }],
    ['[2001:db8::1]:443', { kind: 'platform', hostname: '[2001:db8::1]' }],
    ['acme.nchat.test', { kind: 'slug', slug: 'acme', hostname: 'acme.nchat.test' }],
    ['a1-b2.nchat.test', { kind: 'slug', slug: 'a1-b2', hostname: 'a1-b2.nchat.test' }],
    ['ACME.NCHAT.TEST:8787', { kind: 'slug', slug: 'acme', hostname: 'acme.nchat.test' }],
    ['acme.nchat.test.', { kind: 'slug', slug: 'acme', hostname: 'acme.nchat.test' }],
    ['Acme.Nchat.Test.:443', { kind: 'slug', slug: 'acme', hostname: 'acme.nchat.test' }],
    ['a.b.nchat.test', { kind: 'invalid', hostname: 'a.b.nchat.test' }],
    ['www.acme.nchat.test', { kind: 'invalid', hostname: 'www.acme.nchat.test' }],
    ['under_score.nchat.test', { kind: 'invalid', hostname: 'under_score.nchat.test' }],
    ['-x.nchat.test', { kind: 'invalid', hostname: '-x.nchat.test' }],
    ['x-.nchat.test', { kind: 'invalid', hostname: 'x-.nchat.test' }],
    ['a--b.nchat.test', { kind: 'invalid', hostname: 'a--b.nchat.test' }],
    ['ab.nchat.test', { kind: 'invalid', hostname: 'ab.nchat.test' }],
    [`${'a'.repeat(33)}.nchat.test`, { kind: 'invalid', hostname: `${'a'.repeat(33)}.nchat.test` }],
    ['', { kind: 'invalid', hostname: '' }],
    ['chat.acme.com', { kind: 'custom', hostname: 'chat.acme.com' }],
    ['Chat.Acme.COM:443', { kind: 'custom', hostname: 'chat.acme.com' }],
    ['chat.acme.com.', { kind: 'custom', hostname: 'chat.acme.com' }],
    // Only a true subdomain of BASE_DOMAIN is a slug: a look-alike suffix is someone's custom domain.
    ['acme.evilnchat.test', { kind: 'custom', hostname: 'acme.evilnchat.test' }],
    ['nchat.test.evil.com', { kind: 'custom', hostname: 'nchat.test.evil.com' }],
  ])('%s → %o', (host, expected) => {
    expect(classifyHost(host, MULTI)).toEqual(expected);
  });

  it.each(['nchat.test', 'www.nchat.test', 'acme.nchat.test', 'a.b.nchat.test', 'chat.acme.com', '127.0.0.1', '[::1]:8787', 'under_score.example'])(
    'single-tenant mode: %s → the default slug',
    (host) => {
      const target = classifyHost(host, { ...MULTI, ENABLE_MULTI_TENANCY: false, DEFAULT_TENANT_SLUG: 'legacy' });
      expect(target).toMatchObject({ kind: 'slug', slug: 'legacy' });
    },
  );
});

describe('host rules through the Worker', () => {
  it.each(['http://nchat.test', 'http://www.nchat.test', 'http://app.nchat.test', 'http://127.0.0.1:8787', 'http://[::1]:8787'])(
    'the platform host %s serves GET /api/health without a tenant',
    async (origin) => {
      const res = await call(`${origin}/api/health`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', db: { status: 'ok' } });
      expect(res.body).not.toHaveProperty('tenant');
    },
  );

  it('the platform host has no tenant: /api/tenant answers {tenant: null}, and /api/tenant/settings is 404', async () => {
    const res = await api<{ tenant: unknown }>(`${PLATFORM}/api/tenant`);
    expect(res.status).toBe(200);
    expect(res.body.tenant).toBeNull();
    const settings = await api<ErrorBody>(`${PLATFORM}/api/tenant/settings`);
    expect(settings.status).toBe(404);
    expect(settings.body.error.code).toBe('not_found');
  });

  it("a tenant subdomain serves GET /api/tenant with that tenant's config, and its health checks its schema", async () => {
    const t = await createTenant({ name: 'Resolution Co' });
    const res = await api<{ tenant: TenantConfig }>(tenantUrl(t.slug, '/api/tenant'));
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: t.id, slug: t.slug, name: 'Resolution Co', status: 'active', plan: 'free', billingPlan: 'free', trial: null });
    expect(res.body.tenant.limits).toMatchObject({ users: 10, channels: 5 });
    // No internal names in the public config.
    expect(JSON.stringify(res.body)).not.toMatch(/schema|roleName|tenant_/);

    const health = await api(tenantUrl(t.slug, '/api/health'));
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', tenant: { status: 'ok', slug: t.slug } });
  });

  it('resolves a subdomain whatever its case, port or trailing dot (Host header)', async () => {
    const t = await createTenant();
    // The URL names another host: the Host header is what counts.
    const res = await call('http://elsewhere.example/api/tenant', { headers: { host: `${t.slug.toUpperCase()}.NCHAT.TEST.:8787` } });
    expect(res.status).toBe(200);
    expect(res.body.tenant.id).toBe(t.id);
  });

  it('an unknown subdomain is a 404 tenant_not_found (JSON)', async () => {
    const slug = uniqueSlug('nobody');
    const res = await api<ErrorBody>(tenantUrl(slug, '/api/tenant'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('tenant_not_found');
    expect(res.body.error.message).toContain(`${slug}.${TEST_BASE_DOMAIN}`);
  });

  it.each(['a.b.nchat.test', 'under_score.nchat.test', 'x-.nchat.test'])('an invalid host %s is a 404 tenant_not_found without a database round trip', async (host) => {
    const conn = isolatedConnection('invalid');
    const res = await call(`http://${host}/api/tenant`, {}, { DATABASE_URL: conn });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
    expect((await gatewayStats(conn)).roundTrips).toBe(0);
  });

  it('an unknown subdomain asked for a page in a browser gets a short HTML page', async () => {
    const res = await api(tenantUrl(uniqueSlug('nobody'), '/'), { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.body).toContain('Workspace not found');
    expect(res.body).toMatch(/^<!doctype html>/i);
  });

  it('the HTML page does not reflect markup from the Host header', async () => {
    const res = await call('http://x.example/', { headers: { host: 'evil<script>alert(1)</script>.example', accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('Workspace not found');
    expect(res.text).not.toContain('<script>');
  });

  it('an unknown subdomain answers JSON on /api/ paths even to a browser', async () => {
    const res = await api<ErrorBody>(tenantUrl(uniqueSlug('nobody'), '/api/tenant'), { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('tenant_not_found');
  });

  it('a custom domain with an active tenant_domains row resolves to its tenant; a pending one does not', async () => {
    const t = await createTenant();
    const active = `chat.${t.slug}.example.com`;
    const pending = `pending.${t.slug}.example.com`;
    await insertActiveDomain(t.id, active);
    await database().db.insert(tenantDomains).values({ tenantId: t.id, hostname: pending, status: 'pending', verification: {} });

    const res = await api<{ tenant: TenantConfig }>(`http://${active}/api/tenant`);
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: t.id, slug: t.slug });

    // Case, port and trailing dot do not matter for custom domains either.
    const upper = await call('http://elsewhere.example/api/tenant', { headers: { host: `${active.toUpperCase()}.:443` } });
    expect(upper.status).toBe(200);
    expect(upper.body.tenant.id).toBe(t.id);

    const notYet = await api<ErrorBody>(`http://${pending}/api/tenant`);
    expect(notYet.status).toBe(404);
    expect(notYet.body.error.code).toBe('tenant_not_found');

    const unknown = await api<ErrorBody>(`http://nobody.${t.slug}.example.com/api/tenant`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('tenant_not_found');
  });
});

describe('database round trips of resolution', () => {
  it('a warm request makes zero round trips; from KV zero; a cold one exactly one', async () => {
    const t = await createTenant();
    const conn = isolatedConnection('warm');
    const url = tenantUrl(t.slug, '/api/tenant');

    const first = await call(url, {}, { DATABASE_URL: conn });
    expect(first.status).toBe(200);
    expect(first.body.tenant.id).toBe(t.id);

    // Warm: this isolate's memory.
    await resetGatewayStats(conn);
    const warm = await call(url, {}, { DATABASE_URL: conn });
    expect(warm.status).toBe(200);
    expect(warm.body.tenant.id).toBe(t.id);
    expect((await gatewayStats(conn)).roundTrips).toBe(0);

    // The isolate forgot it: the KV snapshot answers.
    expect(await env.TENANT_CACHE.get(hostKey(t.slug))).not.toBeNull();
    clearLocalTenantCache();
    await resetGatewayStats(conn);
    const fromKv = await call(url, {}, { DATABASE_URL: conn });
    expect(fromKv.status).toBe(200);
    expect(fromKv.body.tenant.id).toBe(t.id);
    expect((await gatewayStats(conn)).roundTrips).toBe(0);

    // Cold: neither memory nor KV. One query, and the answer is written back to KV.
    await env.TENANT_CACHE.delete(hostKey(t.slug));
    clearLocalTenantCache();
    await resetGatewayStats(conn);
    const cold = await call(url, {}, { DATABASE_URL: conn });
    expect(cold.status).toBe(200);
    expect(cold.body.tenant).toMatchObject({ id: t.id, slug: t.slug, name: t.tenant.name });
    expect((await gatewayStats(conn)).roundTrips).toBe(1);
    const written = await env.TENANT_CACHE.get<{ tenant: { id: string } | null }>(hostKey(t.slug), 'json');
    expect(written?.tenant?.id).toBe(t.id);

    // And warm again after the cold load.
    await resetGatewayStats(conn);
    expect((await call(url, {}, { DATABASE_URL: conn })).status).toBe(200);
    expect((await gatewayStats(conn)).roundTrips).toBe(0);
  });

  it('a cold custom-domain request makes exactly one round trip, then none', async () => {
    const t = await createTenant();
    const host = `chat.${t.slug}.example.org`;
    await insertActiveDomain(t.id, host);
    const conn = isolatedConnection('custom');
    const url = `http://${host}/api/tenant`;

    const cold = await call(url, {}, { DATABASE_URL: conn });
    expect(cold.status).toBe(200);
    expect(cold.body.tenant.id).toBe(t.id);
    expect((await gatewayStats(conn)).roundTrips).toBe(1);

    await resetGatewayStats(conn);
    expect((await call(url, {}, { DATABASE_URL: conn })).status).toBe(200);
    expect((await gatewayStats(conn)).roundTrips).toBe(0);
  });

  it('an unknown host asked twice reaches the database once; the negative KV entry answers after the isolate forgets', async () => {
    const conn = isolatedConnection('unknown');
    const slug = uniqueSlug('ghost');
    const url = tenantUrl(slug, '/api/tenant');

    const a = await call(url, {}, { DATABASE_URL: conn });
    const b = await call(url, {}, { DATABASE_URL: conn });
    expect([a.status, b.status]).toEqual([404, 404]);
    expect([a.body.error.code, b.body.error.code]).toEqual(['tenant_not_found', 'tenant_not_found']);
    expect((await gatewayStats(conn)).roundTrips).toBe(1);

    expect(await env.TENANT_CACHE.get(hostKey(slug), 'json')).toEqual({ v: 1, tenant: null });
    clearLocalTenantCache();
    const c = await call(url, {}, { DATABASE_URL: conn });
    expect(c.status).toBe(404);
    expect(c.body.error.code).toBe('tenant_not_found');
    expect((await gatewayStats(conn)).roundTrips).toBe(1);
  });

  it('an unknown custom domain asked twice reaches the database once', async () => {
    const conn = isolatedConnection('unknown-custom');
    const url = `http://${uniqueSlug('nowhere')}.example.net/api/tenant`;
    expect((await call(url, {}, { DATABASE_URL: conn })).status).toBe(404);
    expect((await call(url, {}, { DATABASE_URL: conn })).status).toBe(404);
    expect((await gatewayStats(conn)).roundTrips).toBe(1);
  });

  it('a workspace created after its address was cached as unknown is served at once', async () => {
    const slug = uniqueSlug('late');
    const before = await call(tenantUrl(slug, '/api/tenant'));
    expect(before.status).toBe(404);
    const t = await createTenant({ slug });
    const after = await call(tenantUrl(slug, '/api/tenant'));
    expect(after.status).toBe(200);
    expect(after.body.tenant.id).toBe(t.id);
  });
});

describe('a write is visible on the next request', () => {
  it('a new name, then new branding, show on the very next GET /api/tenant', async () => {
    const t = await createTenant({ name: 'Before Inc', trial: true }); // custom branding is a Pro feature
    // Warm every cache layer with the old state first.
    expect((await api<{ tenant: TenantConfig }>(tenantUrl(t.slug, '/api/tenant'))).body.tenant.name).toBe('Before Inc');
    expect((await call(tenantUrl(t.slug, '/api/tenant'))).body.tenant.name).toBe('Before Inc');

    const renamed = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { name: 'After Inc' } });
    expect(renamed.status).toBe(200);
    expect((await api<{ tenant: TenantConfig }>(tenantUrl(t.slug, '/api/tenant'))).body.tenant.name).toBe('After Inc');
    expect((await call(tenantUrl(t.slug, '/api/tenant'))).body.tenant.name).toBe('After Inc');

    const branding = { appName: 'After Chat', primaryColor: '#112233', accentColor: '#aabbcc', logoUrl: 'https://cdn.example.com/logo.png' };
    const rebranded = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { branding } });
    expect(rebranded.status).toBe(200);
    const after = await api<{ tenant: TenantConfig }>(tenantUrl(t.slug, '/api/tenant'));
    expect(after.body.tenant.name).toBe('After Inc');
    expect(after.body.tenant.branding).toEqual(branding);
    expect((await call(tenantUrl(t.slug, '/api/tenant'))).body.tenant.branding).toEqual(branding);

    // The KV snapshot was overwritten too (another isolate in this location sees it).
    clearLocalTenantCache();
    const fromKv = await call(tenantUrl(t.slug, '/api/tenant'));
    expect(fromKv.body.tenant).toMatchObject({ name: 'After Inc', branding });
  });

  it("a change reaches the tenant's custom domains as well as its subdomain", async () => {
    const t = await createTenant({ name: 'Domain Before' });
    const host = `chat.${t.slug}.example.com`;
    await insertActiveDomain(t.id, host);
    expect((await api<{ tenant: TenantConfig }>(`http://${host}/api/tenant`)).body.tenant.name).toBe('Domain Before');

    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { name: 'Domain After' } })).status).toBe(200);
    expect((await api<{ tenant: TenantConfig }>(`http://${host}/api/tenant`)).body.tenant.name).toBe('Domain After');
    expect((await call(`http://${host}/api/tenant`)).body.tenant.name).toBe('Domain After');
  });
});

describe('spoofed X-Tenant-* headers change nothing', () => {
  const spoof = (b: { id: string; slug: string }) => ({
    'x-tenant-id': b.id,
    'x-tenant-schema': `tenant_${b.slug.replace(/-/g, '_')}`,
    'x-tenant-slug': b.slug,
    'X-Tenant-Role': `tenant_${b.slug.replace(/-/g, '_')}`,
  });

  it('withoutTenantHeaders removes every X-Tenant-* header, whatever its case, and keeps the rest of the request', async () => {
    const req = new Request('http://acme.nchat.test/api/x', {
      method: 'POST',
      headers: { 'X-Tenant-Id': 'b', 'x-tenant-schema': 'tenant_b', 'X-TENANT-SLUG': 'b', 'X-Tenant-Anything': '1', 'x-tenantish': 'kept', accept: 'application/json' },
      body: '{"a":1}',
    });
    const out = withoutTenantHeaders(req);
    expect([...out.headers.keys()].filter((k) => k.startsWith('x-tenant-'))).toEqual([]);
    expect(out.headers.get('x-tenantish')).toBe('kept');
    expect(out.headers.get('accept')).toBe('application/json');
    expect(out.method).toBe('POST');
    expect(out.url).toBe('http://acme.nchat.test/api/x');
    expect(await out.text()).toBe('{"a":1}');

    const clean = new Request('http://acme.nchat.test/');
    expect(withoutTenantHeaders(clean)).toBe(clean);
  });

  it("tenant A's host answers with A, never B", async () => {
    const [a, b] = await Promise.all([createTenant({ name: 'Tenant A' }), createTenant({ name: 'Tenant B' })]);
    const res = await api<{ tenant: TenantConfig }>(tenantUrl(a.slug, '/api/tenant'), { headers: spoof(b) });
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: a.id, slug: a.slug, name: 'Tenant A' });
    expect(JSON.stringify(res.body)).not.toContain(b.id);
    expect(JSON.stringify(res.body)).not.toContain(b.slug);

    const health = await api(tenantUrl(a.slug, '/api/health'), { headers: spoof(b) });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ tenant: { slug: a.slug } });

    // A's owner reading A's settings with B's headers: A's data; B's owner is still refused on A.
    const settings = await api(tenantUrl(a.slug, '/api/tenant/settings'), { headers: { ...spoof(b), ...bearer(a.token) } });
    expect(settings.status).toBe(200);
    const bOnA = await api<ErrorBody>(tenantUrl(a.slug, '/api/tenant/settings'), { headers: { ...spoof(b), ...bearer(b.token) } });
    expect(bOnA.status).toBe(401);
    expect(bOnA.body.error.code).toBe('invalid_session');

    // Through the module's fetch too (the path that strips headers is the Worker entry).
    const direct = await call(tenantUrl(a.slug, '/api/tenant'), { headers: spoof(b) });
    expect(direct.body.tenant.id).toBe(a.id);
  });

  it('the platform host stays the platform', async () => {
    const b = await createTenant();
    const tenant = await api<{ tenant: unknown }>(`${PLATFORM}/api/tenant`, { headers: spoof(b) });
    expect(tenant.status).toBe(200);
    expect(tenant.body.tenant).toBeNull();
    expect(JSON.stringify(tenant.body)).not.toContain(b.id);

    const health = await api(`${PLATFORM}/api/health`, { headers: spoof(b) });
    expect(health.status).toBe(200);
    expect(health.body).not.toHaveProperty('tenant');
  });

  it('an unknown host with headers naming a real tenant is still unknown', async () => {
    const b = await createTenant();
    const res = await api<ErrorBody>(tenantUrl(uniqueSlug('nobody'), '/api/tenant'), { headers: spoof(b) });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
  });
});

describe('tenant status', () => {
  it('suspended → the very next request is 403 tenant_suspended; unsuspended → 200 again', async () => {
    const t = await createTenant({ name: 'Suspend Me' });
    const url = tenantUrl(t.slug, '/api/tenant');
    expect((await api(url)).status).toBe(200);
    expect((await call(url)).status).toBe(200);

    const suspended = await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'testing' } });
    expect(suspended.status).toBe(200);
    expect(suspended.body.tenant.status).toBe('suspended');

    const blocked = await api<ErrorBody>(url);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('tenant_suspended');
    expect((await call(url)).status).toBe(403);
    // Every route on the host, not just /api/tenant.
    expect((await api<ErrorBody>(tenantUrl(t.slug, '/api/health'))).body.error.code).toBe('tenant_suspended');
    // A browser gets a page.
    const page = await api(tenantUrl(t.slug, '/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('Workspace suspended');
    // KV holds the suspended snapshot too.
    clearLocalTenantCache();
    expect((await call(url)).status).toBe(403);

    const unsuspended = await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth });
    expect(unsuspended.status).toBe(200);
    const back = await api<{ tenant: TenantConfig }>(url);
    expect(back.status).toBe(200);
    expect(back.body.tenant).toMatchObject({ id: t.id, status: 'active' });
    expect((await call(url)).status).toBe(200);
  });

  it("the owner's DELETE → the next request is 410 tenant_cancelled", async () => {
    const t = await createTenant();
    const url = tenantUrl(t.slug, '/api/tenant');
    expect((await api(url)).status).toBe(200);
    expect((await call(url)).status).toBe(200);

    const deleted = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deletionScheduledAt).toEqual(expect.any(String));

    const gone = await api<ErrorBody>(url);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('tenant_cancelled');
    expect(gone.body.error.details).toMatchObject({ deletionScheduledAt: deleted.body.deletionScheduledAt });
    expect((await call(url)).status).toBe(410);
    clearLocalTenantCache();
    expect((await call(url)).status).toBe(410);

    const page = await api(tenantUrl(t.slug, '/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(410);
    expect(page.body).toContain('Workspace cancelled');
  });

  it('an expired trial falls back to the free plan, and nothing is deleted', async () => {
    const t = await createTenant({ trial: true });
    const url = tenantUrl(t.slug, '/api/tenant');
    const during = await api<{ tenant: TenantConfig }>(url);
    expect(during.status).toBe(200);
    expect(during.body.tenant).toMatchObject({ status: 'trial', plan: 'pro', billingPlan: 'pro', trial: { expired: false } });
    expect(during.body.tenant.limits).toMatchObject({ users: 100, channels: 50 });
    expect(during.body.tenant.features.search).toBe(true);
    const endsAt = Date.parse(during.body.tenant.trial!.endsAt);
    expect(endsAt - Date.now()).toBeGreaterThan(13 * 86_400_000);
    expect(endsAt - Date.now()).toBeLessThanOrEqual(14 * 86_400_000);

    const past = new Date(Date.now() - 60_000).toISOString();
    const expired = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { trialEndsAt: past } });
    expect(expired.status).toBe(200);

    const after = await api<{ tenant: TenantConfig }>(url);
    expect(after.status).toBe(200);
    expect(after.body.tenant).toMatchObject({ id: t.id, status: 'trial', plan: 'free', billingPlan: 'pro', trial: { endsAt: past, expired: true } });
    expect(after.body.tenant.limits).toMatchObject({ users: 10, channels: 5 });
    expect(after.body.tenant.features).toMatchObject({ search: false, customBranding: false, publicChannels: true });

    // Nothing deleted: the row keeps its plan and status, the schema and its owner are there.
    const [row] = await database().db.select().from(tenants).where(eq(tenants.id, t.id));
    expect(row).toMatchObject({ status: 'trial', billingPlan: 'pro', deletedAt: null, cancelledAt: null });
    const health = await api(tenantUrl(t.slug, '/api/health'));
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ tenant: { status: 'ok' } });
    const owner = await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: bearer(t.token) });
    expect(owner.status).toBe(200);
  });
});

describe('single-tenant mode', () => {
  let only: Awaited<ReturnType<typeof createTenant>>;
  beforeAll(async () => {
    only = await createTenant({ name: 'Only Tenant' });
  });

  it.each(['http://whatever.example', 'http://nchat.test', 'http://127.0.0.1:8787', 'http://other.nchat.test', 'http://a.b.c.example.org'])(
    'every host (%s) serves DEFAULT_TENANT_SLUG',
    async (origin) => {
      const res = await call(`${origin}/api/tenant`, {}, { ENABLE_MULTI_TENANCY: 'false', DEFAULT_TENANT_SLUG: only.slug });
      expect(res.status).toBe(200);
      expect(res.body.tenant).toMatchObject({ id: only.id, slug: only.slug, name: 'Only Tenant' });
    },
  );

  it('a DEFAULT_TENANT_SLUG with no tenant is 404 tenant_not_found', async () => {
    const res = await call('http://whatever.example/api/tenant', {}, { ENABLE_MULTI_TENANCY: 'false', DEFAULT_TENANT_SLUG: uniqueSlug('missing') });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
  });
});
