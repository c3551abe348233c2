/**
 * Usage tracking and reports (issue 5, point 4): what a month's figures are, who may see them,
 * how the TenantGate's alarm and the daily job record them, and the 80%/100% audit entries.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { gateStub } from '../src/tenancy/gate';
import { recordDailyUsage, recordTenantUsage } from '../src/usage/daily';
import { findTenant } from '../src/tenancy/service';
import { previousPeriod, usagePeriod } from '../src/usage/period';
import { envWith } from './support/gateway';
import { addUser, adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl, uniqueSlug, type CreatedTenant } from './support/tenants';

const period = usagePeriod();

async function channel(t: CreatedTenant, name: string): Promise<string> {
  const res = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name, kind: 'public' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.channel.id;
}

async function post(t: CreatedTenant, channelId: string, text: string): Promise<void> {
  const res = await api(tenantUrl(t.slug, `/api/channels/${channelId}/messages`), { method: 'POST', headers: bearer(t.token), json: { text } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function invite(t: CreatedTenant, email: string) {
  return api(tenantUrl(t.slug, '/api/invitations'), { method: 'POST', headers: bearer(t.token), json: { email, role: 'member' } });
}

function usage(t: CreatedTenant, token = t.token, query = '') {
  return api(tenantUrl(t.slug, `/api/tenant/usage${query}`), { headers: bearer(token) });
}

function auditRows(tenantId: string) {
  return database().sql`SELECT action, resource_id, new_values FROM public.tenant_audit_logs WHERE tenant_id = ${tenantId} AND resource_type = 'usage' ORDER BY id`;
}

function usageRow(tenantId: string, p = period) {
  return database().sql`SELECT * FROM public.tenant_usage WHERE tenant_id = ${tenantId} AND period = ${p}`;
}

/** The daily job's step for one tenant (the whole job runs over every tenant of every test file). */
async function recordOne(t: CreatedTenant): Promise<number> {
  const row = await findTenant(database(), t.id);
  return recordTenantUsage(database(), row!);
}

/** A workspace with 2 channels, 3 messages, one more user, one open invitation and one file. */
async function busyWorkspace(): Promise<CreatedTenant & { channelId: string; fileBytes: number }> {
  const t = await createTenant();
  const channelId = await channel(t, 'one');
  await channel(t, 'two');
  for (const text of ['a', 'b', 'c']) await post(t, channelId, text);
  await addUser(t, 'member');
  expect((await invite(t, `new@${t.slug}.test`)).status).toBe(201);
  const bytes = new TextEncoder().encode('hello usage report');
  const up = await api(tenantUrl(t.slug, `/api/channels/${channelId}/attachments?filename=a.txt`), {
    method: 'POST',
    headers: { ...bearer(t.token), 'content-type': 'text/plain', 'content-length': String(bytes.byteLength) },
    body: bytes,
  });
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  return { ...t, channelId, fileBytes: bytes.byteLength };
}

