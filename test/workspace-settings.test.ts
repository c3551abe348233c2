/**
 * PATCH /api/tenant (issue 13, point 5): a workspace's owners and admins change its name,
 * branding and settings from its own host, in one write. Who may (owner, admin; not a member,
 * nor a token whose session ended), the custom-branding rule shared with PUT /api/tenants/:id
 * (a plan without the feature may rename but not rebrand), field errors that change nothing,
 * removing a branding value with null, the audit rows, and that every host of the workspace
 * answers the new branding on the next request.
 *
 * Through the Worker as a client sees it; the database is read only for the tenant's version.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { kvKey } from '../src/tenancy/directory';
import { TEST_BASE_DOMAIN } from './support/constants';
import { chatWorkspace } from './support/chat';
import { insertActiveDomain } from './support/domains';
import { suspendedForNonPayment } from './support/billing';
import { adminAuth, api, bearer, call, createTenant, database, expectError, PLATFORM, tenantUrl, type CreatedTenant } from './support/tenants';

const BRANDING = { appName: 'Acme Chat', primaryColor: '#112233', accentColor: '#aabbcc', logoUrl: 'https://cdn.example.com/logo.png' };

function patchTenant(t: Pick<CreatedTenant, 'slug'>, token: string | undefined, json: unknown) {
  return call(t, 'PATCH', '/api/tenant', token, json);
}

/** The workspace's public configuration as anyone on its host gets it (GET /api/tenant). */
async function publicConfig(t: Pick<CreatedTenant, 'slug'>): Promise<Record<string, any>> {
  const res = await api(tenantUrl(t.slug, '/api/tenant'));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.tenant;
}

/** Row and settings as a platform admin sees them, and the row's version: what "nothing changed" compares. */
async function stored(t: Pick<CreatedTenant, 'id'>): Promise<Record<string, any>> {
  const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { headers: adminAuth });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const [row] = (await database().sql`SELECT version FROM public.tenants WHERE id = ${t.id}`) as { version: number }[];
  return { ...res.body, version: row!.version };
}

async function auditActions(t: CreatedTenant): Promise<{ action: string; actor: { type: string; id: string | null }; oldValues: any; newValues: any }[]> {
  const res = await call(t, 'GET', '/api/tenant/audit-logs?limit=100', t.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

describe('who may change the workspace', () => {
  it.each(['owner', 'admin'] as const)('the %s changes name, branding and settings in one request; the answer is what GET /api/tenant answers next', async (role) => {
    const w = await chatWorkspace({ trial: true }); // custom branding is a Pro feature
    const token = role === 'owner' ? w.t.token : (await w.user('admin')).token;
    const res = await patchTenant(w.t, token, { name: `Renamed by the ${role}`, branding: BRANDING, settings: { timezone: 'Europe/Paris', messageRetentionDays: 90 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: w.t.id, name: `Renamed by the ${role}`, branding: BRANDING, plan: 'pro' });
    expect(res.body.settings).toMatchObject({ timezone: 'Europe/Paris', messageRetentionDays: 90 });
    // The same public configuration GET /api/tenant gives anyone, at once.
    const next = await publicConfig(w.t);
    expect(next).toEqual(res.body.tenant);
    expect((await call(w.t, 'GET', '/api/tenant/settings', w.t.token)).body.settings).toEqual(res.body.settings);
  });

  it('a member or guest is refused (403), a stranger must sign in (401); nothing changes', async () => {
    const w = await chatWorkspace({ trial: true });
    const before = await stored(w.t);
    for (const role of ['member', 'guest'] as const) {
      const user = await w.user(role);
      expectError(await patchTenant(w.t, user.token, { name: 'Taken over' }), 403, 'forbidden');
    }
    expectError(await patchTenant(w.t, undefined, { name: 'Taken over' }), 401, 'unauthorized');
    // Another workspace's owner, on this host.
    const other = await createTenant({ trial: true });
    // requireTenantUser: a session of another workspace counts as no session here (sign in again).
    expectError(await patchTenant(w.t, other.token, { name: 'Taken over' }), 401, 'invalid_session');
    expect(await stored(w.t)).toEqual(before);
  });

  it("an admin demoted since their token was issued is refused (401 session_revoked), whatever the token's role says", async () => {
    const w = await chatWorkspace({ trial: true });
    const admin = await w.user('admin');
    expect((await patchTenant(w.t, admin.token, { name: 'First' })).status).toBe(200);
    expect((await call(w.t, 'PUT', `/api/users/${admin.id}/role`, w.t.token, { role: 'member' })).status).toBe(200);
    const before = await stored(w.t);
    expectError(await patchTenant(w.t, admin.token, { name: 'Second' }), 401, 'session_revoked');
    expect(await stored(w.t)).toEqual(before);
  });

  it('is not served on the platform host', async () => {
    const t = await createTenant({ trial: true });
    const res = await api(`${PLATFORM}/api/tenant`, { method: 'PATCH', headers: bearer(t.token), json: { name: 'X' } });
    expectError(res, 404, 'not_found');
  });
});

describe('the custom-branding rule, the same on both routes', () => {
  it('free plan: changing the branding is refused with the feature error, and a rename in the same request is not written', async () => {
    const t = await createTenant();
    const before = await stored(t);
    const refused = await patchTenant(t, t.token, { name: 'Renamed', branding: { primaryColor: '#000000' } });
    expectError(refused, 403, 'feature_not_in_plan');
    expect(refused.body.error.details).toEqual({ feature: 'customBranding', plan: 'free', availableOn: ['pro', 'enterprise', 'custom'] });
    expect(await stored(t)).toEqual(before);
  });

  it('free plan: the name and settings can be changed, and the branding already set sent back unchanged', async () => {
    const t = await createTenant();
    // A platform admin may always brand a workspace (a custom deal).
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { branding: BRANDING } })).status).toBe(200);
    const res = await patchTenant(t, t.token, { name: 'Free but renamed', branding: { logoUrl: BRANDING.logoUrl, primaryColor: BRANDING.primaryColor }, settings: { language: 'fr' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ name: 'Free but renamed', branding: BRANDING, plan: 'free' });
    expect(res.body.settings.language).toBe('fr');
    // Removing the logo is a change too: refused on both routes.
    expectError(await patchTenant(t, t.token, { branding: { logoUrl: null } }), 403, 'feature_not_in_plan');
    const { logoUrl: _logo, ...withoutLogo } = BRANDING;
    expectError(await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { branding: withoutLogo } }), 403, 'feature_not_in_plan');
    expect((await publicConfig(t)).branding).toEqual(BRANDING);
  });

  it('an upgrade (here by a platform admin) allows it on the next request', async () => {
    const t = await createTenant();
    expectError(await patchTenant(t, t.token, { branding: { appName: 'Later' } }), 403, 'feature_not_in_plan');
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'pro' } })).status).toBe(200);
    const res = await patchTenant(t, t.token, { branding: { appName: 'Later' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant.branding).toEqual({ appName: 'Later' });
  });
});

