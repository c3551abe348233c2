/**
 * The TenantGate (issue 5, point 3): exact per-plan rate limit with RateLimit-* headers, the
 * monthly API-call quota, authoritative status, and usage counters that survive eviction and
 * are flushed exactly once.
 */
import { createExecutionContext, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { monthPeriod } from '../durable-objects/tenant-gate';
import worker from '../src/index';
import { gateStub } from '../src/tenancy/gate';
import { findTenant } from '../src/tenancy/service';
import { snapshotFromRow } from '../src/tenancy/snapshot';
import { envWith } from './support/gateway';
import { adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl } from './support/tenants';

const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });

function call(url: string, token: string) {
  return worker.fetch(new Request(url, { headers: bearer(token) }), enforced, createExecutionContext());
}

describe('TenantGate', () => {
  it('sends RateLimit headers on tenant API responses and counts down', async () => {
    const t = await createTenant();
    const first = await call(tenantUrl(t.slug, '/api/me'), t.token);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('60');
    const remaining = Number(first.headers.get('ratelimit-remaining'));
    const reset = Number(first.headers.get('ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(60);
    const second = await call(tenantUrl(t.slug, '/api/me'), t.token);
    expect(Number(second.headers.get('ratelimit-remaining'))).toBe(remaining - 1);
    // The health check is not counted.
    const health = await worker.fetch(new Request(tenantUrl(t.slug, '/api/health')), enforced, createExecutionContext());
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('lets exactly 60 of 200 parallel calls through on the free plan (one minute window)', async () => {
    const t = await createTenant();
    const row = (await findTenant(database(), t.id))!;
    const gate = gateStub(env, t.id);
    const now = Date.UTC(2026, 10, 28, 12, 0, 30);
    const decisions = await Promise.all(Array.from({ length: 200 }, () => gate.admit(snapshotFromRow(row), 'channels', now)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).toHaveLength(140);
    expect(refused.every((d) => d.reason === 'rate_limited' && d.rateLimit.remaining === 0 && d.rateLimit.resetSeconds === 30)).toBe(true);
    // The next minute starts afresh.
    expect((await gate.admit(snapshotFromRow(row), 'channels', now + 30_000)).allowed).toBe(true);
  });

  it('answers over the limit with 429 rate_limited and Retry-After through the Worker', async () => {
    const t = await createTenant();
    const results = await Promise.all(Array.from({ length: 70 }, () => call(tenantUrl(t.slug, '/api/tenant'), t.token)));
    const limited = results.filter((r) => r.status === 429);
    // 70 calls inside one minute: at least 10 refused (more than 10 only if the burst straddled a minute).
    expect(limited.length).toBeGreaterThanOrEqual(10);
    const body = (await limited[0]!.json()) as { error: { code: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('refuses calls over the monthly quota with 429 quota_exceeded and the reset date', async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'custom', limits: { apiCallsPerMonth: 3 } } })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(tenantUrl(t.slug, '/api/tenant'), t.token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const over = await call(tenantUrl(t.slug, '/api/tenant'), t.token);
    const body = (await over.json()) as { error: { code: string; details: { limit: number; resetsAt: string } } };
    expect(body.error.code).toBe('quota_exceeded');
    expect(body.error.details.limit).toBe(3);
    expect(Date.parse(body.error.details.resetsAt)).toBeGreaterThan(Date.now());
  });

  it('makes a suspension take effect on the very next request, whatever the caches still say', async () => {
    const t = await createTenant();
    expect((await call(tenantUrl(t.slug, '/api/tenant'), t.token)).status).toBe(200);
    // Only the gate is told (as if this isolate and KV had not heard yet).
    const row = (await findTenant(database(), t.id))!;
    await gateStub(env, t.id).update({ ...snapshotFromRow(row), status: 'suspended', version: row.version + 1 });
    const res = await call(tenantUrl(t.slug, '/api/tenant'), t.token);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('tenant_suspended');
    // An older snapshot does not undo it.
    await gateStub(env, t.id).update(snapshotFromRow(row));
    expect((await call(tenantUrl(t.slug, '/api/tenant'), t.token)).status).toBe(403);
  });

  it("applies an upgrade only the gate has heard of to the routes' limits and features on the next request", async () => {
    const t = await createTenant();
    const row = (await findTenant(database(), t.id))!;
    // As if the write that upgraded the tenant had reached the gate but not this isolate or KV.
    await gateStub(env, t.id).update({ ...snapshotFromRow(row), billingPlan: 'pro', version: row.version + 1 });
    const res = await call(tenantUrl(t.slug, '/api/tenant'), t.token);
    expect(res.headers.get('ratelimit-limit')).toBe('120');
    const body = (await res.json()) as { tenant: { plan: string; limits: { channels: number }; features: { search: boolean } } };
    expect(body.tenant).toMatchObject({ plan: 'pro', limits: { channels: 50 }, features: { search: true } });
    // The routes use it too: a sixth channel (over free's five) and search (a Pro feature).
    for (let i = 1; i <= 6; i++) {
      const created = await worker.fetch(
        new Request(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: { ...bearer(t.token), 'content-type': 'application/json' }, body: JSON.stringify({ name: `c${i}`, kind: 'public' }) }),
        enforced,
        createExecutionContext(),
      );
      expect(created.status).toBe(201);
    }
    expect((await call(tenantUrl(t.slug, '/api/search?q=hello'), t.token)).status).toBe(200);
  });

  it('lets a workspace in again as soon as the gate knows its suspension was lifted, whatever the caches still say', async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'check' } })).status).toBe(200);
    expect((await call(tenantUrl(t.slug, '/api/me'), t.token)).status).toBe(403);
    const suspended = (await findTenant(database(), t.id))!;
    await gateStub(env, t.id).update({ ...snapshotFromRow(suspended), status: 'active', suspendedReason: null, version: suspended.version + 1 });
    expect((await call(tenantUrl(t.slug, '/api/me'), t.token)).status).toBe(200);
  });

  it("with the gate on, A's session on B's host still reaches nothing of B's", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    expect((await call(tenantUrl(b.slug, '/api/me'), a.token)).status).toBe(401);
    expect((await call(tenantUrl(b.slug, '/api/channels'), a.token)).status).toBe(401);
    const config = (await (await call(tenantUrl(b.slug, '/api/tenant'), a.token)).json()) as { tenant: Record<string, unknown> };
    expect(config.tenant).toMatchObject({ id: b.id });
    expect(config.tenant.usage).toBeUndefined();
    // B's gate counted B's requests; A's gate saw none of them.
    const period = monthPeriod(Date.now());
    expect((await gateStub(env, b.id).counters(period)).total).toBe(3);
    expect((await gateStub(env, a.id).counters(period)).total).toBe(0);
  });

  it('counts a burst exactly before any of it is written, then writes all of it (an evicted gate still knows it)', async () => {
    const t = await createTenant();
    const row = (await findTenant(database(), t.id))!;
    const gate = gateStub(env, t.id);
    const now = Date.now();
    // Counts take effect at once and are written a moment later, once for the whole burst.
    const decisions = await Promise.all(Array.from({ length: 59 }, (_, i) => gate.admit(snapshotFromRow(row), i % 2 ? 'channels' : 'me', now)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    const last = await gate.admit(snapshotFromRow(row), 'me', now);
    expect(last).toMatchObject({ allowed: true, rateLimit: { limit: 60, remaining: 0 }, quota: { used: 60 } });
    expect(await gate.admit(snapshotFromRow(row), 'me', now)).toMatchObject({ allowed: false, reason: 'rate_limited' });
    const written = () => runInDurableObject(gate, (_instance, state) => ({
      calls: state.storage.sql.exec<{ n: number }>('SELECT coalesce(sum(count), 0) AS n FROM api_calls').one().n,
      window: state.storage.sql.exec<{ count: number }>('SELECT count FROM rate_window').toArray()[0]?.count ?? 0,
    }));
    for (let i = 0; i < 50 && (await written()).calls < 60; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await written()).toEqual({ calls: 60, window: 60 });
    await evictDurableObject(gate);
    expect(await gate.admit(snapshotFromRow(row), 'me', now)).toMatchObject({ allowed: false, reason: 'rate_limited' });
    expect(await gate.counters(monthPeriod(now))).toEqual({ total: 60, byRoute: { channels: 29, me: 31 } });
    // The snapshot comes back only when the gate's is newer than the caller's.
    expect(last.snapshot).toBeUndefined();
    const newer = { ...snapshotFromRow(row), version: row.version + 1 };
    await gate.update(newer);
    expect((await gate.admit(snapshotFromRow(row), 'me', now + 60_000)).snapshot).toEqual(newer);
  });

  it('keeps counters across an eviction and flushes them to tenant_usage exactly once', async () => {
    const t = await createTenant();
    for (let i = 0; i < 3; i++) await call(tenantUrl(t.slug, '/api/tenant'), t.token);
    for (let i = 0; i < 2; i++) await call(tenantUrl(t.slug, '/api/me'), t.token);
    const stub = gateStub(env, t.id);
    await evictDurableObject(stub);
    const period = monthPeriod(Date.now());
    expect(await stub.counters(period)).toEqual({ total: 5, byRoute: { tenant: 3, me: 2 } });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const read = () => database().sql`SELECT api_calls, api_calls_by_endpoint FROM public.tenant_usage WHERE tenant_id = ${t.id} AND period = ${period}`;
    expect(await read()).toEqual([{ api_calls: 5, api_calls_by_endpoint: { tenant: 3, me: 2 } }]);
    // A retried alarm writes the same absolute values: no double count.
    await runInDurableObject(stub, (gate) => gate.alarm());
    expect(await read()).toEqual([{ api_calls: 5, api_calls_by_endpoint: { tenant: 3, me: 2 } }]);
  });

  it('after a purge, its alarm forgets the tenant instead of failing on every retry', async () => {
    const t = await createTenant();
    for (let i = 0; i < 3; i++) await call(tenantUrl(t.slug, '/api/me'), t.token);
    const stub = gateStub(env, t.id);
    const period = monthPeriod(Date.now());
    expect((await stub.counters(period)).total).toBe(3);
    const purged = await worker.fetch(new Request(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth }), enforced, createExecutionContext());
    expect(purged.status).toBe(200);
    // The alarm the requests set runs after the purge: it must not throw (the runtime would retry it).
    await runInDurableObject(stub, (gate) => gate.alarm());
    expect(await stub.counters(period)).toEqual({ total: 0, byRoute: {} });
    expect(await runInDurableObject(stub, (_gate, state) => state.storage.getAlarm())).toBeNull();
    expect(await database().sql`SELECT 1 FROM public.tenant_usage WHERE tenant_id = ${t.id}`).toEqual([]);
  });
});