describe('GET /api/tenant/usage', () => {
  it('reports the current month live: people, channels, messages, storage, files, and each cap used', async () => {
    const t = await busyWorkspace();
    const res = await usage(t);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      period,
      current: true,
      plan: 'free',
      usage: { usersTotal: 2, invitationsPending: 1, channels: 2, messages: 3, storageBytes: t.fileBytes, files: 1 },
      exceeded: [],
    });
    // The owner signed up (not signed in) and posted: active this month.
    expect(res.body.usage.usersActive).toBe(1);
    expect(res.body.limits.users).toEqual({ used: 3, limit: 10, percent: 30, state: 'ok' });
    expect(res.body.limits.channels).toEqual({ used: 2, limit: 5, percent: 40, state: 'ok' });
    expect(res.body.limits.storageBytes).toMatchObject({ used: t.fileBytes, limit: 1024 ** 3, percent: 0, state: 'ok' });
    expect(res.body.limits.apiCallsPerMonth).toMatchObject({ limit: 1000 });
    expect(Date.parse(res.body.measuredAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('counts a sign-in as activity this month', async () => {
    const t = await createTenant();
    expect((await usage(t)).body.usage.usersActive).toBe(0);
    const login = await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', json: { email: `owner@${t.slug}.test`, password: 'securepass123' } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect((await usage(t)).body.usage.usersActive).toBe(1);
  });

  it('includes API calls the TenantGate has counted but not flushed yet', async () => {
    const t = await createTenant();
    const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });
    for (let i = 0; i < 4; i++) {
      const res = await worker.fetch(new Request(tenantUrl(t.slug, '/api/me'), { headers: bearer(t.token) }), enforced, createExecutionContext());
      expect(res.status).toBe(200);
    }
    const res = await worker.fetch(new Request(tenantUrl(t.slug, '/api/tenant/usage'), { headers: bearer(t.token) }), enforced, createExecutionContext());
    const body = (await res.json()) as { usage: { apiCalls: number; apiCallsByRoute: Record<string, number> } };
    // The report's own request is counted too (it passed the gate first).
    expect(body.usage.apiCalls).toBe(5);
    expect(body.usage.apiCallsByRoute).toEqual({ me: 4, tenant: 1 });
  });

  it('is for owners and admins: a member gets 403, nobody signed in 401', async () => {
    const t = await createTenant();
    const admin = await addUser(t, 'admin');
    const member = await addUser(t, 'member');
    expect((await usage(t, admin.token)).status).toBe(200);
    expect((await usage(t, member.token)).body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await usage(t, member.token)).status).toBe(403);
    expect((await api(tenantUrl(t.slug, '/api/tenant/usage'))).status).toBe(401);
  });

  it("never shows another tenant's usage: A's owner on B's host is refused, and each host reports its own", async () => {
    const a = await busyWorkspace();
    const b = await createTenant();
    const crossed = await usage(b, a.token);
    expect(crossed.status).toBe(401);
    expect(JSON.stringify(crossed.body)).not.toContain(a.id);
    const own = await usage(b);
    expect(own.body.usage).toMatchObject({ usersTotal: 1, channels: 0, messages: 0, storageBytes: 0, files: 0 });
    const history = await api(tenantUrl(b.slug, '/api/tenant/usage/history'), { headers: bearer(a.token) });
    expect(history.status).toBe(401);
    expect(JSON.stringify(history.body)).not.toContain(a.id);
    // Platform host: no tenant usage route there.
    expect((await api(`${PLATFORM}/api/tenant/usage`, { headers: bearer(a.token) })).status).toBe(404);
  });

  it('refuses a malformed or future period with 400; a month that is over comes from its stored row', async () => {
    const t = await createTenant();
    const bad = await usage(t, t.token, '?period=2026-13');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const future = await usage(t, t.token, '?period=2999-01');
    expect(future.status).toBe(400);
    expect(future.body.error.code).toBe('invalid_period');

    const last = previousPeriod(period);
    await database().sql`INSERT INTO public.tenant_usage (tenant_id, period, users_total, users_active, channels, messages, storage_bytes, files, api_calls, api_calls_by_endpoint)
      VALUES (${t.id}, ${last}, 4, 3, 2, 250, 1000, 2, 900, '{"channels": 900}')`;
    const past = await usage(t, t.token, `?period=${last}`);
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({
      period: last,
      current: false,
      usage: { usersTotal: 4, usersActive: 3, channels: 2, messages: 250, storageBytes: 1000, files: 2, apiCalls: 900, apiCallsByRoute: { channels: 900 } },
      limits: { apiCallsPerMonth: { used: 900, limit: 1000, percent: 90, state: 'near' } },
    });
    // A month before the workspace existed: zeros.
    expect((await usage(t, t.token, '?period=2020-01')).body.usage).toMatchObject({ usersTotal: 0, messages: 0, storageBytes: 0, apiCalls: 0 });
  });
});

