/**
 * Feature gating (issue 5, point 1): the Pro features (search, audit log, custom branding) are
 * refused on plans without them with 403 feature_not_in_plan naming the feature and the plans
 * that have it; the basic features (threads, reactions, direct messages) are on every plan and
 * only a custom deal can turn them off. Through the Worker as a client sees it.
 */
import { describe, expect, it } from 'vitest';
import { chatWorkspace, type ChatWorkspace } from './support/chat';
import { adminAuth, api, bearer, createTenant, PLATFORM, tenantUrl, type ApiResult, type CreatedTenant } from './support/tenants';

const PRO_PLANS = ['pro', 'enterprise', 'custom'];

function expectNotInPlan(res: ApiResult<Record<string, any>>, feature: string, plan: string, availableOn = PRO_PLANS): void {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body.error.code).toBe('feature_not_in_plan');
  expect(res.body.error.details).toEqual({ feature, plan, availableOn });
}

async function adminPut(t: Pick<CreatedTenant, 'id'>, json: Record<string, unknown>): Promise<void> {
  const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

function ownerPut(t: CreatedTenant, json: Record<string, unknown>) {
  return api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json });
}

function auditLog(t: CreatedTenant) {
  return api(tenantUrl(t.slug, '/api/tenant/audit-logs'), { headers: bearer(t.token) });
}

async function adminView(t: CreatedTenant): Promise<Record<string, any>> {
  const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return res.body;
}

/** A workspace with one message in a channel the owner belongs to. */
async function furnished(w: ChatWorkspace) {
  const ch = await w.owner.channel('lounge');
  const msg = await w.owner.say(ch.id, 'the quarterly kumquat report');
  return { ch, msg };
}

const BRANDING = { appName: 'Acme Chat', primaryColor: '#112233', logoUrl: 'https://cdn.example.com/logo.png' };

describe('free plan: the Pro features are refused with 403 feature_not_in_plan', () => {
  it('search', async () => {
    const w = await chatWorkspace();
    await furnished(w);
    expectNotInPlan(await w.owner.get('/api/search?q=kumquat'), 'search', 'free');
  });

  it('the audit log', async () => {
    const t = await createTenant();
    const res = await auditLog(t);
    expectNotInPlan(res, 'auditLog', 'free');
    expect(res.body.error.message).toContain('Audit Log');
    expect(res.body.entries).toBeUndefined();
  });

  it('an owner changing the branding; nothing is written', async () => {
    const t = await createTenant();
    const before = await adminView(t);
    expectNotInPlan(await ownerPut(t, { branding: BRANDING }), 'customBranding', 'free');
    // A rename in the same request is refused with it: the request is all or nothing.
    expectNotInPlan(await ownerPut(t, { name: 'Renamed', branding: { appName: 'X' } }), 'customBranding', 'free');
    expect(await adminView(t)).toEqual(before);
  });

  it('an owner may still rename, change settings, and send back the branding unchanged', async () => {
    const t = await createTenant();
    const res = await ownerPut(t, { name: 'Renamed Free', branding: {}, settings: { timezone: 'Europe/Paris' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ name: 'Renamed Free', branding: {} });
    expect(res.body.settings).toMatchObject({ timezone: 'Europe/Paris' });
  });

  it('a platform admin may always set the branding; the owner may then send it back unchanged but not change it', async () => {
    const t = await createTenant();
    await adminPut(t, { branding: BRANDING });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant).toMatchObject({ plan: 'free', branding: BRANDING });
    // Same values, other key order: no change, so no feature needed.
    const same = await ownerPut(t, { branding: { logoUrl: BRANDING.logoUrl, appName: BRANDING.appName, primaryColor: BRANDING.primaryColor } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expectNotInPlan(await ownerPut(t, { branding: { ...BRANDING, primaryColor: '#000000' } }), 'customBranding', 'free');
    // Removing it is a change too.
    expectNotInPlan(await ownerPut(t, { branding: {} }), 'customBranding', 'free');
    expect((await adminView(t)).tenant.branding).toEqual(BRANDING);
  });
});

describe('Pro (trial) plan: the Pro features work', () => {
  it('search, the audit log and branding → 200', async () => {
    const w = await chatWorkspace({ trial: true });
    const { msg } = await furnished(w);
    const found = await w.owner.get('/api/search?q=kumquat');
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.results.map((r: any) => r.message.id)).toEqual([msg.id]);

    const audit = await auditLog(w.t);
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body.entries.at(-1).action).toBe('tenant.created');

    const branded = await ownerPut(w.t, { branding: BRANDING });
    expect(branded.status, JSON.stringify(branded.body)).toBe(200);
    expect((await api(tenantUrl(w.t.slug, '/api/tenant'))).body.tenant.branding).toEqual(BRANDING);
  });

  it('an upgrade by a platform admin turns them on at once', async () => {
    const w = await chatWorkspace();
    await furnished(w);
    expectNotInPlan(await w.owner.get('/api/search?q=kumquat'), 'search', 'free');
    await adminPut(w.t, { plan: 'pro' });
    expect((await w.owner.get('/api/search?q=kumquat')).status).toBe(200);
    expect((await auditLog(w.t)).status).toBe(200);
    expect((await ownerPut(w.t, { branding: BRANDING })).status).toBe(200);
  });
});

