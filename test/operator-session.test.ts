/**
 * The operator console's sign-in (issue 13, item 7): POST/GET/DELETE /api/admin/session on the
 * platform host. The platform admin token is exchanged for a short-lived operator session in an
 * HttpOnly, Secure, SameSite=Strict cookie on /api; what that cookie may and may not do (the
 * platform host only, never a workspace host; writes only from the console's own origin); its
 * expiry; rotating PLATFORM_ADMIN_TOKEN or SESSION_SECRET ending it; sign-out; and the raw admin
 * token no longer accepted from a cookie. Plus the operator lookups the console relies on:
 * tenant search by custom domain, one tenant's usage.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { signOperatorSession } from '../src/auth/operator-session';
import { tenantDomains } from '../src/db/schema';
import { TEST_BASE_DOMAIN, TEST_PLATFORM_ADMIN_TOKEN, TEST_SESSION_SECRET } from './support/constants';
import { insertActiveDomain } from './support/domains';
import { envWith } from './support/gateway';
import { adminAuth, api, bearer, createTenant, database, expectError, PLATFORM, tenantUrl, uniqueIp, uniqueSlug } from './support/tenants';

const SECRETS = { SESSION_SECRET: TEST_SESSION_SECRET, PLATFORM_ADMIN_TOKEN: TEST_PLATFORM_ADMIN_TOKEN };
const HOUR_MS = 3_600_000;
/** What the console's own page sends with a write (the browser adds both). */
const CONSOLE_ORIGIN = { origin: PLATFORM, 'sec-fetch-site': 'same-origin' };

function signIn(token: string, ip = uniqueIp()) {
  return api(`${PLATFORM}/api/admin/session`, { method: 'POST', headers: { 'cf-connecting-ip': ip, ...CONSOLE_ORIGIN }, json: { token } });
}

/** The operator cookie's value from a Set-Cookie header. */
function operatorCookieOf(setCookie: string | null): string {
  const m = /^nchat_operator=([^;]*)/.exec(setCookie ?? '');
  if (!m) throw new Error(`no operator cookie in ${setCookie}`);
  return m[1]!;
}

async function signedInCookie(): Promise<string> {
  const res = await signIn(TEST_PLATFORM_ADMIN_TOKEN);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return `nchat_operator=${operatorCookieOf(res.headers.get('set-cookie'))}`;
}