describe('GET /api/tenant for members', () => {
  it('adds each cap\'s use for a signed-in member; a session that has ended counts as signed out (public config, 200)', async () => {
    const t = await createTenant();
    const member = await addUser(t, 'member');
    const signedIn = await api(tenantUrl(t.slug, '/api/tenant'), { headers: bearer(member.token) });
    expect(signedIn.body.tenant.usage.users).toMatchObject({ used: 2, limit: 10 });
    expect((await api(tenantUrl(t.slug, '/api/auth/logout'), { method: 'POST', headers: bearer(member.token) })).status).toBe(204);
    const stale = await api(tenantUrl(t.slug, '/api/tenant'), { headers: bearer(member.token) });
    expect(stale.status).toBe(200);
    expect(stale.body.tenant).toMatchObject({ id: t.id, slug: t.slug });
    expect(stale.body.tenant.usage).toBeUndefined();
    expect(stale.body.tenant.limitsExceeded).toBeUndefined();
  });
});

describe('GET /api/tenant/usage/history', () => {
  it('is an analytics feature: the free plan gets 403 feature_not_in_plan', async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/tenant/usage/history'), { headers: bearer(t.token) });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'feature_not_in_plan', details: { feature: 'analytics', availableOn: ['pro', 'enterprise', 'custom'] } });
  });

  it('returns the last 12 months, oldest first, the current one live, storage carried through empty months', async () => {
    const t = await createTenant({ trial: true });
    const last = previousPeriod(period);
    const older = previousPeriod(previousPeriod(last));
    await database().sql`INSERT INTO public.tenant_usage (tenant_id, period, messages, storage_bytes, files, api_calls) VALUES
      (${t.id}, ${older}, 10, 500, 1, 20), (${t.id}, ${last}, 40, 700, 2, 30)`;
    const channelId = await channel(t, 'now');
    await post(t, channelId, 'this month');
    const res = await api(tenantUrl(t.slug, '/api/tenant/usage/history'), { headers: bearer(t.token) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const months = res.body.months as { period: string; current: boolean; usage: Record<string, number> }[];
    expect(months).toHaveLength(12);
    expect(months.at(-1)).toMatchObject({ period, current: true, usage: { messages: 1, channels: 1, storageBytes: 700 } });
    expect(months.at(-2)).toMatchObject({ period: last, current: false, usage: { messages: 40, storageBytes: 700, apiCalls: 30 } });
    // The month between the two rows had no row: no messages, storage as it stood.
    expect(months.at(-3)).toMatchObject({ usage: { messages: 0, storageBytes: 500, files: 1 } });
    expect(months.at(-4)).toMatchObject({ period: older, usage: { messages: 10, storageBytes: 500 } });
    expect(months[0]!.usage).toMatchObject({ messages: 0, storageBytes: 0 });
    expect(res.body.limits).toMatchObject({ users: 100, channels: 50 });
  });
});

describe('recording usage', () => {
  it("the TenantGate's alarm writes the month's figures with its API calls, and a retry changes nothing", async () => {
    const t = await busyWorkspace();
    const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });
    for (let i = 0; i < 3; i++) await worker.fetch(new Request(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) }), enforced, createExecutionContext());
    const stub = gateStub(env, t.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [row] = await usageRow(t.id);
    expect(row).toMatchObject({ users_total: 2, users_active: 1, channels: 2, messages: 3, storage_bytes: String(t.fileBytes), files: 1, api_calls: 3, api_calls_by_endpoint: { channels: 3 } });
    await post(t, t.channelId, 'one more');
    // A second run (as a retried alarm would): API calls are not added twice, and the month is
    // not measured again within five minutes (measuring scans the month's messages)...
    await runInDurableObject(stub, (gate) => gate.alarm());
    expect((await usageRow(t.id))[0]).toMatchObject({ messages: 3, api_calls: 3, storage_bytes: String(t.fileBytes), files: 1 });
    // ...until the gate is evicted (or five minutes pass), or the daily job runs.
    await recordOne(t);
    expect((await usageRow(t.id))[0]).toMatchObject({ messages: 4, api_calls: 3, storage_bytes: String(t.fileBytes), files: 1 });
  });

  it('the daily job records every live tenant, quiet ones included, and finalizes the month just ended', async () => {
    const t = await busyWorkspace();
    const last = previousPeriod(period);
    // The workspace existed last month, and its row was written before the month ended.
    await database().sql`UPDATE public.tenants SET created_at = now() - interval '70 days' WHERE id = ${t.id}`;
    await database().sql`INSERT INTO public.tenant_usage (tenant_id, period, messages, users_active, updated_at) VALUES (${t.id}, ${last}, 0, 0, '2000-01-01')`;
    const result = await recordDailyUsage(database());
    expect(result.failed.filter((f) => f.id === t.id)).toEqual([]);
    expect(result.recorded).toBeGreaterThanOrEqual(1);
    const [row] = await usageRow(t.id);
    expect(row).toMatchObject({ users_total: 2, channels: 2, messages: 3, storage_bytes: String(t.fileBytes), files: 1 });
    const [finalized] = await usageRow(t.id, last);
    // Nothing was posted last month in this test: the measure says 0 and the row is now final.
    expect(finalized).toMatchObject({ messages: 0 });
    expect(Date.parse(String(finalized!.finalized_at))).toBeGreaterThan(Date.now() - 60_000);
    // Once only: whatever writes the row later (the gate's API-call flush), it is not measured again.
    await database().sql`UPDATE public.tenant_usage SET messages = 7, updated_at = now() WHERE tenant_id = ${t.id} AND period = ${last}`;
    await recordOne(t);
    expect((await usageRow(t.id, last))[0]).toMatchObject({ messages: 7 });
  });

  it('finalizes a month with no row (nobody measured it) but invents none before the workspace existed', async () => {
    const t = await createTenant();
    const last = previousPeriod(period);
    await recordOne(t);
    // Created this month: last month is not the workspace's.
    expect(await usageRow(t.id, last)).toEqual([]);
    await database().sql`UPDATE public.tenants SET created_at = now() - interval '70 days' WHERE id = ${t.id}`;
    await recordOne(t);
    const [row] = await usageRow(t.id, last);
    expect(row).toMatchObject({ users_total: 1, messages: 0 });
    expect(row!.finalized_at).not.toBeNull();
  });
});

