/**
 * The local Cloudflare fake (scripts/cloudflare-fake), driven the way the Worker drives
 * Cloudflare for SaaS: through the real cloudflare SDK, from inside workerd. What the domain
 * tests rely on is checked here: custom hostnames shaped as the SDK types them, Cloudflare's
 * envelope, status codes and error codes, state that follows the calls and the control API, the
 * request records, and planned failures.
 */
import { env } from 'cloudflare:workers';
import * as CloudflareErrors from 'cloudflare/error';
import { describe, expect, it } from 'vitest';
import {
  clearFailures,
  cloudflareApiUrl,
  cloudflareClient,
  editHostname,
  failNext,
  fakeHostname,
  fakeHostnames,
  fakeRequests,
  seedHostname,
  setHostnameState,
  TEST_CLOUDFLARE_API_TOKEN,
  TEST_CLOUDFLARE_ZONE_ID,
  uniqueHostname,
} from './support/cloudflare';
import { TEST_CUSTOM_DOMAIN_TARGET } from './support/constants';

const cf = cloudflareClient();
const zone_id = TEST_CLOUDFLARE_ZONE_ID;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOT_CNAMED = 'custom hostname does not CNAME to this zone.';

/** What nchat's Worker sends (src/domains/cloudflare.ts). */
function create(hostname: string, tenantId = crypto.randomUUID()) {
  return cf.customHostnames.create({ zone_id, hostname, ssl: { method: 'txt', type: 'dv' }, custom_metadata: { tenant_id: tenantId } });
}

/** The SDK's error for a call, with its status and Cloudflare's error codes. */
async function failure(call: Promise<unknown>): Promise<{ error: unknown; status: number | undefined; codes: number[] }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeInstanceOf(CloudflareErrors.APIError);
  const e = error as CloudflareErrors.APIError;
  return { error, status: e.status, codes: e.errors.map((x) => x.code ?? 0) };
}