describe('branding is a merge patch; null removes a value', () => {
  it('an absent key keeps its value, null removes it, {} changes nothing (no audit row, same version)', async () => {
    const w = await chatWorkspace({ trial: true });
    expect((await patchTenant(w.t, w.t.token, { branding: BRANDING })).status).toBe(200);

    const noLogo = await patchTenant(w.t, w.t.token, { branding: { logoUrl: null, primaryColor: '#445566' } });
    expect(noLogo.status, JSON.stringify(noLogo.body)).toBe(200);
    expect(noLogo.body.tenant.branding).toEqual({ appName: BRANDING.appName, primaryColor: '#445566', accentColor: BRANDING.accentColor });
    expect((await publicConfig(w.t)).branding).not.toHaveProperty('logoUrl');

    const before = await stored(w.t);
    const same = await patchTenant(w.t, w.t.token, { branding: {} });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    // The current values sent back, in another order: no change either.
    const sameAgain = await patchTenant(w.t, w.t.token, { name: before.tenant.name, branding: { accentColor: BRANDING.accentColor, appName: BRANDING.appName } });
    expect(sameAgain.status, JSON.stringify(sameAgain.body)).toBe(200);
    expect(await stored(w.t)).toEqual(before);

    const cleared = await patchTenant(w.t, w.t.token, { branding: { appName: null, primaryColor: null, accentColor: null } });
    expect(cleared.body.tenant.branding).toEqual({});
  });

  it('PUT /api/tenants/:id replaces the branding as a whole and takes null as "not set" too', async () => {
    const t = await createTenant({ trial: true });
    expect((await patchTenant(t, t.token, { branding: BRANDING })).status).toBe(200);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { branding: { appName: 'Only this', logoUrl: null } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant.branding).toEqual({ appName: 'Only this' });
    expect((await publicConfig(t)).branding).toEqual({ appName: 'Only this' });
  });
});