describe('limit alerts in the audit log', () => {
  it('logs 80% and 100% of a cap once per month, whoever records it and however often', async () => {
    const t = await createTenant();
    for (const name of ['c1', 'c2', 'c3']) await channel(t, name);
    expect(await recordOne(t)).toBe(0);
    expect(await auditRows(t.id)).toEqual([]);

    await channel(t, 'c4'); // 4 of 5: 80%
    expect(await recordOne(t)).toBe(1);
    await runInDurableObject(gateStub(env, t.id), (gate) => gate.alarm());
    expect(await recordOne(t)).toBe(0);
    expect(await auditRows(t.id)).toEqual([
      { action: 'usage.limit_near', resource_id: `${period}:channels`, new_values: { period, resource: 'channels', used: 4, limit: 5, threshold: 80 } },
    ]);

    await channel(t, 'c5'); // 5 of 5: reached
    // Two writers at once (the gate's alarm and the daily job may meet): one alert between them.
    expect((await Promise.all([recordOne(t), recordOne(t)])).sort()).toEqual([0, 1]);
    const rows = await auditRows(t.id);
    expect(rows.map((r) => r.action)).toEqual(['usage.limit_near', 'usage.limit_reached']);
    expect(rows[1]).toMatchObject({ resource_id: `${period}:channels`, new_values: { used: 5, limit: 5, threshold: 100 } });
  });

  it('shows the alerts to the owner in the audit log (Pro) with the system as actor', async () => {
    const t = await createTenant({ trial: true });
    // 80 of 100 seats: 1 owner + 79 open invitations would be slow; a custom deal with 5 seats is the same rule.
    const admin = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { limits: { users: 5 } } });
    expect(admin.status, JSON.stringify(admin.body)).toBe(200);
    for (const n of [1, 2, 3]) expect((await invite(t, `p${n}@${t.slug}.test`)).status).toBe(201);
    expect(await recordOne(t)).toBe(1);
    const res = await api(tenantUrl(t.slug, '/api/tenant/audit-logs?action=usage.limit_near'), { headers: bearer(t.token) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0]).toMatchObject({ actor: { type: 'system' }, resource: { type: 'usage', id: `${period}:users` }, newValues: { used: 4, limit: 5 } });
  });
});