/** A request through the Worker's fetch handler with its env changed (a rotated secret, single-tenant mode). */
async function callWith(overrides: Record<string, string>, url: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), envWith(overrides), ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('signing in', () => {
  it('exchanges the admin token for an operator session in a cookie scripts and other hosts never get', async () => {
    const before = Date.now();
    const res = await signIn(TEST_PLATFORM_ADMIN_TOKEN);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.signedIn).toBe(true);
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 8 * HOUR_MS - 2000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 8 * HOUR_MS + 1000);

    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^nchat_operator=[^;]+; Max-Age=28800; Path=\/api; HttpOnly; Secure; SameSite=Strict$/);
    expect(setCookie).not.toMatch(/Domain=/i);
    // A session, not the token: nothing of the admin token is in it.
    const value = operatorCookieOf(setCookie);
    expect(value).not.toContain(TEST_PLATFORM_ADMIN_TOKEN);
    expect(atob(value.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).not.toContain(TEST_PLATFORM_ADMIN_TOKEN);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('lets the cookie act as the platform admin on the platform host', async () => {
    const cookie = await signedInCookie();
    const session = await api(`${PLATFORM}/api/admin/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ signedIn: true, expiresAt: expect.any(String) });
    const list = await api(`${PLATFORM}/api/tenants?limit=1`, { headers: { cookie } });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(Array.isArray(list.body.tenants)).toBe(true);
  });

  it('refuses a wrong token with a 401 that says so, and sets no cookie', async () => {
    const res = await signIn('not-the-platform-admin-token-at-all');
    expectError(res, 401, 'invalid_credentials');
    expect(res.body.error.message).toBe('That is not the platform admin token.');
    expect(res.headers.get('set-cookie')).toBeNull();
    // The right token with something appended is wrong too (no prefix match).
    expectError(await signIn(`${TEST_PLATFORM_ADMIN_TOKEN}x`), 401, 'invalid_credentials');
  });

  it('refuses a missing or malformed token as a field error', async () => {
    const missing = await api(`${PLATFORM}/api/admin/session`, { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp() }, json: {} });
    expectError(missing, 400, 'validation_failed');
    expect(missing.body.error.details.issues).toEqual([expect.objectContaining({ path: 'token' })]);
    const wrongType = await api(`${PLATFORM}/api/admin/session`, { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp() }, json: { token: 42 } });
    expectError(wrongType, 400, 'validation_failed');
  });

  it('locks an address out after five failures, even for the right token, and no other address', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 5; i++) expectError(await signIn(`wrong-token-${i}-0123456789abcdef`, ip), 401, 'invalid_credentials');
    const locked = await signIn(TEST_PLATFORM_ADMIN_TOKEN, ip);
    expectError(locked, 429, 'rate_limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect((await signIn(TEST_PLATFORM_ADMIN_TOKEN)).status).toBe(200);
  });

  it('is served on the platform host only', async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/admin/session'), { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp() }, json: { token: TEST_PLATFORM_ADMIN_TOKEN } });
    expectError(res, 404, 'not_found');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('what the cookie is worth', () => {
  it('answers "signed out" without a cookie, and with a bearer admin token "signed in" without an expiry', async () => {
    expect((await api(`${PLATFORM}/api/admin/session`)).body).toEqual({ signedIn: false, expiresAt: null });
    expect((await api(`${PLATFORM}/api/admin/session`, { headers: adminAuth })).body).toEqual({ signedIn: true, expiresAt: null });
  });

  it('ends when it expires', async () => {
    const expired = await signOperatorSession(SECRETS, Date.now() - 8 * HOUR_MS - 60_000);
    const cookie = `nchat_operator=${expired.token}`;
    expect((await api(`${PLATFORM}/api/admin/session`, { headers: { cookie } })).body).toEqual({ signedIn: false, expiresAt: null });
    expectError(await api(`${PLATFORM}/api/tenants`, { headers: { cookie } }), 401, 'unauthorized');
    // One issued a little less than 8 hours ago still works: it is the expiry that ended the other.
    const older = await signOperatorSession(SECRETS, Date.now() - 8 * HOUR_MS + 60_000);
    expect((await api(`${PLATFORM}/api/tenants?limit=1`, { headers: { cookie: `nchat_operator=${older.token}` } })).status).toBe(200);
  });

  it('ends when PLATFORM_ADMIN_TOKEN is rotated, and when SESSION_SECRET is', async () => {
    const cookie = await signedInCookie();
    const url = `${PLATFORM}/api/tenants?limit=1`;
    expect((await callWith({}, url, { headers: { cookie } })).status).toBe(200);
    const rotatedToken = await callWith({ PLATFORM_ADMIN_TOKEN: 'a-brand-new-platform-admin-token-0123' }, url, { headers: { cookie } });
    expect(rotatedToken.status).toBe(401);
    expect(rotatedToken.body.error.code).toBe('unauthorized');
    const rotatedSecret = await callWith({ SESSION_SECRET: 'a-brand-new-session-secret-0123456789abcdef' }, url, { headers: { cookie } });
    expect(rotatedSecret.status).toBe(401);
    // The new token signs in and its session works under the new secrets.
    const fresh = await callWith({ PLATFORM_ADMIN_TOKEN: 'a-brand-new-platform-admin-token-0123' }, `${PLATFORM}/api/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': uniqueIp() },
      body: JSON.stringify({ token: 'a-brand-new-platform-admin-token-0123' }),
    });
    expect(fresh.status).toBe(200);
  });

  it('is not honoured on a workspace host, nor in single-tenant mode where the operator API shares the workspace host', async () => {
    const t = await createTenant();
    const cookie = await signedInCookie();
    expectError(await api(tenantUrl(t.slug, '/api/users'), { headers: { cookie } }), 401, 'unauthorized');
    const single = { ENABLE_MULTI_TENANCY: 'false', DEFAULT_TENANT_SLUG: t.slug };
    const withCookie = await callWith(single, `${PLATFORM}/api/tenants?limit=1`, { headers: { cookie } });
    expect(withCookie.status).toBe(401);
    expect(withCookie.body.error.code).toBe('unauthorized');
    expect((await callWith(single, `${PLATFORM}/api/tenants?limit=1`, { headers: adminAuth })).status).toBe(200);
    expect((await callWith(single, `${PLATFORM}/api/admin/session`)).status).toBe(404);
  });

  it('cannot be mistaken for a user session, or a user session for it', async () => {
    const t = await createTenant();
    const operator = operatorCookieOf((await signIn(TEST_PLATFORM_ADMIN_TOKEN)).headers.get('set-cookie'));
    // As a bearer token, an operator session is no session at all.
    expectError(await api(`${PLATFORM}/api/tenants`, { headers: bearer(operator) }), 401, 'invalid_session');
    expectError(await api(tenantUrl(t.slug, '/api/me'), { headers: bearer(operator) }), 401, 'invalid_session');
    // An owner's session in the operator cookie is not an operator.
    expectError(await api(`${PLATFORM}/api/tenants`, { headers: { cookie: `nchat_operator=${t.token}` } }), 401, 'unauthorized');
  });

  it('no longer takes the raw admin token from a cookie', async () => {
    expectError(await api(`${PLATFORM}/api/tenants`, { headers: { cookie: `nchat_session=${TEST_PLATFORM_ADMIN_TOKEN}` } }), 401, 'unauthorized');
    expectError(await api(`${PLATFORM}/api/tenants`, { headers: { cookie: `nchat_operator=${TEST_PLATFORM_ADMIN_TOKEN}` } }), 401, 'unauthorized');
  });
});