describe('bad input: a field error, and nothing is written', () => {
  it.each([
    ['a colour that is not #rrggbb', { branding: { primaryColor: 'red' } }, 'branding.primaryColor'],
    ['an http logo (mixed content on an https page)', { branding: { logoUrl: 'http://cdn.example.com/logo.png' } }, 'branding.logoUrl'],
    ['a logo that is not a URL', { branding: { logoUrl: 'javascript:alert(1)' } }, 'branding.logoUrl'],
    ['an unknown branding key', { branding: { css: 'body{}' } }, 'branding'],
    ['an empty name', { name: '   ' }, 'name'],
    ['retention of 0 days', { settings: { messageRetentionDays: 0 } }, 'settings.messageRetentionDays'],
    ['an unknown time zone', { settings: { timezone: 'Mars/Olympus_Mons' } }, 'settings.timezone'],
    ['a field owners may not change here', { plan: 'enterprise' }, ''],
  ])('%s → 400 naming the field', async (_what, body, path) => {
    const t = await createTenant({ trial: true });
    const before = await stored(t);
    // Valid changes next to the broken one: all or nothing.
    const res = await patchTenant(t, t.token, { name: 'Should not stick', ...body });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(await stored(t)).toEqual(before);
  });

  it('an empty change → 400 (nothing to update)', async () => {
    const t = await createTenant({ trial: true });
    const res = await patchTenant(t, t.token, {});
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details.issues[0].message).toBe('nothing to update');
  });
});

describe('audit rows', () => {
  it('a rename, a rebrand and a settings change write tenant.updated and tenant.settings_updated by the acting admin, with old and new values', async () => {
    const w = await chatWorkspace({ trial: true, name: 'Before Ltd' });
    const admin = await w.user('admin');
    expect((await patchTenant(w.t, admin.token, { name: 'After Ltd', branding: { primaryColor: '#123456' }, settings: { auditRetentionDays: 730 } })).status).toBe(200);
    const entries = await auditActions(w.t);
    const updated = entries.find((e) => e.action === 'tenant.updated');
    expect(updated).toMatchObject({
      actor: { type: 'user', id: admin.id },
      oldValues: { name: 'Before Ltd', branding: {} },
      newValues: { name: 'After Ltd', branding: { primaryColor: '#123456' } },
    });
    expect(entries.find((e) => e.action === 'tenant.settings_updated')).toMatchObject({
      actor: { type: 'user', id: admin.id },
      oldValues: { auditRetentionDays: 365 },
      newValues: { auditRetentionDays: 730 },
    });
  });
});

describe('every host sees the change on the next request', () => {
  it('the workspace host and a custom domain answer the new name and branding', async () => {
    const t = await createTenant({ trial: true });
    const hostname = `chat.${t.slug}.example.com`;
    await insertActiveDomain(t.id, hostname);
    // Both hosts are warm in the caches before the change.
    expect((await api(`http://${hostname}/api/tenant`)).body.tenant.name).toBe(`Workspace ${t.slug}`);
    expect((await publicConfig(t)).name).toBe(`Workspace ${t.slug}`);
    expect((await patchTenant(t, t.token, { name: 'Everywhere', branding: { primaryColor: '#0a0b0c' } })).status).toBe(200);
    for (const url of [`http://${hostname}/api/tenant`, tenantUrl(t.slug, '/api/tenant')]) {
      const res = await api(url);
      expect(res.body.tenant, url).toMatchObject({ name: 'Everywhere', branding: { primaryColor: '#0a0b0c' } });
    }
  });
});