describe('custom deals and trials', () => {
  it('a custom feature override turns search off (and only search)', async () => {
    const w = await chatWorkspace({ trial: true });
    await furnished(w);
    expect((await w.owner.get('/api/search?q=kumquat')).status).toBe(200);
    await adminPut(w.t, { plan: 'custom', features: { search: false } });
    expect((await api(tenantUrl(w.t.slug, '/api/tenant'))).body.tenant.features).toMatchObject({ search: false, auditLog: true });
    expectNotInPlan(await w.owner.get('/api/search?q=kumquat'), 'search', 'custom');
    expect((await auditLog(w.t)).status).toBe(200);
  });

  it('an expired trial loses search, the audit log and branding on the very next request', async () => {
    const w = await chatWorkspace({ trial: true });
    await furnished(w);
    expect((await w.owner.get('/api/search?q=kumquat')).status).toBe(200);
    expect((await auditLog(w.t)).status).toBe(200);
    await adminPut(w.t, { trialEndsAt: new Date(Date.now() - 60_000).toISOString() });
    expectNotInPlan(await w.owner.get('/api/search?q=kumquat'), 'search', 'free');
    expectNotInPlan(await auditLog(w.t), 'auditLog', 'free');
    expectNotInPlan(await ownerPut(w.t, { branding: BRANDING }), 'customBranding', 'free');
  });

  it('the basic features are on every plan; a custom deal can turn them off: threads, reactions, direct messages', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const { ch, msg } = await furnished(w);
    // On the free plan they work.
    expect((await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'a reply', parentId: msg.id })).status).toBe(201);
    expect((await w.owner.post(`/api/messages/${msg.id}/reactions`, { emoji: ':tada:' })).status).toBe(201);
    expect((await w.owner.post('/api/dms', { userId: bob.id })).status).toBe(201);

    await adminPut(w.t, { plan: 'custom', features: { threads: false, reactions: false, directMessages: false } });
    const ALL = ['free', 'pro', 'enterprise', 'custom'];
    expectNotInPlan(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'another reply', parentId: msg.id }), 'threads', 'custom', ALL);
    expectNotInPlan(await w.owner.post(`/api/messages/${msg.id}/reactions`, { emoji: ':x:' }), 'reactions', 'custom', ALL);
    expectNotInPlan(await w.owner.post('/api/dms', { userId: bob.id }), 'directMessages', 'custom', ALL);
    // Top-level messages are not threads; removing a reaction stays possible.
    expect((await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'top level' })).status).toBe(201);
    expect((await w.owner.del(`/api/messages/${msg.id}/reactions/${encodeURIComponent(':tada:')}`)).status).toBe(200);
    // Nothing of the refused calls was written.
    const thread = await w.owner.get(`/api/messages/${msg.id}/thread`);
    expect(thread.status).toBe(200);
    expect(JSON.stringify(thread.body)).not.toContain('another reply');
  });
});