describe('writes made with the cookie', () => {
  async function statusOf(id: string): Promise<string> {
    const res = await api(`${PLATFORM}/api/tenants/${id}`, { headers: adminAuth });
    expect(res.status).toBe(200);
    return res.body.tenant.status;
  }

  it('are refused from another origin, from a workspace subdomain, and without any Origin (403 cross_origin_request)', async () => {
    const t = await createTenant();
    const cookie = await signedInCookie();
    const suspend = (headers: Record<string, string>) => api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: { cookie, ...headers }, json: { reason: 'CSRF probe' } });

    expectError(await suspend({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), 403, 'cross_origin_request');
    // A workspace page is the same *site* as the platform host (SameSite does not stop it), not the same origin.
    expectError(await suspend({ origin: `http://${t.slug}.${TEST_BASE_DOMAIN}`, 'sec-fetch-site': 'same-site' }), 403, 'cross_origin_request');
    const bare = await suspend({});
    expectError(bare, 403, 'cross_origin_request');
    expect(bare.body.error.message).toMatch(/Origin/);
    expect(await statusOf(t.id)).toBe(t.tenant.status);

    const fromConsole = await suspend(CONSOLE_ORIGIN);
    expect(fromConsole.status, JSON.stringify(fromConsole.body)).toBe(200);
    expect(await statusOf(t.id)).toBe('suspended');
    // Bearer requests (API clients, no cookie) are not affected.
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth })).status).toBe(200);
    expect(await statusOf(t.id)).not.toBe('suspended');
  });

  it('are refused with any Authorization other than a bearer token beside the cookie (403 cross_origin_request)', async () => {
    const t = await createTenant();
    const cookie = await signedInCookie();
    const suspend = (headers: Record<string, string>) => api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: { cookie, ...headers }, json: { reason: 'CSRF probe' } });
    for (const authorization of ['Basic x', 'Bearer']) {
      expectError(await suspend({ authorization, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), 403, 'cross_origin_request');
      expectError(await suspend({ authorization, origin: `http://${t.slug}.${TEST_BASE_DOMAIN}`, 'sec-fetch-site': 'same-site' }), 403, 'cross_origin_request');
      expectError(await suspend({ authorization }), 403, 'cross_origin_request');
    }
    expect(await statusOf(t.id)).toBe(t.tenant.status);
    // The real bearer token is no ambient credential: accepted from anywhere, cookie or not.
    const fromAnywhere = await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: { cookie, ...adminAuth, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, json: { reason: 'API client' } });
    expect(fromAnywhere.status, JSON.stringify(fromAnywhere.body)).toBe(200);
    expect(await statusOf(t.id)).toBe('suspended');
  });

  it('include signing out, which clears the cookie', async () => {
    const cookie = await signedInCookie();
    expectError(await api(`${PLATFORM}/api/admin/session`, { method: 'DELETE', headers: { cookie, origin: 'https://evil.example' } }), 403, 'cross_origin_request');
    const out = await api(`${PLATFORM}/api/admin/session`, { method: 'DELETE', headers: { cookie, ...CONSOLE_ORIGIN } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ signedIn: false, expiresAt: null });
    expect(out.headers.get('set-cookie')).toMatch(/^nchat_operator=; Max-Age=0; Path=\/api; HttpOnly; Secure; SameSite=Strict$/);
  });
});

describe('the lookups the console makes', () => {
  it('finds a tenant by any of its custom domains, pending ones too', async () => {
    const slug = uniqueSlug('opdom');
    const t = await createTenant({ slug, plan: 'pro', trial: true });
    await createTenant(); // another workspace, which none of the searches may find
    const pending = `pending-${slug}.example.org`;
    const active = `chat-${slug}.example.net`;
    await database().db.insert(tenantDomains).values({ tenantId: t.id, hostname: pending, status: 'pending', verification: {} });
    await insertActiveDomain(t.id, active);
    for (const search of [pending, `pending-${slug}`, active.toUpperCase()]) {
      const res = await api(`${PLATFORM}/api/tenants?search=${encodeURIComponent(search)}`, { headers: adminAuth });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.tenants.map((x: { id: string }) => x.id), search).toEqual([t.id]);
    }
    const none = await api(`${PLATFORM}/api/tenants?search=${encodeURIComponent(`nowhere-${slug}.example.org`)}`, { headers: adminAuth });
    expect(none.body.tenants).toEqual([]);
  });

  it("reports one tenant's usage with tenantId, and refuses a malformed id", async () => {
    const t = await createTenant();
    await createTenant();
    const res = await api(`${PLATFORM}/api/admin/usage?tenantId=${t.id}`, { headers: adminAuth });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenants.map((x: { tenant: { id: string } }) => x.tenant.id)).toEqual([t.id]);
    expect(res.body.tenants[0].limits.users).toEqual(expect.objectContaining({ limit: 10 }));
    const bad = await api(`${PLATFORM}/api/admin/usage?tenantId=not-a-uuid`, { headers: adminAuth });
    expectError(bad, 400, 'validation_failed');
  });
});
