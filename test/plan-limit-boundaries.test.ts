/**
 * Every plan limit at its boundary, for each plan (issue 5: "Tests for every limit at the
 * boundary … for each plan including unlimited and custom overrides"): users (seats: active
 * users plus open invitations, also on accept and reactivation), channels, storage and the
 * per-file upload size, API calls a month and requests a minute (the TenantGate), what a
 * downgrade or a trial's end leaves (readable, nothing more added, reported by GET /api/tenant),
 * and one cross-tenant check. The last allowed unit passes, the next is refused, and a refusal
 * writes nothing.
 *
 * Requests go through the Worker. The database, R2 and the gate's own storage are touched
 * directly only to check what a request left behind, or to seed a running total (storage
 * bytes, API calls of the month) near a plan's cap that would take too long to reach by API.
 */
import { createExecutionContext, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { ownChannels } from './support/chat';
import { describe, expect, it } from 'vitest';
import { monthPeriod } from '../durable-objects/tenant-gate';
import worker from '../src/index';
import type { PlanId } from '../src/db/schema';
import { gateStub } from '../src/tenancy/gate';
import { findTenant } from '../src/tenancy/service';
import { snapshotFromRow, type TenantSnapshot } from '../src/tenancy/snapshot';
import { envWith } from './support/gateway';
import {
  acceptInvitation,
  adminPut,
  counts,
  createChannel,
  createChannels,
  GB,
  invite,
  inviteMany,
  MiB,
  r2Keys,
  seedStorage,
  storageUsed,
  tenantView,
  upload,
} from './support/limits';
import { addUser, api, bearer, createTenant, database, tenantUrl, type CreatedTenant } from './support/tenants';

interface PlanCase {
  name: string;
  plan: PlanId;
  /** The platform admin's PUT /api/tenants/:id that puts a fresh (free) tenant on the plan. */
  setup: Record<string, unknown> | null;
  users: number | null;
  channels: number | null;
  storageBytes: number | null;
  uploadBytes: number | null;
  requestsPerMinute: number;
  apiCallsPerMonth: number | null;
  customDomains: number | null;
  /** What a refusal's `upgrade` says: there is a bigger plan to buy. */
  upgrade: boolean;
}

// The numbers, written out (not read from the catalogue), so a change to the catalogue
// shows up here.
const CASES: PlanCase[] = [
  { name: 'free', plan: 'free', setup: null, users: 10, channels: 5, storageBytes: 1 * GB, uploadBytes: 10 * MiB, requestsPerMinute: 60, apiCallsPerMonth: 1_000, customDomains: 0, upgrade: true },
  { name: 'pro', plan: 'pro', setup: { plan: 'pro' }, users: 100, channels: 50, storageBytes: 100 * GB, uploadBytes: 100 * MiB, requestsPerMinute: 120, apiCallsPerMonth: 50_000, customDomains: 2, upgrade: true },
  { name: 'enterprise', plan: 'enterprise', setup: { plan: 'enterprise' }, users: null, channels: null, storageBytes: null, uploadBytes: 1 * GB, requestsPerMinute: 300, apiCallsPerMonth: null, customDomains: 20, upgrade: false },
  {
    name: 'custom (overrides)',
    plan: 'custom',
    setup: { plan: 'custom', limits: { users: 4, channels: 3, storageBytes: 20, uploadBytes: 16, requestsPerMinute: 7, apiCallsPerMonth: 12, customDomains: 1 } },
    users: 4,
    channels: 3,
    storageBytes: 20,
    uploadBytes: 16,
    requestsPerMinute: 7,
    apiCallsPerMonth: 12,
    customDomains: 1,
    upgrade: false,
  },
];

// What "unlimited" is probed with: one past the largest finite plan (pro).
const PAST_PRO = { users: 101, channels: 51, storageBytes: 200 * GB };

async function tenantOn(c: Pick<PlanCase, 'setup'>): Promise<CreatedTenant> {
  const t = await createTenant();
  if (c.setup) await adminPut(t, c.setup);
  return t;
}

async function snapshotOf(t: Pick<CreatedTenant, 'id'>): Promise<TenantSnapshot> {
  const row = await findTenant(database(), t.id);
  if (!row) throw new Error(`tenant ${t.id} not found`);
  return snapshotFromRow(row);
}

function expectPlanLimit(res: { status: number; body: any }, details: Record<string, unknown>): void {
  expect(res.status, JSON.stringify(res.body)).toBe(402);
  expect(res.body.error.code).toBe('plan_limit');
  expect(res.body.error.details).toMatchObject(details);
}

/** The middle of the current minute: a window no burst of calls in a test can straddle. */
function midMinute(): number {
  return Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
}

const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });

