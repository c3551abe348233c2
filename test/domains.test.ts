/**
 * Custom domains (src/domains/, Cloudflare for SaaS): the owner's API, Cloudflare through the
 * real SDK against the local fake (scripts/cloudflare-fake), and what routing does with its word.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { kvKey } from '../src/tenancy/directory';
import type { DomainView } from '../src/web/src/api/types';
import { TEST_BASE_DOMAIN } from './support/constants';
import { envWith } from './support/gateway';
import { fakeHostname, fakeHostnames, fakeRequests, failNext, seedHostname, setHostnameState } from './support/cloudflare';
import { addUser, adminAuth, api, bearer, createTenant, database, expectError, PLATFORM, tenantUrl, type CreatedTenant } from './support/tenants';


const TARGET = `customers.${TEST_BASE_DOMAIN}`;

/** Cloudflare refuses reserved names (example.com, .test...), as does nchat: a name like a customer's. */
const CUSTOMER_ZONE = 'nchat-customer.com';

function hostnameFor(t: Pick<CreatedTenant, 'slug'>, label = 'chat'): string {
  return `${label}.${t.slug}.${CUSTOMER_ZONE}`;
}

/** A Pro trial: custom domains are in the plan, two of them. */
function proWorkspace(): Promise<CreatedTenant> {
  return createTenant({ plan: 'pro', trial: true });
}

function domains(t: CreatedTenant, method: string, path = '', json?: unknown, token = t.token) {
  return api<{ domain: DomainView; domains: DomainView[]; limit: number | null; target: string; error: { code: string; message: string; details?: Record<string, unknown> } }>(
    tenantUrl(t.slug, `/api/tenant/domains${path}`),
    { method, headers: bearer(token), ...(json === undefined ? {} : { json }) },
  );
}

async function addDomain(t: CreatedTenant, hostname = hostnameFor(t)): Promise<DomainView> {
  const res = await domains(t, 'POST', '', { hostname });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.domain;
}

async function refresh(t: CreatedTenant, id: string): Promise<DomainView> {
  const res = await domains(t, 'POST', `/${id}/refresh`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.domain;
}

/** Adds a domain, has Cloudflare activate it, refreshes: it serves. */
async function activeDomain(t: CreatedTenant, hostname = hostnameFor(t)): Promise<DomainView> {
  const added = await addDomain(t, hostname);
  await setHostnameState(hostname, 'active');
  const active = await refresh(t, added.id);
  expect(active.status).toBe('active');
  return active;
}

function onHost(hostname: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  return api(`http://${hostname}${path}`, init);
}

async function auditActions(t: CreatedTenant): Promise<{ action: string; resource_id: string; old_values: unknown; new_values: unknown }[]> {
  return (await database().sql`SELECT action, resource_id, old_values, new_values FROM public.tenant_audit_logs WHERE tenant_id = ${t.id} AND resource_type = 'domain' ORDER BY id`) as never;
}

async function domainRows(hostname: string) {
  return (await database().sql`SELECT tenant_id, status, next_check_at FROM public.tenant_domains WHERE hostname = ${hostname}`) as { tenant_id: string; status: string; next_check_at: Date | null }[];
}

/** The scheduled handler's five-minute run, with this domain due now (other tests' rows are not yet due). */
async function runDomainCron(hostname: string, runEnv: Env = env): Promise<void> {
  await database().sql`UPDATE public.tenant_domains SET next_check_at = '2000-01-01T00:00:00Z' WHERE hostname = ${hostname}`;
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), runEnv as never, ctx);
  await waitOnExecutionContext(ctx);
}

