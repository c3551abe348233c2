/**
 * Billing on a workspace host (issue 6): checkout, the portal, plan changes, cancel and resume,
 * who may do them, and where Stripe may send the browser back. Stripe is the local fake
 * (scripts/stripe-fake), reached over HTTP exactly as the Worker reaches Stripe; what the Worker
 * asked of it is read back from the fake's records.
 */
import { createExecutionContext } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { billingCall, captureLogs, deliverEvent, expectNoSecrets, seenBodies, subscribe, tenantRow } from './support/billing';
import { envWith } from './support/gateway';
import { checkoutSessionId, completeCheckout, fakeEvents, fakeRequests, stripeClient } from './support/stripe';
import { addUser, adminAuth, api, bearer, createTenant, PLATFORM, tenantUrl } from './support/tenants';

beforeAll(() => captureLogs());
afterAll(() => expectNoSecrets());

describe('checkout', () => {
  it('creates the customer once and a subscription session carrying the tenant id; the plan moves only when Stripe says it was paid', async () => {
    const t = await createTenant();
    const started = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' });
    expect(started.status).toBe(201);
    expect(started.body.checkout.url).toMatch(/\/checkout\/cs_test_/);

    const row = await tenantRow(t.id);
    expect(row.stripeCustomerId).toMatch(/^cus_/);
    const requests = await fakeRequests({ customer: row.stripeCustomerId! });
    const customerCreates = requests.filter((r) => r.method === 'POST' && r.path === '/v1/customers');
    expect(customerCreates).toHaveLength(1);
    expect(customerCreates[0]!.idempotencyKey).toBe(`nchat-customer-${t.id}`);
    expect(customerCreates[0]!.body.metadata).toEqual({ tenant_id: t.id, tenant_slug: t.slug });
    const session = requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')!;
    expect(session.stripeVersion).toMatch(/^\d{4}-\d{2}-\d{2}\./);
    expect(session.body).toMatchObject({
      mode: 'subscription',
      customer: row.stripeCustomerId,
      client_reference_id: t.id,
      line_items: [{ price: 'price_pro_monthly', quantity: '1' }],
      metadata: { tenant_id: t.id },
      subscription_data: { metadata: { tenant_id: t.id } },
      success_url: tenantUrl(t.slug, '/billing?checkout=success'),
      cancel_url: tenantUrl(t.slug, '/billing?checkout=cancelled'),
    });

    // Asking is not paying: still free.
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.plan).toBe('free');

    const paid = await completeCheckout(started.body.checkout.url);
    for (const event of paid.events) expect((await deliverEvent(event)).status).toBe(200);

    const tenant = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(tenant.body.tenant).toMatchObject({ plan: 'pro', billingPlan: 'pro', billingInterval: 'monthly', status: 'active' });
    expect(tenant.body.tenant.limits).toMatchObject({ users: 100, channels: 50, requestsPerMinute: 120 });
    // The TenantGate heard it too: the next request is limited at Pro's 120 a minute.
    const gated = await worker.fetch(new Request(tenantUrl(t.slug, '/api/tenant')), envWith({ PLAN_LIMITS_ENFORCED: 'true' }), createExecutionContext());
    expect(gated.status).toBe(200);
    expect(gated.headers.get('ratelimit-limit')).toBe('120');
  });

  it('answers GET /api/billing with the plan, subscription state, last payment and the plans on sale, without Stripe ids', async () => {
    const t = await createTenant();
    const before = await billingCall(t, t.token, 'GET', '');
    expect(before.status).toBe(200);
    expect(before.body.billing).toMatchObject({ plan: 'free', status: 'none', hasSubscription: false, lastPayment: null, checkoutAvailable: true });
    expect(before.body.plans.map((p: { id: string }) => p.id)).toEqual(['pro', 'enterprise']);
    expect(before.body.plans[0].prices).toEqual({ monthly: { amount: 1500, currency: 'usd', available: true }, yearly: { amount: 15000, currency: 'usd', available: true } });

    const sub = await subscribe(t, 'pro', 'yearly');
    const after = await billingCall(t, t.token, 'GET', '');
    expect(after.body.billing).toMatchObject({ plan: 'pro', interval: 'yearly', status: 'active', workspaceStatus: 'active', hasSubscription: true, cancelAtPeriodEnd: false, pastDueSince: null });
    expect(Date.parse(after.body.billing.currentPeriodEnd)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(after.body.billing.lastPayment).toMatchObject({ amount: 15000, status: 'paid' });
    const text = JSON.stringify(after.body);
    expect(text).not.toContain(sub.customerId);
    expect(text).not.toContain(sub.subscriptionId);
    expect(text).not.toMatch(/cus_|sub_|price_/);
  });

  it('a session can be paid for 31 minutes, and a new checkout expires the older open ones, so an abandoned session cannot start a second subscription', async () => {
    const t = await createTenant();
    const before = Math.floor(Date.now() / 1000);
    const abandoned = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' });
    const latest = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'enterprise', interval: 'monthly' });
    expect([abandoned.status, latest.status]).toEqual([201, 201]);
    const after = Math.floor(Date.now() / 1000);
    const row = await tenantRow(t.id);
    const customer = row.stripeCustomerId!;

    const creates = (await fakeRequests({ customer, method: 'POST', path: '/v1/checkout/sessions' })).filter((r) => r.path === '/v1/checkout/sessions');
    expect(creates).toHaveLength(2);
    for (const create of creates) {
      const expiresAt = Number(create.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 60);
      expect(expiresAt).toBeLessThanOrEqual(after + 31 * 60);
    }
    const abandonedId = checkoutSessionId(abandoned.body.checkout.url);
    const latestId = checkoutSessionId(latest.body.checkout.url);
    expect(await fakeRequests({ customer, method: 'POST', path: `/v1/checkout/sessions/${abandonedId}/expire` })).toHaveLength(1);
    const stripe = stripeClient();
    expect(await stripe.checkout.sessions.retrieve(abandonedId)).toMatchObject({ status: 'expired', url: null });
    expect(await stripe.checkout.sessions.retrieve(latestId)).toMatchObject({ status: 'open', expires_at: Number(creates[1]!.body.expires_at) });

    // The abandoned session can no longer be paid; the latest one can, and is the only subscription.
    await expect(completeCheckout(abandonedId)).rejects.toThrow(/expired, not open/);
    const paid = await completeCheckout(latestId);
    for (const event of paid.events) expect((await deliverEvent(event)).status).toBe(200);
    expect((await stripe.subscriptions.list({ customer, status: 'all' })).data.map((s) => s.id)).toEqual([paid.subscription.id]);
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'enterprise', stripeSubscriptionId: paid.subscription.id });
  });

  it('refuses a second checkout while a subscription is live, pointing at the plan change route', async () => {
    const t = await createTenant();
    await subscribe(t);
    const again = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'enterprise', interval: 'monthly' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'subscription_exists', details: { changePlan: { method: 'PUT', path: '/api/billing/subscription' } } });
  });

  it('refuses a second checkout when Stripe has the subscription but its webhook has not arrived yet', async () => {
    const t = await createTenant();
    const started = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' });
    await completeCheckout(started.body.checkout.url); // paid, events not delivered
    const again = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'yearly' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('subscription_exists');
  });

  it('two checkouts at once leave one customer', async () => {
    const t = await createTenant();
    const both = await Promise.all([1, 2].map(() => billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' })));
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    const row = await tenantRow(t.id);
    const creates = (await fakeRequests({ method: 'POST', path: '/v1/customers' })).filter((r) => r.body.metadata?.tenant_id === t.id);
    expect(creates.length).toBeGreaterThanOrEqual(1);
    // Every create carried the tenant's key, so Stripe answered them all with one customer.
    expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set([`nchat-customer-${t.id}`]));
    expect(new Set(creates.map((r) => r.result?.id))).toEqual(new Set([row.stripeCustomerId]));
    // Two sessions created (either may have expired the other, which is fine: one can be paid).
    const sessions = (await fakeRequests({ customer: row.stripeCustomerId!, method: 'POST', path: '/v1/checkout/sessions' })).filter((r) => r.path === '/v1/checkout/sessions');
    expect(sessions).toHaveLength(2);
    expect(sessions.every((s) => s.body.customer === row.stripeCustomerId)).toBe(true);
  });

  it.each([
    ['successUrl', 'https://evil.example/phish'],
    ['cancelUrl', 'http://other-workspace.nchat.test/billing'],
    ['successUrl', 'javascript:alert(1)'],
    ['successUrl', 'not a url'],
    ['cancelUrl', 'https://user:pass@SLUG.nchat.test/billing'],
  ])('refuses %s %s with 400 invalid_return_url', async (field, value) => {
    const t = await createTenant();
    const res = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly', [field]: value.replace('SLUG', t.slug) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_return_url', details: { field } });
    expect((await tenantRow(t.id)).stripeCustomerId).toBeNull();
  });

  it('accepts return addresses on the workspace own host', async () => {
    const t = await createTenant();
    const successUrl = `https://${t.slug}.nchat.test/welcome?paid=1`;
    const res = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'enterprise', interval: 'yearly', successUrl, cancelUrl: `https://${t.slug}.nchat.test/plans` });
    expect(res.status).toBe(201);
    const row = await tenantRow(t.id);
    const [session] = await fakeRequests({ customer: row.stripeCustomerId!, method: 'POST', path: '/v1/checkout/sessions' });
    expect(session!.body).toMatchObject({ success_url: successUrl, cancel_url: `https://${t.slug}.nchat.test/plans`, line_items: [{ price: 'price_enterprise_yearly' }] });
  });

  it('a workspace in its free Pro trial keeps the days it has left: Stripe starts charging when they end', async () => {
    const t = await createTenant({ trial: true });
    const res = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'pro', interval: 'monthly' });
    expect(res.status).toBe(201);
    const row = await tenantRow(t.id);
    const [session] = await fakeRequests({ customer: row.stripeCustomerId!, method: 'POST', path: '/v1/checkout/sessions' });
    expect(session!.body.subscription_data).toEqual({ metadata: { tenant_id: t.id }, trial_end: String(Math.floor(row.trialEndsAt!.getTime() / 1000)) });
  });

  it('a workspace in its Pro trial that buys Enterprise pays from the start: no trial is carried over', async () => {
    const t = await createTenant({ trial: true });
    expect(await tenantRow(t.id)).toMatchObject({ status: 'trial', billingPlan: 'pro' });
    const res = await billingCall(t, t.token, 'POST', '/checkout', { plan: 'enterprise', interval: 'monthly' });
    expect(res.status).toBe(201);
    const row = await tenantRow(t.id);
    const [session] = await fakeRequests({ customer: row.stripeCustomerId!, method: 'POST', path: '/v1/checkout/sessions' });
    expect(session!.body.line_items).toEqual([{ price: 'price_enterprise_monthly', quantity: '1' }]);
    expect(session!.body.subscription_data).toEqual({ metadata: { tenant_id: t.id } });
    expect(session!.body.subscription_data).not.toHaveProperty('trial_end');
  });

  it('validates the plan and interval', async () => {
    const t = await createTenant();
    for (const body of [{ plan: 'free', interval: 'monthly' }, { plan: 'custom', interval: 'monthly' }, { plan: 'pro', interval: 'weekly' }, { plan: 'pro' }]) {
      const res = await billingCall(t, t.token, 'POST', '/checkout', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('answers 503 billing_unavailable when Stripe is not configured', async () => {
    const t = await createTenant();
    const unconfigured = envWith({ STRIPE_SECRET_KEY: undefined, STRIPE_WEBHOOK_SECRET: undefined });
    const res = await worker.fetch(
      new Request(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { ...bearer(t.token), 'content-type': 'application/json' }, body: JSON.stringify({ plan: 'pro', interval: 'monthly' }) }),
      unconfigured,
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    const body = await res.text();
    seenBodies.push(body);
    expect(JSON.parse(body).error.code).toBe('billing_unavailable');
    const hook = await worker.fetch(new Request(`${PLATFORM}/api/billing/webhook`, { method: 'POST', body: '{}' }), unconfigured, createExecutionContext());
    expect(hook.status).toBe(503);
    const noPrice = envWith({ STRIPE_PRICE_ENTERPRISE_YEARLY: '' });
    const missingPrice = await worker.fetch(
      new Request(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { ...bearer(t.token), 'content-type': 'application/json' }, body: JSON.stringify({ plan: 'enterprise', interval: 'yearly' }) }),
      noPrice,
      createExecutionContext(),
    );
    expect(missingPrice.status).toBe(503);
  });
});

describe('portal', () => {
  it('returns a Billing Portal URL for the workspace customer, coming back to the workspace', async () => {
    const t = await createTenant();
    const none = await billingCall(t, t.token, 'POST', '/portal', {});
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('no_billing_account');

    const sub = await subscribe(t);
    const res = await billingCall(t, t.token, 'POST', '/portal', {});
    expect(res.status).toBe(200);
    expect(res.body.portal.url).toMatch(/^http/);
    const [portal] = await fakeRequests({ customer: sub.customerId, method: 'POST', path: '/v1/billing_portal/sessions' });
    expect(portal!.body).toEqual({ customer: sub.customerId, return_url: tenantUrl(t.slug, '/billing') });

    const elsewhere = await billingCall(t, t.token, 'POST', '/portal', { returnUrl: 'https://nchat.test/' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.code).toBe('invalid_return_url');
  });
});

describe('subscription changes', () => {
  it('changes the plan at Stripe, invoiced at once and applied only when paid; the plan follows when Stripe confirms', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const res = await billingCall(t, t.token, 'PUT', '/subscription', { plan: 'enterprise', interval: 'yearly' });
    expect(res.status).toBe(200);
    expect(res.body.subscription).toMatchObject({ plan: 'enterprise', interval: 'yearly', status: 'active' });
    const itemId = sub.subscription.items.data[0]!.id;
    const [update] = await fakeRequests({ customer: sub.customerId, method: 'POST', path: `/v1/subscriptions/${sub.subscriptionId}` });
    // The difference is invoiced now, and the new price applies only once that invoice is paid.
    expect(update!.body).toEqual({ items: [{ id: itemId, price: 'price_enterprise_yearly' }], proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete' });
    // Not yet: the request did not move the plan.
    expect((await tenantRow(t.id)).billingPlan).toBe('pro');

    const updated = (await fakeEvents({ type: 'customer.subscription.updated', object: sub.subscriptionId })).at(-1);
    expect((await deliverEvent(updated!)).status).toBe(200);
    const tenant = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(tenant.body.tenant).toMatchObject({ plan: 'enterprise', billingInterval: 'yearly' });
    expect(tenant.body.tenant.limits).toMatchObject({ users: null, requestsPerMinute: 300 });

    // Asking for what it already is changes nothing at Stripe.
    const same = await billingCall(t, t.token, 'PUT', '/subscription', { plan: 'enterprise', interval: 'yearly' });
    expect(same.status).toBe(200);
    expect(await fakeRequests({ customer: sub.customerId, method: 'POST', path: `/v1/subscriptions/${sub.subscriptionId}` })).toHaveLength(1);
  });

  it('cancels at the period end and resumes, at Stripe', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const cancel = await billingCall(t, t.token, 'DELETE', '/subscription');
    expect(cancel.status).toBe(200);
    expect(cancel.body.subscription).toMatchObject({ plan: 'pro', status: 'active', cancelAtPeriodEnd: true });
    const resume = await billingCall(t, t.token, 'POST', '/subscription/resume');
    expect(resume.status).toBe(200);
    expect(resume.body.subscription.cancelAtPeriodEnd).toBe(false);
    const updates = await fakeRequests({ customer: sub.customerId, method: 'POST', path: `/v1/subscriptions/${sub.subscriptionId}` });
    expect(updates.map((u) => u.body)).toEqual([{ cancel_at_period_end: 'true' }, { cancel_at_period_end: 'false' }]);
    // Still Pro throughout: cancelling at the period end keeps what was paid for.
    expect((await tenantRow(t.id)).billingPlan).toBe('pro');
  });

  it('answers 409 no_subscription without a live subscription', async () => {
    const t = await createTenant();
    for (const [method, path] of [['PUT', '/subscription'], ['DELETE', '/subscription'], ['POST', '/subscription/resume']] as const) {
      const res = await billingCall(t, t.token, method, path, method === 'PUT' ? { plan: 'pro', interval: 'monthly' } : undefined);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'no_subscription', details: { checkout: { method: 'POST', path: '/api/billing/checkout' } } });
    }
  });

  it('records the owner requests in the audit log', async () => {
    const t = await createTenant({ trial: true }); // the audit log is a Pro feature
    await subscribe(t);
    await billingCall(t, t.token, 'DELETE', '/subscription');
    const log = await api(tenantUrl(t.slug, '/api/tenant/audit-logs?limit=50'), { headers: bearer(t.token) });
    const actions = log.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['billing.checkout_started', 'billing.cancellation_requested', 'billing.updated']));
    expect(log.body.entries.find((e: { action: string }) => e.action === 'billing.cancellation_requested').actor.type).toBe('user');
  });
});