function raw(path: string, init: RequestInit = {}, token: string | null = TEST_CLOUDFLARE_API_TOKEN): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${cloudflareApiUrl()}${path}`, { ...init, headers });
}

describe('Cloudflare fake: the Worker is pointed at it', () => {
  it('binds CLOUDFLARE_API_URL, CLOUDFLARE_API_TOKEN, CLOUDFLARE_ZONE_ID and CUSTOM_DOMAIN_TARGET to the fake', async () => {
    const vars = env as unknown as Record<string, string | undefined>;
    expect(vars.CLOUDFLARE_API_URL).toBe(cloudflareApiUrl());
    expect(vars.CLOUDFLARE_API_TOKEN).toBe(TEST_CLOUDFLARE_API_TOKEN);
    expect(vars.CLOUDFLARE_ZONE_ID).toBe(TEST_CLOUDFLARE_ZONE_ID);
    expect(vars.CUSTOM_DOMAIN_TARGET).toBe(TEST_CUSTOM_DOMAIN_TARGET);
    // A client built from the bindings alone, as the Worker builds its own.
    const client = cloudflareClient({ apiToken: vars.CLOUDFLARE_API_TOKEN, baseURL: vars.CLOUDFLARE_API_URL });
    const hostname = uniqueHostname();
    const created = await client.customHostnames.create({ zone_id: vars.CLOUDFLARE_ZONE_ID!, hostname });
    expect(created.hostname).toBe(hostname);
  });
});

describe('Cloudflare fake: custom hostnames through the SDK', () => {
  it('creates a pending hostname with its ownership and certificate records, shaped as Cloudflare returns it', async () => {
    const hostname = uniqueHostname();
    const tenantId = crypto.randomUUID();
    const created = await create(hostname, tenantId);
    expect(created.id).toMatch(UUID);
    expect(created).toMatchObject({
      hostname,
      status: 'pending',
      custom_metadata: { tenant_id: tenantId },
      verification_errors: [NOT_CNAMED],
      ownership_verification: { type: 'txt', name: `_cf-custom-hostname.${hostname}`, value: expect.stringMatching(UUID) },
      ownership_verification_http: { http_url: `http://${hostname}/.well-known/cf-custom-hostname-challenge/${created.id}`, http_body: created.ownership_verification!.value },
      ssl: {
        id: expect.stringMatching(UUID),
        method: 'txt',
        type: 'dv',
        status: 'pending_validation',
        validation_errors: [],
        validation_records: [{ status: 'pending', txt_name: `_acme-challenge.${hostname}`, txt_value: expect.stringMatching(/^[\w-]{43}$/) }],
      },
    });
    expect(Math.abs(Date.parse(created.created_at!) - Date.now())).toBeLessThan(60_000);

    expect(await cf.customHostnames.get(created.id, { zone_id })).toEqual(created);
    const page = await cf.customHostnames.list({ zone_id, hostname: { exact: hostname } });
    expect(page.result).toEqual([created]);
    expect(page.result_info).toEqual({ page: 1, per_page: 20, count: 1, total_count: 1, total_pages: 1 });
  });

  it("answers in Cloudflare's envelope, 201 for a create, and filters a list by hostname.exact or hostname", async () => {
    const hostname = uniqueHostname();
    const res = await raw(`/zones/${zone_id}/custom_hostnames`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: hostname.toUpperCase() + '.' }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { success: boolean; errors: unknown[]; messages: unknown[]; result: { id: string; hostname: string; ssl?: unknown } };
    expect(body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(body.result.hostname).toBe(hostname); // lower case, no trailing dot
    expect(body.result.ssl).toBeUndefined(); // no certificate asked for, none made

    for (const q of [`hostname.exact=${hostname}`, `hostname=${hostname}`, `id=${body.result.id}`]) {
      const list = (await (await raw(`/zones/${zone_id}/custom_hostnames?${q}`)).json()) as { result: { id: string }[]; result_info: { total_count: number } };
      expect(list.result.map((h) => h.id), q).toEqual([body.result.id]);
      expect(list.result_info.total_count).toBe(1);
    }
    const none = (await (await raw(`/zones/${zone_id}/custom_hostnames?hostname.exact=${uniqueHostname()}`)).json()) as { result: unknown[] };
    expect(none.result).toEqual([]);
    const both = await raw(`/zones/${zone_id}/custom_hostnames?id=${body.result.id}&hostname=${hostname}`);
    expect(both.status).toBe(400);
    expect(((await both.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(1438);
  });

  it('pages a list (per_page 5 to 50), filtered by hostname.contain, in creation order or reversed', async () => {
    const marker = `p${crypto.randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await create(`h${i}.${marker}.com`)).id);
    const first = await cf.customHostnames.list({ zone_id, hostname: { contain: marker }, per_page: 5 });
    expect(first.result.map((h) => h.id)).toEqual(ids.slice(0, 5));
    expect(first.result_info).toEqual({ page: 1, per_page: 5, count: 5, total_count: 7, total_pages: 2 });
    const second = await cf.customHostnames.list({ zone_id, hostname: { contain: marker }, per_page: 5, page: 2 });
    expect(second.result.map((h) => h.id)).toEqual(ids.slice(5));
    const all: string[] = [];
    for await (const h of cf.customHostnames.list({ zone_id, hostname: { contain: marker }, per_page: 5 })) all.push(h.id);
    expect(all).toEqual(ids);
    const reversed = await cf.customHostnames.list({ zone_id, hostname: { startsWith: 'h', contain: marker }, direction: 'desc' });
    expect(reversed.result.map((h) => h.id)).toEqual([...ids].reverse());
  });

  it('edits metadata and the validation method (202), and refuses a change of hostname (409 code 1439)', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    const edited = await cf.customHostnames.edit(created.id, { zone_id, custom_metadata: { tenant_id: 'other' }, ssl: { method: 'http', type: 'dv' } });
    expect(edited.custom_metadata).toEqual({ tenant_id: 'other' });
    expect(edited.ssl).toMatchObject({ method: 'http', status: 'pending_validation' });
    expect(edited.ssl!.validation_records![0]).toMatchObject({ http_url: expect.stringMatching(new RegExp(`^http://${hostname.replace(/\./g, '\\.')}/\\.well-known/acme-challenge/`)), http_body: expect.any(String) });
    // The customer's ownership record never changes.
    expect(edited.ownership_verification).toEqual(created.ownership_verification);

    const res = await raw(`/zones/${zone_id}/custom_hostnames/${created.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    const renamed = await raw(`/zones/${zone_id}/custom_hostnames/${created.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: uniqueHostname() }) });
    expect(renamed.status).toBe(409);
    expect(((await renamed.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(1439);
  });

  it('deletes: the answer names the id, and the hostname is then a 404 (code 1436) for get, edit and delete', async () => {
    const created = await create(uniqueHostname());
    const deleted = await cf.customHostnames.delete(created.id, { zone_id });
    expect(deleted.id).toBe(created.id);
    for (const call of [cf.customHostnames.get(created.id, { zone_id }), cf.customHostnames.edit(created.id, { zone_id, custom_metadata: {} }), cf.customHostnames.delete(created.id, { zone_id })]) {
      const { error, status, codes } = await failure(call);
      expect(error).toBeInstanceOf(CloudflareErrors.NotFoundError);
      expect(status).toBe(404);
      expect(codes).toEqual([1436]);
    }
    expect((await failure(cf.customHostnames.get('not-a-hostname-id', { zone_id }))).codes).toEqual([1435]);
  });
});

describe('Cloudflare fake: refusals', () => {
  it('a hostname already in the zone is a 409 with code 1406, whatever its case', async () => {
    const hostname = uniqueHostname();
    await create(hostname);
    const { error, status, codes } = await failure(create(hostname.toUpperCase()));
    expect(error).toBeInstanceOf(CloudflareErrors.ConflictError);
    expect(status).toBe(409);
    expect(codes).toEqual([1406]);
    expect((error as Error).message).toContain('Duplicate custom hostname found.');
  });

  it('custom hostnames are unique across Cloudflare: one held in another zone is a 1406 here, and not in this zone’s list', async () => {
    const hostname = uniqueHostname();
    const elsewhere = await seedHostname({ hostname, zoneId: 'f'.repeat(32), customMetadata: { tenant_id: 'someone-else' } });
    expect(elsewhere.zone_id).toBe('f'.repeat(32));
    expect((await failure(create(hostname))).codes).toEqual([1406]);
    expect((await cf.customHostnames.list({ zone_id, hostname: { exact: hostname } })).result).toEqual([]);
  });

  it.each([
    ['chat.acme.test', 1409],
    ['chat.acme.localhost', 1409],
    ['www.example.com', 1411],
    ['shop.example.org', 1411],
    ['192.168.1.10', 1407],
    ['bad_host.acme.com', 1407],
    ['-chat.acme.com', 1407],
    ['chat..acme.com', 1407],
    [`${'a'.repeat(64)}.acme.com`, 1407],
    ['bücher.acme.com', 1408],
    ['intranet', 1410],
    ['*.acme.com', 1448],
    ['', 1407],
  ])('refuses %j with a 400, code %i', async (hostname, code) => {
    const { error, status, codes } = await failure(create(hostname));
    expect(error).toBeInstanceOf(CloudflareErrors.BadRequestError);
    expect(status).toBe(400);
    expect(codes).toEqual([code]);
  });

  it('checks the ssl parameters: method (1432), type (1433), both or neither (1440)', async () => {
    const post = (ssl: unknown) => raw(`/zones/${zone_id}/custom_hostnames`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: uniqueHostname(), ssl }) });
    const code = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { errors: { code: number }[] }).errors[0]?.code });
    expect(await code(await post({ method: 'sms', type: 'dv' }))).toEqual({ status: 400, code: 1432 });
    expect(await code(await post({ method: 'txt', type: 'ov' }))).toEqual({ status: 400, code: 1433 });
    expect(await code(await post({ method: 'txt' }))).toEqual({ status: 400, code: 1440 });
    const badJson = await raw(`/zones/${zone_id}/custom_hostnames`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hostname":' });
    expect(await code(badJson)).toEqual({ status: 400, code: 1400 });
  });

  it('authentication: no token or another token is a 403 (code 10000), and the request is recorded without the token', async () => {
    const other = cloudflareClient({ apiToken: 'cf-somebody-elses-token' });
    const { error, status, codes } = await failure(other.customHostnames.list({ zone_id }));
    expect(error).toBeInstanceOf(CloudflareErrors.PermissionDeniedError);
    expect(status).toBe(403);
    expect(codes).toEqual([10000]);

    const hostname = uniqueHostname();
    const res = await raw(`/zones/${zone_id}/custom_hostnames?hostname=${hostname}`, {}, null);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
    const basic = await raw(`/zones/${zone_id}/custom_hostnames?hostname=${hostname}`, { headers: { authorization: 'Basic abc' } }, null);
    expect(basic.status).toBe(400);
    expect(((await basic.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(6003);

    const records = await fakeRequests({ hostname });
    expect(records.map((r) => [r.status, r.auth])).toEqual([
      [403, { present: false, scheme: null, accepted: false }],
      [400, { present: true, scheme: 'Basic', accepted: false }],
    ]);
    expect(JSON.stringify(await fakeRequests({ method: 'GET' }))).not.toContain('cf-somebody-elses-token');
  });

  it('a zone the token cannot reach is a 404 (code 7003), a malformed one a 400; nothing is created', async () => {
    const hostname = uniqueHostname();
    const elsewhere = await failure(cf.customHostnames.create({ zone_id: 'e'.repeat(32), hostname }));
    expect(elsewhere).toMatchObject({ status: 404, codes: [7003] });
    expect(elsewhere.error).toBeInstanceOf(CloudflareErrors.NotFoundError);
    expect((await failure(cf.customHostnames.get(crypto.randomUUID(), { zone_id: 'not-a-zone' }))).codes).toEqual([7003]);
    expect(await fakeHostnames({ hostname })).toEqual([]);
    expect((await raw('/zones')).status).toBe(400); // not a route: code 7000
  });
});

describe('Cloudflare fake: the control API', () => {
  it('active: hostname and certificate active, no errors and no validation records left', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    const active = await setHostnameState(hostname, 'active');
    expect(active).toMatchObject({ id: created.id, zone_id, status: 'active', ssl: { status: 'active', validation_errors: [], hosts: [hostname] } });
    const read = await cf.customHostnames.get(created.id, { zone_id });
    expect(read.status).toBe('active');
    expect(read.verification_errors ?? []).toEqual([]);
    expect(read.ssl?.status).toBe('active');
    expect(read.ssl?.validation_records ?? []).toEqual([]);
    expect(Date.parse(read.ssl!.expires_on!)).toBeGreaterThan(Date.now());
  });

  it('pending again asks for the same records; failed verification times the certificate out with a reason', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    await setHostnameState(hostname, 'active');
    const pending = await setHostnameState(created.id, 'pending'); // by id as well as by hostname
    expect(pending).toMatchObject({ status: 'pending', verification_errors: [NOT_CNAMED], ssl: { status: 'pending_validation', validation_records: created.ssl!.validation_records } });
    expect(pending!.ssl!.hosts).toBeUndefined();

    const failed = await setHostnameState(hostname, 'failed_verification');
    expect(failed).toMatchObject({ status: 'pending', verification_errors: [NOT_CNAMED], ssl: { status: 'validation_timed_out', validation_records: created.ssl!.validation_records } });
    expect(failed!.ssl!.validation_errors![0]!.message).toContain(`_acme-challenge.${hostname}`);
    expect((await cf.customHostnames.get(created.id, { zone_id })).ssl?.status).toBe('validation_timed_out');
  });

  it('moved, blocked, deleted; and overrides over a state (active hostname, certificate still pending)', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    expect(await setHostnameState(hostname, 'active', { sslStatus: 'pending_validation' })).toMatchObject({
      status: 'active',
      ssl: { status: 'pending_validation', validation_records: created.ssl!.validation_records },
    });
    expect((await setHostnameState(hostname, 'moved'))!.status).toBe('moved');
    expect((await cf.customHostnames.get(created.id, { zone_id })).status).toBe('moved');
    expect(await setHostnameState(hostname, 'blocked')).toMatchObject({ status: 'blocked', verification_errors: [expect.stringContaining('cannot be added')] });
    expect(await editHostname(hostname, { status: 'pending_deletion', sslStatus: 'pending_deletion' })).toMatchObject({ status: 'pending_deletion', ssl: { status: 'pending_deletion' } });

    expect(await setHostnameState(hostname, 'deleted')).toBeNull();
    expect((await failure(cf.customHostnames.get(created.id, { zone_id }))).status).toBe(404);
    expect(await fakeHostnames({ hostname })).toEqual([]);
    expect(await fakeHostname(hostname)).toBeNull();
    await expect(setHostnameState(hostname, 'active')).rejects.toThrow(/404/);
  });

  it('seeds a hostname already active, as if added in the dashboard', async () => {
    const hostname = uniqueHostname();
    const seeded = await seedHostname({ hostname, state: 'active', customMetadata: { tenant_id: 'from-the-dashboard' } });
    expect(seeded).toMatchObject({ zone_id, status: 'active', ssl: { method: 'txt', status: 'active' } });
    const [listed] = (await cf.customHostnames.list({ zone_id, hostname: { exact: hostname } })).result;
    expect(listed).toMatchObject({ id: seeded.id, custom_metadata: { tenant_id: 'from-the-dashboard' } });
    expect(await fakeHostname(seeded.id)).toEqual(seeded);
  });

  it('records each call about a hostname (create, list, get, delete), by hostname or by id, even after the delete', async () => {
    const hostname = uniqueHostname();
    const other = uniqueHostname();
    const tenantId = crypto.randomUUID();
    const created = await create(hostname, tenantId);
    await create(other);
    await cf.customHostnames.list({ zone_id, hostname: { exact: hostname } });
    await cf.customHostnames.get(created.id, { zone_id });
    await cf.customHostnames.delete(created.id, { zone_id });

    const records = await fakeRequests({ hostname });
    const base = `/client/v4/zones/${zone_id}/custom_hostnames`;
    expect(records.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST ${base} 201`, `GET ${base} 200`, `GET ${base}/${created.id} 200`, `DELETE ${base}/${created.id} 200`]);
    expect(records[0]).toMatchObject({ hostname, hostnameId: created.id, zoneId: zone_id, body: { hostname, ssl: { method: 'txt', type: 'dv' }, custom_metadata: { tenant_id: tenantId } }, auth: { present: true, scheme: 'Bearer', accepted: true } });
    expect(records[1]!.query).toEqual({ 'hostname.exact': hostname });
    expect(Math.abs(Date.parse(records[0]!.time) - Date.now())).toBeLessThan(60_000);
    expect((await fakeRequests({ id: created.id })).map((r) => r.method)).toEqual(['POST', 'GET', 'DELETE']);
    expect((await fakeRequests({ hostname, method: 'delete' })).length).toBe(1);
    expect((await fakeRequests({ hostname, path: '/zones/*/custom_hostnames/' })).map((r) => r.method)).toEqual(['GET', 'DELETE']);
  });
});

describe('Cloudflare fake: planned failures', () => {
  it('the next matching calls answer the planned status, then the API answers again; other hostnames are untouched', async () => {
    const hostname = uniqueHostname();
    await failNext({ hostname, method: 'POST', status: 503, count: 1 });
    const bystander = await create(uniqueHostname()); // another test's call does not take the failure
    expect(bystander.status).toBe('pending');
    const { error, status, codes } = await failure(create(hostname));
    expect(error).toBeInstanceOf(CloudflareErrors.InternalServerError);
    expect(status).toBe(503);
    expect(codes).toEqual([1500]);
    expect((await create(hostname)).hostname).toBe(hostname);
    const [failed, ok] = await fakeRequests({ hostname });
    expect(failed).toMatchObject({ status: 503, failure: { mode: 'status' } });
    expect(ok).toMatchObject({ status: 201, failure: null });
  });

  it('the SDK retries a 5xx: one planned failure and maxRetries 1 succeed; two fail (what the Worker sees as 503)', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    const retrying = cloudflareClient({ maxRetries: 1 });
    await failNext({ id: created.id, method: 'GET', status: 500, count: 1, retryAfter: 0 });
    expect((await retrying.customHostnames.get(created.id, { zone_id })).id).toBe(created.id);
    await failNext({ hostname, method: 'GET', status: 500, count: 2, retryAfter: 0 });
    expect((await failure(retrying.customHostnames.get(created.id, { zone_id }))).status).toBe(500);
    expect((await fakeRequests({ id: created.id, method: 'GET' })).map((r) => r.status)).toEqual([500, 200, 500, 500]);
  });

  it('a 429 carries Retry-After; a path pattern matches within a segment; unused rules can be cleared', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    await failNext({ hostname, path: '/zones/*/custom_hostnames/', status: 429, retryAfter: 7 });
    const res = await raw(`/zones/${zone_id}/custom_hostnames/${created.id}`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(971);

    await failNext({ hostname, status: 500, count: 5 });
    expect(await clearFailures({ hostname })).toBe(1);
    expect((await cf.customHostnames.get(created.id, { zone_id })).id).toBe(created.id);
  });

  it('close drops the connection (a connection error); hang never answers (the client times out)', async () => {
    const hostname = uniqueHostname();
    const created = await create(hostname);
    await failNext({ hostname, mode: 'close' });
    await expect(cf.customHostnames.get(created.id, { zone_id })).rejects.toBeInstanceOf(CloudflareErrors.APIConnectionError);

    await failNext({ hostname, mode: 'hang' });
    const impatient = cloudflareClient({ timeout: 300 });
    await expect(impatient.customHostnames.get(created.id, { zone_id })).rejects.toBeInstanceOf(CloudflareErrors.APIConnectionTimeoutError);

    await failNext({ hostname, mode: 'hang', hangMs: 50 });
    await expect(cf.customHostnames.get(created.id, { zone_id })).rejects.toBeInstanceOf(CloudflareErrors.APIConnectionError);

    const records = await fakeRequests({ id: created.id, method: 'GET' });
    expect(records.map((r) => [r.status, r.failure?.mode ?? null])).toEqual([
      [null, 'close'],
      [null, 'hang'],
      [null, 'hang'],
    ]);
    expect((await cf.customHostnames.get(created.id, { zone_id })).id).toBe(created.id);
  });
});