describe('custom domains: the lifecycle through the API and Cloudflare', () => {
  it('add answers with the DNS records to create; the domain does not serve while pending', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await addDomain(t, hostname);

    expect(domain).toMatchObject({ hostname, status: 'pending', serving: false, cloudflareStatus: 'pending', sslStatus: 'pending_validation', verifiedAt: null });
    const [cloudflare] = await fakeHostnames({ hostname });
    expect(cloudflare).toBeDefined();
    // Exactly what the customer must do: the CNAME to the platform, Cloudflare's ownership TXT
    // record and the certificate authority's TXT record, as Cloudflare issued them.
    expect(domain.dnsRecords).toEqual([
      { type: 'CNAME', name: hostname, value: TARGET, purpose: 'routing' },
      { type: 'TXT', name: cloudflare!.ownership_verification!.name, value: cloudflare!.ownership_verification!.value, purpose: 'ownership' },
      { type: 'TXT', name: cloudflare!.ssl!.validation_records![0]!.txt_name, value: cloudflare!.ssl!.validation_records![0]!.txt_value, purpose: 'certificate' },
    ]);
    // Cloudflare was asked through the SDK: the zone, the hostname, DV by TXT, whose it is.
    const creates = (await fakeRequests({ hostname })).filter((r) => r.method === 'POST');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.path).toBe('/client/v4/zones/0123456789abcdef0123456789abcdef/custom_hostnames');
    expect(creates[0]!.body).toMatchObject({ hostname, ssl: { method: 'txt', type: 'dv' }, custom_metadata: { tenant_id: t.id } });

    // Pending: the host is not this workspace's yet.
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
    expectError(await api(`${PLATFORM}/api/tenants/by-domain?domain=${hostname}`), 404, 'tenant_not_found');

    const list = await domains(t, 'GET');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ limit: 2, target: TARGET });
    expect(list.body.domains.map((d) => d.id)).toEqual([domain.id]);
    const one = await domains(t, 'GET', `/${domain.id}`);
    expect(one.body.domain).toEqual(domain);

    // Refreshing while Cloudflare still waits for DNS: pending, with Cloudflare's reasons.
    const still = await refresh(t, domain.id);
    expect(still.status).toBe('pending');
    expect(still.verificationErrors.length).toBeGreaterThan(0);
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');

    const audit = await auditActions(t);
    expect(audit).toEqual([expect.objectContaining({ action: 'domain.added', resource_id: domain.id, new_values: { hostname, status: 'pending' } })]);
  });

  it('once Cloudflare says active (hostname and certificate), the domain serves: API, sign-in with its own cookie, lookups', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await addDomain(t, hostname);
    // Hostname active but the certificate not yet: still pending.
    await setHostnameState(hostname, 'active', { sslStatus: 'pending_validation' });
    expect((await refresh(t, domain.id)).status).toBe('pending');
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');

    await setHostnameState(hostname, 'active');
    const active = await refresh(t, domain.id);
    expect(active).toMatchObject({ status: 'active', serving: true, cloudflareStatus: 'active', sslStatus: 'active', failureReason: null });
    expect(active.verifiedAt).not.toBeNull();

    const config = await onHost(hostname, '/api/tenant');
    expect(config.status).toBe(200);
    expect(config.body.tenant).toMatchObject({ id: t.id, slug: t.slug });

    // Sign-in on the custom domain: the session cookie is that host's own (no Domain attribute).
    const login = await onHost(hostname, '/api/auth/login', { method: 'POST', json: { email: `owner@${t.slug}.test`, password: 'securepass123' } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^nchat_session=/);
    expect(cookie.toLowerCase()).not.toContain('domain=');
    const me = await onHost(hostname, '/api/me', { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    // A browser's same-origin write on the custom domain passes the same-origin check.
    const write = await onHost(hostname, '/api/me', { method: 'PATCH', headers: { cookie: cookie.split(';')[0]!, origin: `http://${hostname}`, 'sec-fetch-site': 'same-origin' }, json: { statusText: 'on my own domain' } });
    expect(write.status, JSON.stringify(write.body)).toBe(200);

    const byDomain = await api(`${PLATFORM}/api/tenants/by-domain?domain=${hostname}`);
    expect(byDomain.status).toBe(200);
    expect(byDomain.body.tenant.id).toBe(t.id);

    // Stripe may send the browser back to the active domain; not to a pending one.
    const checkout = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: bearer(t.token), json: { plan: 'pro', interval: 'monthly', successUrl: `https://${hostname}/billing?checkout=success` } });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
    const pending = await addDomain(t, hostnameFor(t, 'pending'));
    const refused = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: bearer(t.token), json: { plan: 'pro', interval: 'monthly', successUrl: `https://${pending.hostname}/billing` } });
    expectError(refused, 400, 'invalid_return_url');

    expect((await auditActions(t)).map((a) => a.action)).toEqual(['domain.added', 'domain.activated', 'domain.added']);
  });

  it('remove: Cloudflare deletes the hostname, the row and the host go, the next request is 404', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    // Warm every cache layer for the host.
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
    expect(await env.TENANT_CACHE.get(kvKey(hostname))).not.toBeNull();

    const res = await domains(t, 'DELETE', `/${domain.id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ removed: { id: domain.id, hostname } });

    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
    expect(await env.TENANT_CACHE.get(kvKey(hostname))).toBeNull();
    expect(await fakeHostnames({ hostname })).toEqual([]);
    expect((await fakeRequests({ hostname })).some((r) => r.method === 'DELETE')).toBe(true);
    expect(await domainRows(hostname)).toEqual([]);
    expectError(await domains(t, 'GET', `/${domain.id}`), 404, 'domain_not_found');
    expect((await auditActions(t)).at(-1)).toMatchObject({ action: 'domain.removed', resource_id: domain.id, old_values: { hostname, status: 'active' }, new_values: null });

    // Removed, it can be added again (by this workspace or another).
    const other = await proWorkspace();
    expect((await addDomain(other, hostname)).status).toBe('pending');
  });

  it('a cache that still maps a removed domain to the workspace does not serve it (the gate knows better)', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });
    const viaGate = async () => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`http://${hostname}/api/tenant`), enforced, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as { error?: { code: string }; tenant?: { id: string } } };
    };
    expect((await viaGate()).body.tenant?.id).toBe(t.id);
    const stale = await env.TENANT_CACHE.get(kvKey(hostname));
    expect(stale).not.toBeNull();

    expect((await domains(t, 'DELETE', `/${domain.id}`)).status).toBe(200);
    // Another location's KV has not heard yet: it still names the workspace for this host.
    await env.TENANT_CACHE.put(kvKey(hostname), stale!);
    const res = await viaGate();
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('tenant_not_found');
  });
});