describe('who may', () => {
  const routes = [
    ['GET', '', undefined],
    ['POST', '/checkout', { plan: 'pro', interval: 'monthly' }],
    ['POST', '/portal', {}],
    ['PUT', '/subscription', { plan: 'enterprise', interval: 'monthly' }],
    ['DELETE', '/subscription', undefined],
    ['POST', '/subscription/resume', undefined],
  ] as const;

  it('a member cannot (403), and an admin can', async () => {
    const t = await createTenant();
    await subscribe(t);
    const member = await addUser(t, 'member');
    for (const [method, path, body] of routes) {
      const res = await billingCall(t, member.token, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const admin = await addUser(t, 'admin');
    expect((await billingCall(t, admin.token, 'POST', '/portal', {})).status).toBe(200);
  });

  it("another workspace's owner cannot, on this workspace's host (401)", async () => {
    const a = await createTenant();
    const b = await createTenant();
    await subscribe(b);
    for (const [method, path, body] of routes) {
      const res = await billingCall(b, a.token, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    const rowB = await tenantRow(b.id);
    expect(rowB.billingPlan).toBe('pro');
    expect(await fakeRequests({ customer: rowB.stripeCustomerId!, method: 'POST', path: '/v1/billing_portal/sessions' })).toEqual([]);
  });

  it('nobody signed in cannot (401); the routes do not exist on the platform host', async () => {
    const t = await createTenant();
    expect((await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', json: { plan: 'pro', interval: 'monthly' } })).status).toBe(401);
    expect((await api(`${PLATFORM}/api/billing`, { headers: adminAuth })).status).toBe(404);
    expect((await api(`${PLATFORM}/api/billing/checkout`, { method: 'POST', headers: bearer(t.token), json: { plan: 'pro', interval: 'monthly' } })).status).toBe(404);
  });
});