function gatedCall(url: string, token: string) {
  return worker.fetch(new Request(url, { headers: bearer(token) }), enforced, createExecutionContext());
}

describe.each(CASES)('$name plan', (c) => {
  it('GET /api/tenant reports the plan and its limits', async () => {
    const t = await tenantOn(c);
    const view = await tenantView(t);
    expect(view.plan).toBe(c.plan);
    expect(view.limits).toEqual({
      users: c.users,
      channels: c.channels,
      storageBytes: c.storageBytes,
      uploadBytes: c.uploadBytes,
      requestsPerMinute: c.requestsPerMinute,
      apiCallsPerMonth: c.apiCallsPerMonth,
      customDomains: c.customDomains,
    });
  });

  it(c.users === null ? 'users: unlimited (more seats than any capped plan)' : `users: seat ${c.users} is fine, seat ${c.users! + 1} is refused with 402`, async () => {
    const t = await tenantOn(c);
    if (c.users === null) {
      await inviteMany(t, PAST_PRO.users - 1, 'seat', 20);
      expect(await counts(t)).toMatchObject({ activeUsers: 1, openInvitations: PAST_PRO.users - 1 });
      const view = await tenantView(t, t.token);
      expect(view.usage.users).toEqual({ used: PAST_PRO.users, limit: null, percent: null, state: 'ok' });
      expect(view.limitsExceeded).toEqual([]);
      return;
    }
    // The owner holds seat 1; invitations take the rest up to one short of the limit.
    await inviteMany(t, c.users - 2, 'seat', 20);
    expect((await invite(t, `last@${t.slug}.test`)).status).toBe(201);
    const before = await counts(t);
    expect(before.activeUsers + before.openInvitations).toBe(c.users);

    const next = await invite(t, `next@${t.slug}.test`);
    expectPlanLimit(next, { resource: 'users', limit: c.users, used: c.users, plan: c.plan, upgrade: c.upgrade });
    expect(await counts(t)).toEqual(before);
    // At the limit is not over it.
    const view = await tenantView(t, t.token);
    expect(view.usage.users).toMatchObject({ used: c.users, limit: c.users, state: 'at_limit' });
    expect(view.limitsExceeded).toEqual([]);
  });

  it(c.channels === null ? 'channels: unlimited' : `channels: channel ${c.channels} is fine, channel ${c.channels! + 1} is refused with 402`, async () => {
    const t = await tenantOn(c);
    if (c.channels === null) {
      await createChannels(t, PAST_PRO.channels, 'ch', 15);
      expect((await counts(t)).channels).toBe(PAST_PRO.channels);
      const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
      expect(ownChannels(list.body.channels)).toHaveLength(PAST_PRO.channels);
      return;
    }
    await createChannels(t, c.channels - 1, 'ch', 15);
    expect((await createChannel(t, 'last')).status).toBe(201);
    const before = await counts(t);
    expect(before.channels).toBe(c.channels);

    const next = await createChannel(t, 'one-too-many');
    expectPlanLimit(next, { resource: 'channels', limit: c.channels, used: c.channels, plan: c.plan, upgrade: c.upgrade });
    expect(await counts(t)).toEqual(before);
    const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(list.body.channels.map((ch: { name: string }) => ch.name)).not.toContain('one-too-many');
  });

  it(c.storageBytes === null ? 'storage: unlimited' : 'storage: an upload up to exactly the limit is fine, one byte more is refused with 402 and nothing reaches R2', async () => {
    const t = await tenantOn(c);
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    if (c.storageBytes === null) {
      await seedStorage(t, PAST_PRO.storageBytes);
      const res = await upload(t, channel, new Uint8Array(5));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(await storageUsed(t)).toEqual({ storageBytes: PAST_PRO.storageBytes + 5, files: 2 });
      return;
    }
    await seedStorage(t, c.storageBytes - 5);
    const fits = await upload(t, channel, new Uint8Array(5), 'fits.bin');
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
    const before = { usage: await storageUsed(t), keys: await r2Keys(t), rows: (await counts(t)).attachments };
    expect(before.usage).toEqual({ storageBytes: c.storageBytes, files: 2 });
    expect(before.keys).toHaveLength(1);
    expect(before.rows).toBe(1);

    const over = await upload(t, channel, new Uint8Array(1), 'over.bin');
    expectPlanLimit(over, { limit: c.storageBytes, used: c.storageBytes, plan: c.plan });
    expect(await storageUsed(t)).toEqual(before.usage);
    expect(await r2Keys(t)).toEqual(before.keys);
    expect((await counts(t)).attachments).toBe(before.rows);
  });

  it('requests a minute: exactly the plan\'s number are admitted in one minute, the next is refused', async () => {
    const t = await tenantOn(c);
    const gate = gateStub(env, t.id);
    const snapshot = await snapshotOf(t);
    const now = midMinute();
    const decisions = await Promise.all(Array.from({ length: c.requestsPerMinute }, () => gate.admit(snapshot, 'channels', now)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(Math.min(...decisions.map((d) => d.rateLimit.remaining!))).toBe(0);
    const next = await gate.admit(snapshot, 'channels', now);
    expect(next).toMatchObject({ allowed: false, reason: 'rate_limited', rateLimit: { limit: c.requestsPerMinute, remaining: 0, resetSeconds: 30 } });
    expect((await gate.counters(monthPeriod(now))).total).toBe(c.requestsPerMinute);
  });

  it(c.apiCallsPerMonth === null ? 'API calls a month: no quota' : `API calls a month: call ${c.apiCallsPerMonth} is fine, the next is refused`, async () => {
    const t = await tenantOn(c);
    const gate = gateStub(env, t.id);
    const snapshot = await snapshotOf(t);
    const now = midMinute();
    const period = monthPeriod(now);
    // The month's count so far, seeded in the gate's own storage (one short of the quota, or
    // far past every capped plan's when there is none).
    const seeded = c.apiCallsPerMonth === null ? 10_000_000 : c.apiCallsPerMonth - 1;
    if (seeded > 0) {
      await runInDurableObject(gate, (_instance, state) => {
        state.storage.sql.exec("INSERT INTO api_calls (period, route, count) VALUES (?, 'seeded', ?)", period, seeded);
      });
    }
    const last = await gate.admit(snapshot, 'channels', now);
    expect(last).toMatchObject({ allowed: true, quota: { limit: c.apiCallsPerMonth, used: seeded + 1, period } });
    const next = await gate.admit(snapshot, 'channels', now);
    if (c.apiCallsPerMonth === null) {
      expect(next).toMatchObject({ allowed: true, quota: { limit: null, used: seeded + 2 } });
      return;
    }
    expect(next).toMatchObject({ allowed: false, reason: 'quota_exceeded', quota: { limit: c.apiCallsPerMonth, used: c.apiCallsPerMonth } });
    // A refused call is not counted.
    expect((await gate.counters(period)).total).toBe(c.apiCallsPerMonth);
  });
});

describe('per-file upload size', () => {
  it('custom override: exactly uploadBytes is fine, one byte more is 413 payload_too_large, nothing written', async () => {
    const t = await tenantOn({ setup: { plan: 'custom', limits: { uploadBytes: 16 } } });
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    const over = await upload(t, channel, new Uint8Array(17), 'over.bin');
    expect(over.status, JSON.stringify(over.body)).toBe(413);
    expect(over.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: 16, plan: 'custom' } });
    expect(await r2Keys(t)).toEqual([]);
    expect((await counts(t)).attachments).toBe(0);
    expect(await storageUsed(t)).toEqual({ storageBytes: 0, files: 0 });

    const fits = await upload(t, channel, new Uint8Array(16), 'fits.bin');
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
    expect(await r2Keys(t)).toHaveLength(1);
    expect(await storageUsed(t)).toEqual({ storageBytes: 16, files: 1 });
  });

  it.each(CASES.filter((c) => c.plan !== 'custom'))('$name: a declared size one byte over the plan\'s $uploadBytes bytes is 413 before the body is read', async (c) => {
    const t = await tenantOn(c);
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    // The body is never read: the declared length alone decides.
    const res = await worker.fetch(
      new Request(tenantUrl(t.slug, `/api/channels/${channel}/attachments?filename=big.bin`), {
        method: 'POST',
        headers: { ...bearer(t.token), 'content-type': 'application/octet-stream', 'content-length': String(c.uploadBytes! + 1) },
        body: new ReadableStream({ start: (ctl) => (ctl.enqueue(new Uint8Array(1)), ctl.close()) }),
      }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error).toMatchObject({ code: 'payload_too_large', details: { limit: c.uploadBytes, plan: c.plan } });
    expect(await r2Keys(t)).toEqual([]);
    expect((await counts(t)).attachments).toBe(0);
  });
});

describe('overrides', () => {
  it('an override of null lifts a capped plan\'s limit (free plan, channels and users unlimited)', async () => {
    const t = await tenantOn({ setup: { limits: { channels: null, users: null } } });
    const view = await tenantView(t);
    expect(view.plan).toBe('free');
    expect(view.limits).toMatchObject({ channels: null, users: null, storageBytes: 1 * GB });
    await createChannels(t, 7);
    await inviteMany(t, 11);
    expect(await counts(t)).toMatchObject({ channels: 7, activeUsers: 1, openInvitations: 11 });
  });

  it('an override can also lower a paid plan\'s limit (pro with channels: 2)', async () => {
    const t = await tenantOn({ setup: { plan: 'pro', limits: { channels: 2 } } });
    await createChannels(t, 2);
    expectPlanLimit(await createChannel(t, 'third'), { resource: 'channels', limit: 2, used: 2, plan: 'pro', upgrade: true });
    expect((await counts(t)).channels).toBe(2);
  });
});

describe('the monthly quota through the Worker', () => {
  it('custom apiCallsPerMonth: 5: the 5th call passes, the 6th is 429 quota_exceeded and is not counted', async () => {
    const t = await tenantOn({ setup: { plan: 'custom', limits: { apiCallsPerMonth: 5 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gatedCall(tenantUrl(t.slug, '/api/me'), t.token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const sixth = await gatedCall(tenantUrl(t.slug, '/api/me'), t.token);
    expect(sixth.status).toBe(429);
    const body = (await sixth.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error).toMatchObject({ code: 'quota_exceeded', details: { limit: 5, used: 5 } });
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await gateStub(env, t.id).counters(monthPeriod(Date.now()))).total).toBe(5);
  });

  it('enterprise: no quota and 300 a minute in the RateLimit headers', async () => {
    const t = await tenantOn({ setup: { plan: 'enterprise' } });
    const res = await gatedCall(tenantUrl(t.slug, '/api/me'), t.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('300');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeLessThanOrEqual(299);
  });
});

describe('what counts as a channel', () => {
  it('public and private channels count, a direct message does not: at 3 public + 2 private on free, a DM still works and a 6th channel does not', async () => {
    const t = await createTenant();
    const member = await addUser(t, 'member');
    await createChannels(t, 3, 'pub');
    for (const name of ['priv0', 'priv1']) {
      const res = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name, kind: 'private' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    expectPlanLimit(await createChannel(t, 'sixth'), { resource: 'channels', limit: 5, used: 5 });
    const privateSixth = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: 'priv2', kind: 'private' } });
    expectPlanLimit(privateSixth, { resource: 'channels', limit: 5, used: 5 });
    const dm = await api(tenantUrl(t.slug, '/api/dms'), { method: 'POST', headers: bearer(t.token), json: { userId: member.id } });
    expect(dm.status, JSON.stringify(dm.body)).toBe(201);
    expect((await counts(t)).channels).toBe(5);
    expect((await tenantView(t, t.token)).usage.channels).toMatchObject({ used: 5, limit: 5, state: 'at_limit' });
  });

  it('unarchiving a channel when there is room is fine', async () => {
    const t = await createTenant();
    const [first] = await createChannels(t, 5);
    expect((await api(tenantUrl(t.slug, `/api/channels/${first}/archive`), { method: 'POST', headers: bearer(t.token) })).status).toBe(200);
    expect((await counts(t)).channels).toBe(4);
    const back = await api(tenantUrl(t.slug, `/api/channels/${first}/unarchive`), { method: 'POST', headers: bearer(t.token) });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect((await counts(t)).channels).toBe(5);
  });

  // Unarchiving counts against the channel limit like creating (found by this file, fixed).
  it('unarchiving a channel when the plan\'s channels are all in use is refused with 402 (archive, create, unarchive must not grow past the limit)', async () => {
    const t = await createTenant();
    const [first] = await createChannels(t, 5);
    expect((await api(tenantUrl(t.slug, `/api/channels/${first}/archive`), { method: 'POST', headers: bearer(t.token) })).status).toBe(200);
    expect((await createChannel(t, 'replacement')).status).toBe(201);
    expect((await counts(t)).channels).toBe(5);
    const back = await api(tenantUrl(t.slug, `/api/channels/${first}/unarchive`), { method: 'POST', headers: bearer(t.token) });
    expectPlanLimit(back, { resource: 'channels', limit: 5, used: 5, plan: 'free', upgrade: true });
    expect((await counts(t)).channels).toBe(5);
  });
});

describe('the gate: quota and rate limit together', () => {
  it('a custom quota below the minute\'s rate: the quota refuses first (quota_exceeded, not rate_limited)', async () => {
    const t = await tenantOn({ setup: { plan: 'custom', limits: { requestsPerMinute: 7, apiCallsPerMonth: 5 } } });
    const gate = gateStub(env, t.id);
    const snapshot = await snapshotOf(t);
    const decisions = await Promise.all(Array.from({ length: 7 }, () => gate.admit(snapshot, 'me', midMinute())));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed).map((d) => d.reason)).toEqual(['quota_exceeded', 'quota_exceeded']);
  });
});

describe('seats beyond invitations', () => {
  it('accepting an invitation re-checks the limit after a downgrade: refused at the limit, nothing created, the invitation stays open', async () => {
    const t = await tenantOn({ setup: { plan: 'pro' } });
    const invitations = await inviteMany(t, 5);
    // Lowered to 3 seats: 1 active user + 5 open invitations = 6 seats.
    await adminPut(t, { plan: 'custom', limits: { users: 3 } });
    // The product's rule: an invitation already holds its seat, so accepting it is allowed
    // while the active users stay within the limit (owner + 2 = 3) ...
    expect((await acceptInvitation(t, invitations[0]!.token)).status).toBe(201);
    expect((await acceptInvitation(t, invitations[1]!.token)).status).toBe(201);
    const before = await counts(t);
    expect(before).toMatchObject({ activeUsers: 3, openInvitations: 3 });
    // ... and the next one would take the active users past it.
    const refused = await acceptInvitation(t, invitations[2]!.token);
    expectPlanLimit(refused, { resource: 'users', limit: 3, used: 3, plan: 'custom', upgrade: false });
    expect(await counts(t)).toEqual(before);
    const [row] = await database().sql.query('SELECT accepted_at, accepted_user_id, revoked_at FROM public.tenant_invitations WHERE id = $1', [invitations[2]!.id]);
    expect(row).toEqual({ accepted_at: null, accepted_user_id: null, revoked_at: null });
    const list = await api(tenantUrl(t.slug, '/api/invitations?status=pending'), { headers: bearer(t.token) });
    expect(list.body.invitations.map((i: { id: string }) => i.id)).toContain(invitations[2]!.id);
  });

  it('an expired invitation frees its seat; resending a still-open invitation at full seats is fine', async () => {
    const t = await createTenant();
    const invitations = await inviteMany(t, 9);
    expectPlanLimit(await invite(t, `extra@${t.slug}.test`), { resource: 'users', used: 10 });
    const resent = await api(tenantUrl(t.slug, `/api/invitations/${invitations[1]!.id}/resend`), { method: 'POST', headers: bearer(t.token) });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect(await counts(t)).toMatchObject({ activeUsers: 1, openInvitations: 9 });
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [invitations[0]!.id]);
    expect((await invite(t, `extra@${t.slug}.test`)).status).toBe(201);
    expect(await counts(t)).toMatchObject({ activeUsers: 1, openInvitations: 9 });
  });

  // An expired invitation holds no seat; resending it takes one again (found by this file, fixed).
  it('resending an expired invitation re-opens a seat, so it is refused with 402 when the seats are full', async () => {
    const t = await createTenant();
    const invitations = await inviteMany(t, 9);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [invitations[0]!.id]);
    // The expired invitation's seat went to someone else: 10 of 10 seats.
    expect((await invite(t, `replacement@${t.slug}.test`)).status).toBe(201);
    const before = await counts(t);
    expect(before).toMatchObject({ activeUsers: 1, openInvitations: 9 });
    const resent = await api(tenantUrl(t.slug, `/api/invitations/${invitations[0]!.id}/resend`), { method: 'POST', headers: bearer(t.token) });
    expectPlanLimit(resent, { resource: 'users', limit: 10, used: 10, plan: 'free', upgrade: true });
    expect(await counts(t)).toEqual(before);
  });

  it('accepting is refused at once when the limit drops to the active users (free, 1 seat)', async () => {
    const t = await createTenant();
    const [inv] = await inviteMany(t, 1);
    await adminPut(t, { limits: { users: 1 } });
    const before = await counts(t);
    expectPlanLimit(await acceptInvitation(t, inv!.token), { resource: 'users', limit: 1, used: 1, plan: 'free', upgrade: true });
    expect(await counts(t)).toEqual(before);
    // Back up: the same invitation works.
    await adminPut(t, { limits: {} });
    expect((await acceptInvitation(t, inv!.token)).status).toBe(201);
    expect(await counts(t)).toMatchObject({ activeUsers: 2, openInvitations: 0 });
  });

  it.each([
    { name: 'free', setup: null, users: 10, plan: 'free', upgrade: true },
    { name: 'custom', setup: { plan: 'custom', limits: { users: 3 } }, users: 3, plan: 'custom', upgrade: false },
  ])('$name: reactivating a user takes a seat: refused when the seats are full, fine when one is free', async (c) => {
    const t = await tenantOn(c);
    const member = await addUser(t, 'member');
    expect((await api(tenantUrl(t.slug, `/api/users/${member.id}/deactivate`), { method: 'POST', headers: bearer(t.token) })).status).toBe(200);
    // Owner + the invitations fill every seat while the member is away.
    const invitations = await inviteMany(t, c.users - 1);
    const before = await counts(t);
    expect(before.activeUsers + before.openInvitations).toBe(c.users);

    const refused = await api(tenantUrl(t.slug, `/api/users/${member.id}/reactivate`), { method: 'POST', headers: bearer(t.token) });
    expectPlanLimit(refused, { resource: 'users', limit: c.users, used: c.users, plan: c.plan, upgrade: c.upgrade });
    expect(await counts(t)).toEqual(before);
    expect((await api(tenantUrl(t.slug, `/api/users/${member.id}`), { headers: bearer(t.token) })).body.user.status).toBe('deactivated');

    // One seat freed: the reactivation takes it, and then the seats are full again.
    expect((await api(tenantUrl(t.slug, `/api/invitations/${invitations[0]!.id}`), { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    const ok = await api(tenantUrl(t.slug, `/api/users/${member.id}/reactivate`), { method: 'POST', headers: bearer(t.token) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.user.status).toBe('active');
    expect(await counts(t)).toMatchObject({ activeUsers: 2, openInvitations: c.users - 2 });
    expectPlanLimit(await invite(t, `after@${t.slug}.test`), { resource: 'users', limit: c.users, used: c.users });
  });

  it('the last seat goes to exactly one of a reactivation and an invitation racing for it', async () => {
    const t = await createTenant();
    const member = await addUser(t, 'member');
    expect((await api(tenantUrl(t.slug, `/api/users/${member.id}/deactivate`), { method: 'POST', headers: bearer(t.token) })).status).toBe(200);
    await inviteMany(t, 8);
    // 9 of 10 seats: one left.
    const [reactivated, invited] = await Promise.all([
      api(tenantUrl(t.slug, `/api/users/${member.id}/reactivate`), { method: 'POST', headers: bearer(t.token) }),
      invite(t, `racer@${t.slug}.test`),
    ]);
    const outcome = `${reactivated.status}/${invited.status}`;
    expect(['200/402', '402/201']).toContain(outcome);
    const after = await counts(t);
    expect(after.activeUsers + after.openInvitations).toBe(10);
  });

  it('enterprise: reactivation has no seat limit', async () => {
    const t = await tenantOn({ setup: { plan: 'enterprise' } });
    const member = await addUser(t, 'member');
    await api(tenantUrl(t.slug, `/api/users/${member.id}/deactivate`), { method: 'POST', headers: bearer(t.token) });
    await inviteMany(t, 12);
    const ok = await api(tenantUrl(t.slug, `/api/users/${member.id}/reactivate`), { method: 'POST', headers: bearer(t.token) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await counts(t)).activeUsers).toBe(2);
  });
});

describe('downgrade and trial end', () => {
  const downgrades = [
    { name: 'pro lowered to free by a platform admin', trial: false, setup: { plan: 'pro' }, lower: { plan: 'free' } },
    { name: 'a Pro trial that ended', trial: true, setup: null, lower: { trialEndsAt: new Date(Date.now() - 60_000).toISOString() } },
  ];

  it.each(downgrades)('$name with 8 channels: all stay readable, a 9th is refused, GET /api/tenant reports the excess to members only', async (c) => {
    const t = await createTenant({ trial: c.trial });
    if (c.setup) await adminPut(t, c.setup);
    expect((await tenantView(t)).plan).toBe('pro');
    const ids = await createChannels(t, 8);
    const member = await addUser(t, 'member');

    await adminPut(t, c.lower);
    const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(list.status).toBe(200);
    expect(ownChannels(list.body.channels as { id: string; name: string }[]).map((ch) => ch.id).sort()).toEqual([...ids].sort());
    expect((await api(tenantUrl(t.slug, `/api/channels/${ids[7]}`), { headers: bearer(t.token) })).status).toBe(200);

    const ninth = await createChannel(t, 'ninth');
    expectPlanLimit(ninth, { resource: 'channels', limit: 5, used: 8, plan: 'free', upgrade: true });
    expect((await counts(t)).channels).toBe(8);

    const seen = await tenantView(t, member.token);
    expect(seen.plan).toBe('free');
    expect(seen.limits.channels).toBe(5);
    expect(seen.usage.channels).toEqual({ used: 8, limit: 5, percent: 160, state: 'over' });
    expect(seen.limitsExceeded).toEqual([{ resource: 'channels', used: 8, limit: 5 }]);

    const anonymous = await tenantView(t);
    expect(anonymous.plan).toBe('free');
    expect(anonymous).not.toHaveProperty('usage');
    expect(anonymous).not.toHaveProperty('limitsExceeded');
  });

  it('users over the limit after a downgrade: no more invitations, GET /api/tenant says so', async () => {
    const t = await tenantOn({ setup: { plan: 'pro' } });
    const member = await addUser(t, 'member');
    await inviteMany(t, 10);
    // 2 active users + 10 open invitations = 12 seats.
    await adminPut(t, { plan: 'free' });
    const before = await counts(t);
    expectPlanLimit(await invite(t, `more@${t.slug}.test`), { resource: 'users', limit: 10, used: 12, plan: 'free', upgrade: true });
    expect(await counts(t)).toEqual(before);
    // The people already there keep working.
    expect((await api(tenantUrl(t.slug, '/api/me'), { headers: bearer(member.token) })).status).toBe(200);

    const seen = await tenantView(t, member.token);
    expect(seen.usage.users).toEqual({ used: 12, limit: 10, percent: 120, state: 'over' });
    expect(seen.limitsExceeded).toEqual([{ resource: 'users', used: 12, limit: 10 }]);
  });

  it('storage over the limit after a downgrade: files stay, uploads are refused, GET /api/tenant says so', async () => {
    const t = await tenantOn({ setup: { plan: 'pro' } });
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    const kept = await upload(t, channel, new Uint8Array([1, 2, 3]), 'kept.bin');
    expect(kept.status).toBe(201);
    await seedStorage(t, 2 * GB, 1);
    await adminPut(t, { plan: 'free' });

    expect((await api(tenantUrl(t.slug, `/api/attachments/${kept.body.attachment.id}`), { headers: bearer(t.token) })).status).toBe(200);
    const keys = await r2Keys(t);
    expectPlanLimit(await upload(t, channel, new Uint8Array(1), 'more.bin'), { limit: 1 * GB, used: 2 * GB, plan: 'free' });
    expect(await r2Keys(t)).toEqual(keys);
    expect(await storageUsed(t)).toEqual({ storageBytes: 2 * GB, files: 1 });

    const seen = await tenantView(t, t.token);
    expect(seen.usage.storageBytes).toEqual({ used: 2 * GB, limit: 1 * GB, percent: 200, state: 'over' });
    expect(seen.limitsExceeded).toEqual([{ resource: 'storageBytes', used: 2 * GB, limit: 1 * GB }]);
  });

  it('an ended trial falls back to free\'s 60 requests a minute at the gate', async () => {
    const t = await createTenant({ trial: true });
    await adminPut(t, { trialEndsAt: new Date(Date.now() - 60_000).toISOString() });
    const gate = gateStub(env, t.id);
    const snapshot = await snapshotOf(t);
    const now = midMinute();
    const decisions = await Promise.all(Array.from({ length: 61 }, () => gate.admit(snapshot, 'channels', now)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    expect(decisions.filter((d) => !d.allowed).map((d) => d.reason)).toEqual(['rate_limited']);
  });

  it('at the limit is not over it: 5 channels on free are at_limit, 4 are near, neither is listed as exceeded', async () => {
    const t = await createTenant();
    await createChannels(t, 4);
    let seen = await tenantView(t, t.token);
    expect(seen.usage.channels).toEqual({ used: 4, limit: 5, percent: 80, state: 'near' });
    expect(seen.limitsExceeded).toEqual([]);
    await createChannels(t, 1, 'fifth');
    seen = await tenantView(t, t.token);
    expect(seen.usage.channels).toEqual({ used: 5, limit: 5, percent: 100, state: 'at_limit' });
    expect(seen.limitsExceeded).toEqual([]);
  });
});

// Every plan_limit refusal has the same details, built by planLimitErrorFor.
describe('consistency of plan_limit refusals', () => {
  it('a storage refusal names its resource and, on a custom plan, does not offer an upgrade (as the users and channels refusals do)', async () => {
    const t = await tenantOn({ setup: { plan: 'custom', limits: { storageBytes: 4, channels: 1 } } });
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    const channelRefusal = await createChannel(t, 'second');
    expectPlanLimit(channelRefusal, { resource: 'channels', plan: 'custom', upgrade: false });
    const storageRefusal = await upload(t, channel, new Uint8Array(5), 'big.bin');
    expectPlanLimit(storageRefusal, { resource: 'storageBytes', limit: 4, used: 0, plan: 'custom', upgrade: false });
  });
});

// A per-file refusal offers an upgrade only where one can be bought (not enterprise or custom).
describe('consistency of per-file refusals', () => {
  it.each([
    { name: 'enterprise', setup: { plan: 'enterprise' }, limit: 1 * GB },
    { name: 'custom', setup: { plan: 'custom', limits: { uploadBytes: 16 } }, limit: 16 },
  ])('$name: a file over the per-file limit is 413 without offering an upgrade (there is no bigger plan to buy)', async (c) => {
    const t = await tenantOn(c);
    const channel = (await createChannel(t, 'files')).body.channel.id as string;
    const res = await worker.fetch(
      new Request(tenantUrl(t.slug, `/api/channels/${channel}/attachments?filename=big.bin`), {
        method: 'POST',
        headers: { ...bearer(t.token), 'content-type': 'application/octet-stream', 'content-length': String(c.limit + 1) },
        body: new ReadableStream({ start: (ctl) => (ctl.enqueue(new Uint8Array(1)), ctl.close()) }),
      }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error).toMatchObject({ code: 'payload_too_large', details: { limit: c.limit, upgrade: false } });
  });
});

describe('cross-tenant', () => {
  it("tenant A's owner token on tenant B's host cannot create channels or invitations there (401)", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const before = await counts(b);
    const channel = await createChannel(b, 'intruder', a.token);
    expect(channel.status).toBe(401);
    const invitation = await invite(b, `intruder@${b.slug}.test`, a.token);
    expect(invitation.status).toBe(401);
    expect(await counts(b)).toEqual(before);
    expect((await counts(a)).channels).toBe(0);
    // Nor does it read B's usage: B's public configuration only.
    const seen = await api(tenantUrl(b.slug, '/api/tenant'), { headers: bearer(a.token) });
    expect(seen.status).toBe(200);
    expect(seen.body.tenant.id).toBe(b.id);
    expect(seen.body.tenant).not.toHaveProperty('usage');
    expect(seen.body.tenant).not.toHaveProperty('limitsExceeded');
  });
});