describe('custom domains: what Cloudflare reports later', () => {
  it('a hostname that fails verification is failed with the reason, and never serves', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await addDomain(t, hostname);
    await setHostnameState(hostname, 'failed_verification');
    const failed = await refresh(t, domain.id);
    expect(failed).toMatchObject({ status: 'failed', serving: false, sslStatus: 'validation_timed_out', nextCheckAt: null });
    expect(failed.failureReason).toMatch(/certificate could not be issued/);
    expect(failed.verificationErrors.length).toBeGreaterThan(0);
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
    expect((await auditActions(t)).at(-1)).toMatchObject({ action: 'domain.failed', new_values: { status: 'failed' } });

    // Fixed at the DNS provider, the owner refreshes: Cloudflare's word wins again.
    await setHostnameState(hostname, 'active');
    expect((await refresh(t, domain.id)).status).toBe('active');
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
  });

  it('the scheduled handler finds a hostname Cloudflare reports moved: routing stops on the very next request', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
    expect((await domainRows(hostname))[0]!.next_check_at).not.toBeNull();

    await setHostnameState(hostname, 'moved');
    await runDomainCron(hostname);

    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
    const view = (await domains(t, 'GET', `/${domain.id}`)).body.domain;
    expect(view).toMatchObject({ status: 'failed', serving: false, cloudflareStatus: 'moved', nextCheckAt: null });
    expect(view.failureReason).toMatch(/moved/);
    const last = (await auditActions(t)).at(-1)!;
    expect(last).toMatchObject({ action: 'domain.failed', old_values: { status: 'active' }, new_values: { status: 'failed', cloudflareStatus: 'moved' } });
    // The workspace's own subdomain is untouched.
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.id).toBe(t.id);
  });

  it('a hostname deleted at Cloudflare (outside nchat) stops serving too', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    await setHostnameState(hostname, 'deleted');
    const gone = await refresh(t, domain.id);
    expect(gone).toMatchObject({ status: 'failed', cloudflareStatus: 'deleted' });
    expect(gone.failureReason).toMatch(/no longer registered/);
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
  });

  it('the scheduled handler activates a pending domain, and gives up on one pending for more than 7 days', async () => {
    const t = await proWorkspace();
    const soon = hostnameFor(t, 'soon');
    const never = hostnameFor(t, 'never');
    await addDomain(t, soon);
    await addDomain(t, never);

    await setHostnameState(soon, 'active');
    await runDomainCron(soon);
    expect((await domainRows(soon))[0]!.status).toBe('active');
    expect((await onHost(soon, '/api/tenant')).status).toBe(200);

    await database().sql`UPDATE public.tenant_domains SET created_at = now() - interval '8 days' WHERE hostname = ${never}`;
    await runDomainCron(never);
    const [row] = await domainRows(never);
    expect(row).toMatchObject({ status: 'failed', next_check_at: null });
    const view = (await domains(t, 'GET')).body.domains.find((d) => d.hostname === never)!;
    expect(view.failureReason).toMatch(/within 7 days/);
  });

  it('backs off: each check of a pending domain waits longer before the next', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await addDomain(t, hostname);
    const gaps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      const next = (await refresh(t, domain.id)).nextCheckAt;
      gaps.push(Date.parse(next!) - before);
    }
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
  });
});

