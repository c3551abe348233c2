/** Edge cases of the tenant lifecycle found in review. */
import { describe, expect, it } from 'vitest';
import { adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl } from './support/tenants';

describe('tenant lifecycle edges', () => {
  it('purges a tenant whose role was already removed by hand', async () => {
    const t = await createTenant();
    const schema = `tenant_${t.slug.replace(/-/g, '_')}`;
    const db = database();
    // As an operator might have done during a manual clean-up.
    await db.transaction([db.sql.query(`DROP SCHEMA ${schema} CASCADE`), db.sql.query(`DROP OWNED BY ${schema}`), db.sql.query(`DROP ROLE ${schema}`)]);
    const res = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(res.status).toBe(200);
    expect(await db.sql`SELECT 1 FROM public.tenants WHERE id = ${t.id}`).toEqual([]);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(404);
  });

  it('suspending through PUT keeps the status to return to, and is audited as a suspension', async () => {
    const t = await createTenant({ trial: true });
    const put = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { status: 'suspended' } });
    expect(put.status).toBe(200);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.error.code).toBe('tenant_suspended');
    const un = await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth });
    expect(un.status).toBe(200);
    expect(un.body.tenant.status).toBe('trial');
    const log = await api(tenantUrl(t.slug, '/api/tenant/audit-logs'), { headers: bearer(t.token) });
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(['tenant.unsuspended', 'tenant.suspended', 'tenant.updated', 'tenant.created']);
  });

  it('refuses a plain-http logo URL', async () => {
    const t = await createTenant();
    const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: bearer(t.token), json: { branding: { logoUrl: 'http://cdn.example/logo.png' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues[0].path).toBe('branding.logoUrl');
  });
});