describe('GET /api/admin/usage', () => {
  it('lists tenants sorted by a figure, filtered, paged; only for platform admins on the platform host', async () => {
    // Other test files' tenants are in the same database: this test looks at its own, by name.
    const tag = uniqueSlug('ranked');
    const heavy = await createTenant({ slug: `${tag}-a` });
    const light = await createTenant({ slug: `${tag}-b` });
    for (const t of [heavy, light]) {
      const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'pro' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await database().sql`INSERT INTO public.tenant_usage (tenant_id, period, api_calls, messages, storage_bytes) VALUES
      (${heavy.id}, ${period}, 987654, 5, 10), (${light.id}, ${period}, 987653, 6, 20)`;
    const res = await api(`${PLATFORM}/api/admin/usage?search=${tag}&sort=apiCalls&order=desc&limit=1`, { headers: adminAuth });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ period, sort: 'apiCalls', order: 'desc' });
    const ids = (res.body.tenants as { tenant: { id: string } }[]).map((r) => r.tenant.id);
    expect(ids).toEqual([heavy.id]);
    expect(res.body.tenants[0]).toMatchObject({
      tenant: { slug: heavy.slug, plan: 'pro' },
      usage: { apiCalls: 987654, messages: 5, storageBytes: 10 },
      limits: { apiCallsPerMonth: { used: 987654, limit: 50000, state: 'over' } },
      exceeded: [{ resource: 'apiCallsPerMonth', used: 987654, limit: 50000 }],
    });
    expect(typeof res.body.nextCursor).toBe('string');
    const next = await api(`${PLATFORM}/api/admin/usage?search=${tag}&sort=apiCalls&order=desc&limit=1&cursor=${res.body.nextCursor}`, { headers: adminAuth });
    expect(next.status).toBe(200);
    expect((next.body.tenants as { tenant: { id: string } }[]).map((r) => r.tenant.id)).toEqual([light.id]);
    expect(next.body.nextCursor).toBeNull();
    const ascending = await api(`${PLATFORM}/api/admin/usage?search=${tag}&sort=messages&order=asc`, { headers: adminAuth });
    expect((ascending.body.tenants as { tenant: { id: string } }[]).map((r) => r.tenant.id)).toEqual([heavy.id, light.id]);

    const over = await api(`${PLATFORM}/api/admin/usage?search=${tag}&overLimit=true&plan=pro&limit=100`, { headers: adminAuth });
    expect((over.body.tenants as { tenant: { id: string } }[]).map((r) => r.tenant.id)).toEqual([heavy.id, light.id]);
    expect((over.body.tenants as { exceeded: unknown[] }[]).every((r) => r.exceeded.length > 0)).toBe(true);

    expect((await api(`${PLATFORM}/api/admin/usage`)).status).toBe(401);
    expect((await api(`${PLATFORM}/api/admin/usage`, { headers: bearer(heavy.token) })).status).toBe(403);
    expect((await api(tenantUrl(heavy.slug, '/api/admin/usage'), { headers: adminAuth })).status).toBe(404);
    expect((await api(`${PLATFORM}/api/admin/usage?sort=nonsense`, { headers: adminAuth })).status).toBe(400);
    expect((await api(`${PLATFORM}/api/admin/usage?cursor=garbage`, { headers: adminAuth })).body.error.code).toBe('invalid_cursor');
  });
});