describe('custom domains: input, ownership and the plan', () => {
  it.each([
    ['https://chat.example.com', /bare hostname/],
    ['chat.example.com/path', /bare hostname/],
    ['chat.example.com:8443', /bare hostname/],
    ['192.168.1.10', /IP address/],
    ['[::1]', /IP address|bare hostname/],
    ['*.example.com', /wildcard/],
    ['localhost', /two labels/],
    [`x.${TEST_BASE_DOMAIN}`, new RegExp(`cannot be ${TEST_BASE_DOMAIN.replace(/\./g, '\\.')}`)],
    [TEST_BASE_DOMAIN, /cannot be/],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`, /longer than 253/],
    [`${'a'.repeat(64)}.example.com`, /1 to 63/],
    ['-chat.example.com', /not a valid domain name/],
    ['chat_room.example.com', /not a valid domain name/],
    ['', /required/],
    ['chat.example.com', /reserved for documentation/],
    ['chat.acme.test', /reserved for documentation/],
    ['acme.localhost', /reserved for documentation/],
  ])('refuses %j with a field error, and asks Cloudflare nothing', async (hostname, message) => {
    const t = await proWorkspace();
    const res = await domains(t, 'POST', '', { hostname });
    expectError(res, 400, 'validation_failed');
    expect(JSON.stringify(res.body.error.details)).toMatch(message);
    expect(JSON.stringify(res.body.error.details)).toContain('hostname');
    expect((await domains(t, 'GET')).body.domains).toEqual([]);
    if (hostname) expect(await fakeRequests({ hostname: hostname.toLowerCase() })).toEqual([]);
  });

  it('refuses a missing or non-string hostname and unknown fields (400)', async () => {
    const t = await proWorkspace();
    for (const body of [{}, { hostname: 42 }, { hostname: null }, { hostname: hostnameFor(t), extra: true }]) {
      expectError(await domains(t, 'POST', '', body), 400, 'validation_failed');
    }
    expect((await domains(t, 'GET')).body.domains).toEqual([]);
  });

  it('normalises case, a trailing dot and international names (punycode)', async () => {
    const t = await proWorkspace();
    expect((await addDomain(t, `CHAT.${t.slug.toUpperCase()}.${CUSTOMER_ZONE.toUpperCase()}.`)).hostname).toBe(hostnameFor(t));
    expect((await addDomain(t, `bücher.${t.slug}.${CUSTOMER_ZONE}`)).hostname).toBe(`xn--bcher-kva.${t.slug}.${CUSTOMER_ZONE}`);
  });

  it("one hostname, one workspace: another workspace's is 409 domain_taken; adding one's own again is 409", async () => {
    const a = await proWorkspace();
    const b = await proWorkspace();
    const hostname = hostnameFor(a);
    const domain = await addDomain(a, hostname);
    const taken = await domains(b, 'POST', '', { hostname });
    expectError(taken, 409, 'domain_taken');
    expect(taken.body.error).toMatchObject({ message: expect.stringContaining('another workspace'), details: { hostname } });
    expectError(await domains(a, 'POST', '', { hostname: hostname.toUpperCase() }), 409, 'conflict');
    expect((await domains(b, 'GET')).body.domains).toEqual([]);
    expect((await domainRows(hostname)).map((r) => r.tenant_id)).toEqual([a.id]);
    // Cloudflare was asked once, for A.
    expect((await fakeRequests({ hostname })).filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(domain.status).toBe('pending');
  });

  it('plans: Free has no custom domains (403 feature_not_in_plan); Pro allows two (402 plan_limit)', async () => {
    const free = await createTenant({ plan: 'free' });
    const refused = await domains(free, 'POST', '', { hostname: hostnameFor(free) });
    expectError(refused, 403, 'feature_not_in_plan');
    expect(refused.body.error.details).toMatchObject({ feature: 'customDomains' });
    // Listing works on any plan (a workspace that moved down can still see and remove its domains).
    expect((await domains(free, 'GET')).status).toBe(200);

    const pro = await proWorkspace();
    await addDomain(pro, hostnameFor(pro, 'one'));
    await addDomain(pro, hostnameFor(pro, 'two'));
    const third = await domains(pro, 'POST', '', { hostname: hostnameFor(pro, 'three') });
    expectError(third, 402, 'plan_limit');
    expect(third.body.error.details).toMatchObject({ resource: 'customDomains', limit: 2 });
    expect(await fakeRequests({ hostname: hostnameFor(pro, 'three') })).toEqual([]);
  });

  it('members cannot manage domains; admins can', async () => {
    const t = await proWorkspace();
    const member = await addUser(t, 'member');
    const admin = await addUser(t, 'admin');
    expectError(await domains(t, 'GET', '', undefined, member.token), 403, 'forbidden');
    expectError(await domains(t, 'POST', '', { hostname: hostnameFor(t) }, member.token), 403, 'forbidden');
    expect((await domains(t, 'POST', '', { hostname: hostnameFor(t) }, admin.token)).status).toBe(201);
  });
});

describe('custom domains: hostnames Cloudflare already has', () => {
  it('one left in the zone with nobody here (a lost delete) is taken over and marked as this workspace’s', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const left = await seedHostname({ hostname, customMetadata: { tenant_id: 'someone-before' } });
    const domain = await addDomain(t, hostname);
    expect(domain.status).toBe('pending');
    expect((await fakeHostname(hostname))!.id).toBe(left.id);
    expect((await fakeHostname(hostname))!.custom_metadata).toEqual({ tenant_id: t.id });
    expect((await fakeRequests({ hostname })).map((r) => r.method)).toContain('PATCH');
    // Taken over as pending: it serves only once a refresh has seen it active.
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
  });

  it('one registered in another Cloudflare zone is 409 domain_taken, nothing recorded', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    await seedHostname({ hostname, zoneId: 'f'.repeat(32) });
    const res = await domains(t, 'POST', '', { hostname });
    expectError(res, 409, 'domain_taken');
    expect(res.body.error.message).toMatch(/elsewhere/);
    expect(await domainRows(hostname)).toEqual([]);
  });
});

describe('custom domains: Cloudflare misconfigured', () => {
  function withEnv(runEnv: Env, t: CreatedTenant, method: string, path: string, json?: unknown) {
    return (async () => {
      const ctx = createExecutionContext();
      const init: RequestInit = { method, headers: { ...bearer(t.token), ...(json ? { 'content-type': 'application/json' } : {}) }, ...(json ? { body: JSON.stringify(json) } : {}) };
      const res = await worker.fetch(new Request(tenantUrl(t.slug, path), init), runEnv, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; domain?: DomainView } };
    })();
  }

  it('a token Cloudflare refuses is 503 domains_unavailable (the operators’ problem, not the customer’s)', async () => {
    const t = await proWorkspace();
    const res = await withEnv(envWith({ CLOUDFLARE_API_TOKEN: 'cf-not-the-right-token-000' }), t, 'POST', '/api/tenant/domains', { hostname: hostnameFor(t) });
    expect(res.status).toBe(503);
    expect(res.body.error?.code).toBe('domains_unavailable');
    expect(await domainRows(hostnameFor(t))).toEqual([]);
  });

  it('a wrong zone id is not taken for "the hostname is gone": the domain keeps its status', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    const res = await withEnv(envWith({ CLOUDFLARE_ZONE_ID: 'a'.repeat(32) }), t, 'POST', `/api/tenant/domains/${domain.id}/refresh`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect((await domains(t, 'GET', `/${domain.id}`)).body.domain.status).toBe('active');
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
  });
});

describe('custom domains: across workspaces', () => {
  it("B can neither see, refresh nor delete A's domain, and B's session is nobody on A's custom domain", async () => {
    const a = await proWorkspace();
    const b = await proWorkspace();
    const hostname = hostnameFor(a);
    const domain = await activeDomain(a, hostname);

    expect((await domains(b, 'GET')).body.domains).toEqual([]);
    expectError(await domains(b, 'GET', `/${domain.id}`), 404, 'domain_not_found');
    expectError(await domains(b, 'POST', `/${domain.id}/refresh`), 404, 'domain_not_found');
    expectError(await domains(b, 'DELETE', `/${domain.id}`), 404, 'domain_not_found');
    // B's token on A's host (its subdomain or its custom domain).
    for (const url of [tenantUrl(a.slug, `/api/tenant/domains/${domain.id}`), `http://${hostname}/api/tenant/domains/${domain.id}`]) {
      const res = await api(url, { method: 'DELETE', headers: bearer(b.token) });
      expect([401, 403], `${url}: ${JSON.stringify(res.body)}`).toContain(res.status);
    }
    expect((await onHost(hostname, '/api/me', { headers: bearer(b.token) })).status).toBeGreaterThanOrEqual(401);

    // A's domain is untouched: still there, still serving, still at Cloudflare.
    expect((await domains(a, 'GET', `/${domain.id}`)).body.domain.status).toBe('active');
    expect((await onHost(hostname, '/api/tenant')).body.tenant.id).toBe(a.id);
    expect(await fakeHostnames({ hostname })).toHaveLength(1);
  });
});

