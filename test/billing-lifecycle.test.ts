/**
 * Billing meets the workspace's own lifecycle (issue 6 with issues 3 and 5): a workspace
 * suspended for non-payment can still be paid for from inside it (an operator's suspension
 * closes everything); deleting a workspace ends its subscription at Stripe, and a purge never
 * happens while Stripe cannot confirm it; a billing route re-checks the caller's session; and
 * Stripe's webhook reaches the platform in single-tenant mode whatever the host.
 */
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import worker from '../src/index';
import { billingCall, subscribe, suspendedForNonPayment, tenantRow } from './support/billing';
import { envWith } from './support/gateway';
import { failNext, fakeRequests, stripeClient } from './support/stripe';
import { addUser, adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl, type CreatedTenant } from './support/tenants';

describe('a workspace suspended for non-payment', () => {
  it('keeps sign-in, the workspace config and billing open to its owners; everything else is refused, saying why', async () => {
    const t = await suspendedForNonPayment();
    const chat = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(chat.status).toBe(403);
    expect(chat.body.error).toMatchObject({ code: 'tenant_suspended', details: { reason: 'billing' } });
    expect(chat.body.error.message).toContain('/api/billing/portal');

    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant).toMatchObject({ status: 'suspended' });
    const login = await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', json: { email: `owner@${t.slug}.test`, password: 'securepass123' } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const billing = await billingCall(t, login.body.token, 'GET', '');
    expect(billing.status, JSON.stringify(billing.body)).toBe(200);
    expect(billing.body.billing).toMatchObject({ status: 'unpaid', workspaceStatus: 'suspended' });
    const portal = await billingCall(t, login.body.token, 'POST', '/portal', {});
    expect(portal.status, JSON.stringify(portal.body)).toBe(200);
    expect(portal.body.portal.url).toMatch(/^http/);
    // Members are still refused the billing routes (their role, not the suspension, decides).
    const member = await addUser(t, 'member');
    expect((await billingCall(t, member.token, 'GET', '')).status).toBe(403);
  });

  it('is the same behind the TenantGate, whose snapshot is authoritative', async () => {
    const t = await suspendedForNonPayment();
    const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });
    const call = (path: string) => worker.fetch(new Request(tenantUrl(t.slug, path), { headers: bearer(t.token) }), enforced, createExecutionContext());
    expect((await call('/api/billing')).status).toBe(200);
    const refused = await call('/api/channels');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { details: unknown } }).error.details).toEqual({ reason: 'billing' });
  });

  it("an operator's suspension closes billing and sign-in too", async () => {
    const t = await createTenant();
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'abuse report' } })).status).toBe(200);
    const billing = await billingCall(t, t.token, 'GET', '');
    expect(billing.status).toBe(403);
    expect(billing.body.error.code).toBe('tenant_suspended');
    expect(billing.body.error.details).toBeUndefined();
    expect((await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', json: { email: `owner@${t.slug}.test`, password: 'securepass123' } })).status).toBe(403);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(403);
  });
});

describe('deleting a workspace ends its subscription', () => {
  it('at the end of the paid period when deletion is scheduled, and at once when it is purged', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const scheduled = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'DELETE', headers: bearer(t.token) });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const updates = await fakeRequests({ customer: sub.customerId, method: 'POST', path: `/v1/subscriptions/${sub.subscriptionId}` });
    expect(updates.map((r) => r.body)).toContainEqual(expect.objectContaining({ cancel_at_period_end: 'true' }));
    expect((await stripeClient().subscriptions.retrieve(sub.subscriptionId)).cancel_at_period_end).toBe(true);

    const purged = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(purged.status, JSON.stringify(purged.body)).toBe(200);
    const cancels = await fakeRequests({ customer: sub.customerId, method: 'DELETE' });
    expect(cancels.map((r) => r.path)).toEqual([`/v1/subscriptions/${sub.subscriptionId}`]);
    expect((await stripeClient().subscriptions.retrieve(sub.subscriptionId)).status).toBe('canceled');
  });

  it('a purge waits for Stripe: when Stripe fails, nothing is deleted; the next attempt goes through', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    // Two failures: the SDK retries once on its own.
    await failNext({ method: 'DELETE', path: `/v1/subscriptions/${sub.subscriptionId}`, status: 500, count: 2 });
    const refused = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('billing_unavailable');
    expect(await tenantRow(t.id)).toMatchObject({ id: t.id, stripeSubscriptionId: sub.subscriptionId });
    expect((await api(tenantUrl(t.slug, '/api/me'), { headers: bearer(t.token) })).status).toBe(200);

    const purged = await api(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth });
    expect(purged.status, JSON.stringify(purged.body)).toBe(200);
    expect(await database().sql`SELECT id FROM public.tenants WHERE id = ${t.id}`).toEqual([]);
  });

  it('a workspace that never paid is deleted without asking Stripe', async () => {
    const t = await createTenant();
    // Stripe unreachable for this purge: had it asked Stripe anything, it would be a 503.
    const noStripe = envWith({ STRIPE_API_URL: inject('closedPortUrl') });
    const purged = await worker.fetch(new Request(`${PLATFORM}/api/tenants/${t.id}?purge=true`, { method: 'DELETE', headers: adminAuth }), noStripe, createExecutionContext());
    expect(purged.status).toBe(200);
    expect(await database().sql`SELECT id FROM public.tenants WHERE id = ${t.id}`).toEqual([]);
  });
});

describe('billing routes check the session against the database', () => {
  it("an admin demoted to member loses billing at once, whatever their token's role says", async () => {
    const t = await createTenant();
    const admin = await addUser(t, 'admin');
    expect((await billingCall(t, admin.token, 'GET', '')).status).toBe(200);
    const demoted = await api(tenantUrl(t.slug, `/api/users/${admin.id}/role`), { method: 'PUT', headers: bearer(t.token), json: { role: 'member' } });
    expect(demoted.status, JSON.stringify(demoted.body)).toBe(200);
    const stale = await billingCall(t, admin.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' });
    expect(stale.status).toBe(401);
    expect(await tenantRow(t.id)).toMatchObject({ stripeCustomerId: null });
  });
});

describe('single-tenant mode', () => {
  it("Stripe's webhook is the platform's on any host: verified, never a tenant error", async () => {
    const single = envWith({ ENABLE_MULTI_TENANCY: 'false' });
    const res = await worker.fetch(
      new Request('https://chat.example.com/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': 't=1,v1=bad', 'content-type': 'application/json' }, body: '{}' }),
      single,
      createExecutionContext(),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
  });
});
