/**
 * Plan limits and features (issue 5, the parts built so far): the channel limit at its boundary,
 * under concurrency, with a custom override and on an unlimited plan; feature errors.
 */
import { ownChannels } from './support/chat';
import { describe, expect, it } from 'vitest';
import { plansWith, requireFeature } from '../src/tenancy/entitlements';
import { HTTP_STATUS } from '../src/http/errors';
import type { TenantSnapshot } from '../src/tenancy/snapshot';
import { adminAuth, api, bearer, createTenant, PLATFORM, tenantUrl } from './support/tenants';

async function createChannels(slug: string, token: string, names: string[]) {
  return Promise.all(names.map((name) => api(tenantUrl(slug, '/api/channels'), { method: 'POST', headers: bearer(token), json: { name } })));
}

describe('channel limit', () => {
  it('allows the 5th channel on the free plan and refuses the 6th with 402 plan_limit', async () => {
    const t = await createTenant();
    for (let i = 1; i <= 5; i++) {
      const res = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: `c${i}` } });
      expect(res.status).toBe(201);
    }
    const sixth = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: 'c6' } });
    expect(sixth.status).toBe(402);
    expect(sixth.body.error).toMatchObject({ code: 'plan_limit', details: { resource: 'channels', limit: 5, used: 5, plan: 'free', upgrade: true } });
    const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(list.body.channels.map((c: { name: string }) => c.name)).not.toContain('c6');
  });

  it('holds under concurrency: 30 parallel creations on a free tenant with 3 channels leave exactly 5', async () => {
    const t = await createTenant();
    await createChannels(t.slug, t.token, ['a1', 'a2', 'a3']);
    const results = await createChannels(t.slug, t.token, Array.from({ length: 30 }, (_, i) => `p${i}`));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 402)).toHaveLength(28);
    const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(ownChannels(list.body.channels as { kind: string; name: string | null }[]).filter((c) => c.kind !== 'direct')).toHaveLength(5);
  });

  it('archived channels and direct messages do not count', async () => {
    const t = await createTenant();
    const made = await createChannels(t.slug, t.token, ['b1', 'b2', 'b3', 'b4', 'b5']);
    expect((await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: 'b6' } })).status).toBe(402);
    await api(tenantUrl(t.slug, `/api/channels/${made[0]!.body.channel.id}/archive`), { method: 'POST', headers: bearer(t.token) });
    expect((await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: 'b6' } })).status).toBe(201);
  });

  it('follows a custom override, and an unlimited plan has no limit', async () => {
    const t = await createTenant();
    const custom = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'custom', limits: { channels: 2 } } });
    expect(custom.status).toBe(200);
    const two = await createChannels(t.slug, t.token, ['x1', 'x2', 'x3']);
    expect(two.map((r) => r.status).sort()).toEqual([201, 201, 402]);
    expect(two.find((r) => r.status === 402)!.body.error.details).toMatchObject({ limit: 2, plan: 'custom', upgrade: false });

    await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'enterprise', limits: {} } });
    const many = await createChannels(t.slug, t.token, Array.from({ length: 8 }, (_, i) => `e${i}`));
    expect(many.every((r) => r.status === 201)).toBe(true);
  });

  it('a Pro trial has the Pro limit (50), and an expired trial falls back to free for new channels', async () => {
    const t = await createTenant({ trial: true });
    const made = await createChannels(t.slug, t.token, Array.from({ length: 6 }, (_, i) => `t${i}`));
    expect(made.every((r) => r.status === 201)).toBe(true);
    await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { trialEndsAt: new Date(Date.now() - 1000).toISOString() } });
    // Over the free limit now: what exists stays, nothing more can be added.
    const list = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(ownChannels(list.body.channels)).toHaveLength(6);
    const refused = await api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(t.token), json: { name: 't-late' } });
    expect(refused.status).toBe(402);
    expect(refused.body.error.details).toMatchObject({ limit: 5, used: 6, plan: 'free' });
  });
});

describe('features', () => {
  const snapshot = (plan: TenantSnapshot['billingPlan'], features: Record<string, boolean> = {}) =>
    ({ id: 'x', slug: 'x', name: 'X', status: 'active', schemaName: 's', roleName: 'r', billingPlan: plan, billingInterval: null, trialEndsAt: null, limits: {}, features, branding: {}, version: 1, cancelledAt: null, deletionScheduledAt: null }) as TenantSnapshot;

  it.each([
    ['search', ['pro', 'enterprise', 'custom']],
    ['sso', ['enterprise', 'custom']],
    ['threads', ['free', 'pro', 'enterprise', 'custom']],
  ] as const)('%s is on %j', (feature, plans) => {
    expect(plansWith(feature)).toEqual(plans);
  });

  it('refuses a feature the plan lacks with 403 feature_not_in_plan naming it and the plans that have it', () => {
    let error: unknown;
    try {
      requireFeature(snapshot('free'), 'sso');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'feature_not_in_plan', details: { feature: 'sso', plan: 'free', availableOn: ['enterprise', 'custom'] } });
    expect(HTTP_STATUS.feature_not_in_plan).toBe(403);
    expect(() => requireFeature(snapshot('enterprise'), 'sso')).not.toThrow();
    // A per-tenant override (custom deal) grants it.
    expect(() => requireFeature(snapshot('free', { sso: true }), 'sso')).not.toThrow();
  });
});

describe('user limit', () => {
  const invite = (slug: string, token: string, email: string) => api(tenantUrl(slug, '/api/invitations'), { method: 'POST', headers: bearer(token), json: { email, role: 'member' } });

  it('counts the owner and open invitations: the 10th seat is fine, the 11th is refused with 402', async () => {
    const t = await createTenant();
    for (let i = 1; i <= 9; i++) expect((await invite(t.slug, t.token, `u${i}@x.test`)).status).toBe(201);
    const eleventh = await invite(t.slug, t.token, 'u10@x.test');
    expect(eleventh.status).toBe(402);
    expect(eleventh.body.error).toMatchObject({ code: 'plan_limit', details: { resource: 'users', limit: 10, used: 10, plan: 'free' } });
  });

  it('holds under concurrency: 20 parallel invitations on a fresh free workspace create exactly 9', async () => {
    const t = await createTenant();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => invite(t.slug, t.token, `c${i}@x.test`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(9);
    expect(results.filter((r) => r.status === 402)).toHaveLength(11);
    const list = await api(tenantUrl(t.slug, '/api/invitations'), { headers: bearer(t.token) });
    expect(list.body.invitations).toHaveLength(9);
  });

  it('a revoked invitation frees its seat', async () => {
    const t = await createTenant();
    const made = await Promise.all(Array.from({ length: 9 }, (_, i) => invite(t.slug, t.token, `r${i}@x.test`)));
    expect((await invite(t.slug, t.token, 'extra@x.test')).status).toBe(402);
    await api(tenantUrl(t.slug, `/api/invitations/${made[0]!.body.invitation.id}`), { method: 'DELETE', headers: bearer(t.token) });
    expect((await invite(t.slug, t.token, 'extra@x.test')).status).toBe(201);
  });
});