describe('custom domains: when Cloudflare is not there', () => {
  it('without a Cloudflare token or zone, the domains API answers 503 domains_unavailable and the rest works', async () => {
    const t = await proWorkspace();
    const bare = envWith({ CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_ZONE_ID: undefined });
    const call = async (method: string, path: string, json?: unknown) => {
      const ctx = createExecutionContext();
      const init: RequestInit = { method, headers: { ...bearer(t.token), ...(json ? { 'content-type': 'application/json' } : {}) }, ...(json ? { body: JSON.stringify(json) } : {}) };
      const res = await worker.fetch(new Request(tenantUrl(t.slug, path), init), bare, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const add = await call('POST', '/api/tenant/domains', { hostname: hostnameFor(t) });
    expect(add.status).toBe(503);
    expect(add.body.error).toMatchObject({ code: 'domains_unavailable', message: expect.stringContaining('not set up') });
    expect((await call('GET', '/api/tenant')).status).toBe(200);
    expect((await call('GET', '/api/me')).status).toBe(200);
    expect((await domains(t, 'GET')).body.domains).toEqual([]);
  });

  it('Cloudflare failing: 503 domains_unavailable, nothing recorded; a refresh that fails changes nothing', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    await failNext({ method: 'POST', status: 500, count: 2, hostname });
    const add = await domains(t, 'POST', '', { hostname });
    expectError(add, 503, 'domains_unavailable');
    expect(await domainRows(hostname)).toEqual([]);

    const domain = await addDomain(t, hostname);
    await failNext({ method: 'GET', status: 503, count: 2, hostname });
    const res = await domains(t, 'POST', `/${domain.id}/refresh`);
    expectError(res, 503, 'domains_unavailable');
    expect((await domains(t, 'GET', `/${domain.id}`)).body.domain).toEqual(domain);
  });

  it('Cloudflare failing on delete: the domain stays (and keeps serving) until a delete succeeds', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await activeDomain(t, hostname);
    await failNext({ method: 'DELETE', status: 500, count: 2, hostname });
    expectError(await domains(t, 'DELETE', `/${domain.id}`), 503, 'domains_unavailable');
    expect((await onHost(hostname, '/api/tenant')).status).toBe(200);
    expect((await domains(t, 'DELETE', `/${domain.id}`)).status).toBe(200);
    expectError(await onHost(hostname, '/api/tenant'), 404, 'tenant_not_found');
  });
});

