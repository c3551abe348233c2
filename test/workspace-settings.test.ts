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
import { describe, expect, it } from 'vitest';
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
    const foreign = await patchTenant(w.t, other.token, { name: 'Taken over' });
    expect([401, 403], JSON.stringify(foreign.body)).toContain(foreign.status);
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
    expect(await stored(t)).toEqual(before);
  });
});