describe('a workspace that is not running is not changed', () => {
  it('cancelled: refused (410 tenant_cancelled), nothing written', async () => {
    const t = await createTenant({ trial: true });
    expect((await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) })).status).toBe(200);
    const before = await stored(t);
    expectError(await patchTenant(t, t.token, { name: 'Back from the dead' }), 410, 'tenant_cancelled');
    expect(await stored(t)).toEqual(before);
  });

  it('suspended for non-payment: GET /api/tenant still answers (to show how to pay), PATCH is refused', async () => {
    const t = await suspendedForNonPayment();
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200);
    const before = await stored(t);
    const res = await patchTenant(t, t.token, { name: 'Unpaid but renamed' });
    expectError(res, 403, 'tenant_suspended');
    expect(res.body.error.details).toEqual({ reason: 'billing' });
    expectError(await call(t, 'PUT', '/api/tenant/settings', t.token, { timezone: 'Asia/Tokyo' }), 403, 'tenant_suspended');
    expect(await stored(t)).toEqual(before);
  });

  /** What an owner's token may send to PUT /api/tenants/:id: a rename, a rebrand, settings; and a "change" to what it already is. */
  const OWNER_CHANGES = (t: { slug: string }) => [
    { name: 'Renamed while suspended' },
    { branding: { appName: 'Rebranded while suspended' } },
    { settings: { timezone: 'Asia/Tokyo', messageRetentionDays: 7 } },
    { name: `Workspace ${t.slug}` },
  ];

  function putTenant(t: Pick<CreatedTenant, 'id'>, headers: Record<string, string>, json: unknown) {
    return api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers, json });
  }

  async function suspendedByOperator(): Promise<CreatedTenant> {
    const t = await createTenant({ trial: true });
    const res = await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'abuse report' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return t;
  }

  it("suspended for non-payment: the owner's PUT /api/tenants/:id on the platform host is refused the same way (403 tenant_suspended), nothing changed", async () => {
    const t = await suspendedForNonPayment();
    const before = await stored(t);
    for (const change of OWNER_CHANGES(t)) {
      const res = await putTenant(t, bearer(t.token), change);
      expectError(res, 403, 'tenant_suspended');
      expect(res.body.error.details, JSON.stringify(change)).toEqual({ reason: 'billing' });
      expect(res.body.error.message).toContain('subscription is not paid');
    }
    expect(await stored(t)).toEqual(before);
  });

  it("suspended by an operator: the owner is refused on PUT /api/tenants/:id and PATCH /api/tenant alike (403 tenant_suspended), nothing changed", async () => {
    const t = await suspendedByOperator();
    const before = await stored(t);
    for (const change of OWNER_CHANGES(t)) {
      const res = await putTenant(t, bearer(t.token), change);
      expectError(res, 403, 'tenant_suspended');
      expect(res.body.error.message, JSON.stringify(change)).toBe(`The workspace "Workspace ${t.slug}" is suspended. Its owner can contact support.`);
      expect(res.body.error.details).toBeUndefined();
    }
    const patched = await patchTenant(t, t.token, { name: 'Renamed while suspended' });
    expectError(patched, 403, 'tenant_suspended');
    expect(patched.body.error.message).toContain('contact support');
    expect(await stored(t)).toEqual(before);
  });

  it.each([
    ['for non-payment', suspendedForNonPayment],
    ['by an operator', suspendedByOperator],
  ])('suspended %s: a platform admin still changes it, and lifting the suspension gives the owner it back', async (_kind, suspend) => {
    const t = await suspend();
    const before = await stored(t);
    const res = await putTenant(t, adminAuth, { name: 'Renamed by the operator', settings: { timezone: 'Asia/Tokyo' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.tenant).toMatchObject({ name: 'Renamed by the operator', status: 'suspended' });
    const after = await stored(t);
    expect(after.tenant.name).toBe('Renamed by the operator');
    expect(after.settings.timezone).toBe('Asia/Tokyo');
    expect(after.version).toBe(before.version + 1);

    const lifted = await putTenant(t, adminAuth, { status: 'active' });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    expect(lifted.body.tenant.status).toBe('active');
    const mine = await putTenant(t, bearer(t.token), { name: 'Back with the owner' });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect((await stored(t)).tenant.name).toBe('Back with the owner');
  });
});

describe('PUT /api/tenant/settings writes through the same use case as PATCH /api/tenant', () => {
  it('one version bump, one tenant.settings_updated row, the tenant republished to its host cache; the answer is still {settings}; the same settings again write nothing', async () => {
    const t = await createTenant({ trial: true }); // the audit log is a Pro feature
    const before = await stored(t);
    const res = await call(t, 'PUT', '/api/tenant/settings', t.token, { timezone: 'Asia/Tokyo', messageRetentionDays: 30 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body)).toEqual(['settings']);
    expect(res.body.settings).toMatchObject({ timezone: 'Asia/Tokyo', messageRetentionDays: 30 });
    const after = await stored(t);
    expect(after.settings).toEqual(res.body.settings);
    expect(after.version).toBe(before.version + 1);
    // Published after the commit, as every tenant write is: the host's cached snapshot is the new version.
    const cached = await env.TENANT_CACHE.get<{ tenant: { version: number } }>(kvKey(`${t.slug}.${TEST_BASE_DOMAIN}`), 'json');
    expect(cached?.tenant.version).toBe(after.version);
    const audits = (await auditActions(t)).filter((e) => e.action === 'tenant.settings_updated');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor: { type: 'user', id: t.ownerId }, oldValues: { timezone: 'UTC', messageRetentionDays: null }, newValues: { timezone: 'Asia/Tokyo', messageRetentionDays: 30 } });

    const again = await call(t, 'PUT', '/api/tenant/settings', t.token, { messageRetentionDays: 30, timezone: 'Asia/Tokyo' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await stored(t)).toEqual(after);
    expect((await auditActions(t)).filter((e) => e.action === 'tenant.settings_updated')).toHaveLength(1);
  });
});