describe('custom domains: operators and the end of a workspace', () => {
  it('the operator API lists every workspace’s domains with their status; owners cannot', async () => {
    const a = await proWorkspace();
    const b = await proWorkspace();
    await activeDomain(a, hostnameFor(a));
    await addDomain(b, hostnameFor(b));
    const all = await api(`${PLATFORM}/api/admin/domains?search=${a.slug}`, { headers: adminAuth });
    expect(all.status).toBe(200);
    expect(all.body.domains).toEqual([expect.objectContaining({ hostname: hostnameFor(a), status: 'active', tenantId: a.id, tenantSlug: a.slug })]);
    const pendingOfB = await api(`${PLATFORM}/api/admin/domains?tenantId=${b.id}&status=pending`, { headers: adminAuth });
    expect(pendingOfB.body.domains.map((d: DomainView) => d.hostname)).toEqual([hostnameFor(b)]);
    expect((await api(`${PLATFORM}/api/admin/domains?tenantId=${b.id}&status=active`, { headers: adminAuth })).body.domains).toEqual([]);
    expectError(await api(`${PLATFORM}/api/admin/domains?tenantId=nope`, { headers: adminAuth }), 400, 'validation_failed');
    expect([401, 403]).toContain((await api(`${PLATFORM}/api/admin/domains`, { headers: bearer(a.token) })).status);
  });

  it('pages through domains by cursor', async () => {
    const t = await proWorkspace();
    for (const label of ['p1', 'p2']) await addDomain(t, hostnameFor(t, label));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `${PLATFORM}/api/admin/domains?tenantId=${t.id}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api(q, { headers: adminAuth });
      expect(page.status).toBe(200);
      seen.push(...page.body.domains.map((d: DomainView) => d.hostname));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 5);
    expect(seen).toEqual(['p2', 'p1'].map((l) => hostnameFor(t, l)));
    expectError(await api(`${PLATFORM}/api/admin/domains?cursor=not-a-cursor`, { headers: adminAuth }), 400, 'invalid_cursor');
  });

  it("purging a workspace removes its hostnames from Cloudflare, and its domain stops serving", async () => {
    const t = await proWorkspace();
    const active = hostnameFor(t);
    const pending = hostnameFor(t, 'pending');
    await activeDomain(t, active);
    await addDomain(t, pending);
    expect((await onHost(active, '/api/tenant')).status).toBe(200);

    const res = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await fakeHostnames({ hostname: active })).toEqual([]);
    expect(await fakeHostnames({ hostname: pending })).toEqual([]);
    expectError(await onHost(active, '/api/tenant'), 404, 'tenant_not_found');
    expect(await domainRows(active)).toEqual([]);
  });

  it('a purge that cannot reach Cloudflare does not purge (the daily run tries again)', async () => {
    const t = await proWorkspace();
    const hostname = hostnameFor(t);
    const domain = await addDomain(t, hostname);
    await failNext({ method: 'DELETE', status: 500, count: 2, hostname });
    const res = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(res.status).toBe(503);
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: adminAuth })).status).toBe(200);
    expect(await domainRows(hostname)).toHaveLength(1);
  });
});
