/**
 * Stripe's webhook (issue 6): only signed, fresh events are accepted; each is recorded once and
 * acts once; handlers set the tenant from the subscription's current state at Stripe, so event
 * order does not matter; a failure is stored and answered 500 so Stripe retries; past due →
 * grace period → suspended → paid → active. Events are signed by the local fake.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../src/audit/audit';
import { suspendOverdueTenants } from '../src/billing/grace';
import { syncTenant } from '../src/billing/sync';
import { writeBilling } from '../src/billing/tenant-billing';
import { claimDelivery, markProcessed } from '../src/billing/webhook-events';
import { BILLING_SUSPENSION_REASON, patchFromSubscription } from '../src/billing/subscription-state';
import type { TenantRow } from '../src/db/schema';
import worker from '../src/index';
import { captureLogs, cronBillingDeps, deliverEvent, expectNoSecrets, stripeAuditCount, subscribe, suspendedForNonPayment, tenantRow, webhookRow } from './support/billing';
import { envWith } from './support/gateway';
import { completeCheckout, failNext, fakeEvents, holdNext, invoice, setSubscription, signedEvent, stripeClient, TEST_STRIPE_WEBHOOK_SECRET, WEBHOOK_URL } from './support/stripe';
import { adminAuth, api, bearer, createTenant, database, PLATFORM, tenantUrl } from './support/tenants';

beforeAll(() => captureLogs());
afterAll(() => expectNoSecrets());

const DAY = 86_400_000;

async function rowsFor(marker: string): Promise<number> {
  const rows = (await database().sql`SELECT count(*)::int AS n FROM public.stripe_webhooks WHERE event_id = ${marker} OR payload::text LIKE ${`%${marker}%`}`) as { n: number }[];
  return rows[0]!.n;
}

/** A payload signed with the webhook secret, as Stripe would sign it (the SDK's own test helper). */
async function signRaw(payload: string, timestamp?: number): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: TEST_STRIPE_WEBHOOK_SECRET, timestamp, cryptoProvider: Stripe.createSubtleCryptoProvider() });
}

describe('verification', () => {
  it('refuses a bad signature, a missing header, a stale timestamp and malformed JSON with 400, storing nothing', async () => {
    const marker = `evt_test_${crypto.randomUUID().replace(/-/g, '')}`;
    const object = { id: 'sub_nobody', object: 'subscription', customer: 'cus_nobody', metadata: {} };
    const event = await signedEvent('customer.subscription.updated', object);
    const withMarker = (e: { payload: string }) => e.payload.replace(/"id":\s*"evt_[A-Za-z0-9]+"/, `"id":"${marker}"`);

    const forged = await signedEvent('customer.subscription.updated', object, { secret: 'whsec_not_the_right_one' });
    const stalePayload = withMarker(await signedEvent('customer.subscription.updated', object));
    const cases: [string, { payload: string; signature: string | null }, string][] = [
      ['forged signature', { payload: withMarker(forged), signature: forged.signature }, 'invalid_signature'],
      ['tampered payload', { payload: withMarker(event), signature: event.signature }, 'invalid_signature'],
      ['missing header', { payload: withMarker(event), signature: null }, 'missing_signature'],
      ['garbage header', { payload: withMarker(event), signature: 'nonsense' }, 'invalid_signature'],
      ['stale timestamp (400 s)', { payload: stalePayload, signature: await signRaw(stalePayload, Math.floor(Date.now() / 1000) - 400) }, 'invalid_signature'],
    ];
    const malformed = `{"id":"${marker}","type":"customer.subscription.updated","data":{"object":`;
    cases.push(['malformed JSON', { payload: malformed, signature: await signRaw(malformed) }, 'invalid_payload']);

    for (const [label, delivery, code] of cases) {
      const res = await deliverEvent(delivery);
      expect(res.status, label).toBe(400);
      expect(res.body.error.code, label).toBe(code);
    }
    expect(await rowsFor(marker)).toBe(0);

    // The same stale payload signed now is accepted (so the 400 above was the timestamp).
    const fresh = await deliverEvent({ payload: stalePayload, signature: await signRaw(stalePayload) });
    expect(fresh.status).toBe(200);
    expect(await rowsFor(marker)).toBe(1);
  });

  it('is served on the platform host only', async () => {
    const t = await createTenant();
    const event = await signedEvent('customer.subscription.updated', { id: 'sub_x', object: 'subscription', customer: 'cus_x', metadata: {} });
    const res = await api(tenantUrl(t.slug, '/api/billing/webhook'), { method: 'POST', headers: { 'stripe-signature': event.signature }, body: event.payload });
    expect(res.status).toBe(404);
    expect(await webhookRow(event.id)).toBeUndefined();
  });
});

describe('recording', () => {
  it('acts once on a duplicate delivery: 200 both times, one set of audit rows', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const audits = await stripeAuditCount(t.id);
    expect(audits).toBeGreaterThan(0);
    const versionBefore = (await tenantRow(t.id)).version;

    for (const event of sub.events) {
      const again = await deliverEvent(event);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: true, status: 'duplicate', eventId: event.id });
      expect(await webhookRow(event.id)).toMatchObject({ status: 'processed', attempts: 1, tenant_id: t.id });
    }
    expect(await stripeAuditCount(t.id)).toBe(audits);
    expect((await tenantRow(t.id)).version).toBe(versionBefore);
  });

  it('stores events for customers it does not know as ignored, and answers 200', async () => {
    const event = await signedEvent('customer.subscription.updated', { id: 'sub_unknown', object: 'subscription', customer: `cus_unknown_${Date.now()}`, metadata: {} });
    const res = await deliverEvent(event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored' });
    expect(await webhookRow(event.id)).toMatchObject({ status: 'ignored', tenant_id: null });
  });

  it("attaches a new customer to the workspace a checkout names only when the customer's own metadata names that workspace", async () => {
    const t = await createTenant();
    const stripe = stripeClient();
    const checkoutFor = async (customer: string) => {
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer,
        client_reference_id: t.id,
        metadata: { tenant_id: t.id },
        subscription_data: { metadata: { tenant_id: t.id } },
        line_items: [{ price: 'price_pro_monthly', quantity: 1 }],
        success_url: 'https://elsewhere.example/paid',
      });
      return completeCheckout(session.id);
    };

    // A session made outside nchat, for a customer that is not the workspace's, naming it.
    const stranger = await stripe.customers.create({ email: 'someone@elsewhere.example' });
    const foreign = await checkoutFor(stranger.id);
    for (const event of foreign.events) {
      const res = await deliverEvent(event);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ignored', tenantId: null });
      expect(await webhookRow(event.id)).toMatchObject({ status: 'ignored', tenant_id: null });
    }
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'free', stripeCustomerId: null, stripeSubscriptionId: null, subscriptionStatus: null });

    // A customer made for the workspace (as ensureCustomer makes it), not yet stored on it, is attached.
    const own = await stripe.customers.create({ metadata: { tenant_id: t.id, tenant_slug: t.slug } });
    const paid = await checkoutFor(own.id);
    const completed = paid.events.find((e) => e.type === 'checkout.session.completed')!;
    expect((await deliverEvent(completed)).body).toMatchObject({ status: 'processed', tenantId: t.id });
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'pro', stripeCustomerId: own.id, stripeSubscriptionId: paid.subscription.id });
  });

  it('stores event types it does not handle as ignored', async () => {
    const event = await signedEvent('charge.refunded', { id: 'ch_1', object: 'charge' });
    expect((await deliverEvent(event)).body).toMatchObject({ status: 'ignored' });
    expect(await webhookRow(event.id)).toMatchObject({ status: 'ignored' });
  });

  it('answers 500 with the error stored when processing fails, and processes the retry', async () => {
    const t = await createTenant();
    const started = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, json: { plan: 'pro', interval: 'monthly' } });
    const paid = await completeCheckout(started.body.checkout.url);
    const completed = paid.events.find((e) => e.type === 'checkout.session.completed')!;
    // Both tries of the SDK (one network retry) fail: the handler cannot read the subscription.
    await failNext({ method: 'GET', path: `/v1/subscriptions/${paid.subscription.id}`, status: 500, count: 2 });

    const failed = await deliverEvent(completed);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toMatchObject({ code: 'webhook_failed', details: { eventId: completed.id, attempts: 1 } });
    const stored = await webhookRow(completed.id);
    expect(stored).toMatchObject({ status: 'failed', attempts: 1, tenant_id: t.id });
    expect(stored!.error).toMatch(/500: Injected failure/);
    expect((await tenantRow(t.id)).billingPlan).toBe('free');

    const retried = await deliverEvent(completed);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('processed');
    expect(await webhookRow(completed.id)).toMatchObject({ status: 'processed', attempts: 2, error: null });
    expect((await tenantRow(t.id)).billingPlan).toBe('pro');
  });
  it('a change that committed but could not be published is published when Stripe delivers the event again', async () => {
    const t = await createTenant();
    const started = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, json: { plan: 'pro', interval: 'monthly' } });
    const paid = await completeCheckout(started.body.checkout.url);
    const completed = paid.events.find((e) => e.type === 'checkout.session.completed')!;
    // The TenantGate cannot be reached during this delivery (an outage of the platform's binding,
    // not of our code): the write commits, publishing it fails, and the Worker answers 500.
    const unreachable = () => {
      throw new Error('TenantGate unreachable');
    };
    const gateDown = { ...env, TENANT_GATE: { idFromName: unreachable, idFromString: unreachable, newUniqueId: unreachable, get: unreachable } } as unknown as Env;
    const first = await worker.fetch(
      new Request(WEBHOOK_URL, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': completed.signature }, body: completed.payload }),
      gateDown,
      createExecutionContext(),
    );
    expect(first.status).toBe(500);
    await first.text();
    expect(await webhookRow(completed.id)).toMatchObject({ status: 'processed', tenant_id: t.id });
    expect((await tenantRow(t.id)).billingPlan).toBe('pro');
    // Nobody was told: the workspace still answers as free.
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.plan).toBe('free');

    // Stripe's retry: a duplicate (no second effect), and the current row is published.
    const audits = await stripeAuditCount(t.id);
    const retried = await deliverEvent(completed);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'duplicate', eventId: completed.id });
    expect(await stripeAuditCount(t.id)).toBe(audits);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant).toMatchObject({ plan: 'pro', limits: { users: 100 } });
    const gated = await worker.fetch(new Request(tenantUrl(t.slug, '/api/tenant')), envWith({ PLAN_LIMITS_ENFORCED: 'true' }), createExecutionContext());
    expect(gated.headers.get('ratelimit-limit')).toBe('120');
  });
});

describe('order', () => {
  it('the checkout events in reverse order end in the same state', async () => {
    const t = await createTenant();
    const started = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, json: { plan: 'pro', interval: 'yearly' } });
    const paid = await completeCheckout(started.body.checkout.url);
    for (const event of [...paid.events].reverse()) expect((await deliverEvent(event)).status).toBe(200);
    expect(await tenantRow(t.id)).toMatchObject({
      billingPlan: 'pro',
      billingInterval: 'yearly',
      status: 'active',
      subscriptionStatus: 'active',
      stripeSubscriptionId: paid.subscription.id,
      lastPaymentStatus: 'paid',
      lastPaymentAmount: 15000,
    });
  });

  it('a late copy of an older paid invoice does not replace the last payment', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const monthAgo = Math.floor(Date.now() / 1000) - 31 * 24 * 3600;
    const older = await signedEvent('invoice.paid', { ...sub.invoice, id: 'in_older', amount_paid: 1, status_transitions: { ...sub.invoice.status_transitions, paid_at: monthAgo } });
    expect((await deliverEvent(older)).status).toBe(200);
    expect(await tenantRow(t.id)).toMatchObject({ lastPaymentAmount: 1500, lastPaymentStatus: 'paid' });
  });

  it('the same event delivered twice at once has one effect', async () => {
    const t = await createTenant();
    const started = await api(tenantUrl(t.slug, '/api/billing/checkout'), { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, json: { plan: 'pro', interval: 'monthly' } });
    const paid = await completeCheckout(started.body.checkout.url);
    const completed = paid.events.find((e) => e.type === 'checkout.session.completed')!;
    const results = await Promise.all([deliverEvent(completed), deliverEvent(completed), deliverEvent(completed)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of results) expect(['processed', 'duplicate']).toContain(r.body.status);
    // One billing.updated and one tenant.plan_changed: the change was made once.
    const actions = (await database().sql`SELECT action FROM public.tenant_audit_logs WHERE tenant_id = ${t.id} AND actor_type = 'stripe' ORDER BY id`) as { action: string }[];
    expect(actions.map((a) => a.action)).toEqual(['billing.updated', 'tenant.plan_changed']);
    expect(await webhookRow(completed.id)).toMatchObject({ status: 'processed' });
  });

  it('customer.subscription.deleted arriving before an older updated still leaves the tenant on free', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    // An update Stripe sent earlier (a new period), delivered late.
    const olderUpdated = await signedEvent('customer.subscription.updated', sub.subscription, { previousAttributes: { cancel_at_period_end: true } });
    await setSubscription(sub.subscriptionId, { status: 'canceled' });
    const deleted = (await fakeEvents({ type: 'customer.subscription.deleted', object: sub.subscriptionId })).at(-1);
    expect(deleted).toBeDefined();

    expect((await deliverEvent(deleted!)).status).toBe(200);
    expect((await deliverEvent(olderUpdated)).status).toBe(200);

    const row = await tenantRow(t.id);
    expect(row).toMatchObject({ billingPlan: 'free', billingInterval: null, stripeSubscriptionId: null, stripePriceId: null, subscriptionStatus: 'canceled', status: 'active' });
    expect(row.stripeCustomerId).toBe(sub.customerId);
    const tenant = await api(tenantUrl(t.slug, '/api/tenant'));
    expect(tenant.body.tenant).toMatchObject({ plan: 'free' });
    expect(tenant.body.tenant.limits).toMatchObject({ users: 10, channels: 5 });
  });

  it('a handler that read the subscription before a later sync was written does not put its older state back', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    // Handler A reads the subscription (active), then stalls before writing.
    const fetchedAt = new Date();
    const stale = await stripeClient().subscriptions.retrieve(sub.subscriptionId);
    const eventA = await signedEvent('customer.subscription.updated', stale);
    expect((await claimDelivery(database(), JSON.parse(eventA.payload) as Stripe.Event, eventA.payload, { customerId: null, tenantId: null })).attempts).toBe(1);

    // Handler B, later: the subscription is deleted, and its event is processed in full.
    await setSubscription(sub.subscriptionId, { status: 'canceled' });
    const deleted = (await fakeEvents({ type: 'customer.subscription.deleted', object: sub.subscriptionId })).at(-1);
    expect((await deliverEvent(deleted!)).status).toBe(200);
    const afterB = await tenantRow(t.id);
    expect(afterB).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null, subscriptionStatus: 'canceled' });
    expect(afterB.billingSyncedAt!.getTime()).toBeGreaterThan(fetchedAt.getTime());

    // A resumes and writes what it read, with its event row, as the webhook does.
    const deps = cronBillingDeps();
    const result = await syncTenant(deps, t.id, { fetched: { subscription: stale, fetchedAt } }, () => ({
      actor: { type: 'stripe' },
      context: SYSTEM_CONTEXT,
      subject: { type: 'subscription', id: sub.subscriptionId },
      alongside: [markProcessed(deps.database, eventA.id, t.id)],
    }));
    expect(result.changed).toEqual({});
    const afterA = await tenantRow(t.id);
    expect(afterA).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null, subscriptionStatus: 'canceled', version: afterB.version });
    expect(afterA.billingSyncedAt).toEqual(afterB.billingSyncedAt);
    // The event is done with: processed, and Stripe is not asked to send it again.
    expect(await webhookRow(eventA.id)).toMatchObject({ status: 'processed', tenant_id: t.id });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.plan).toBe('free');

    // A state read after B's is written (the check is on the time, not on who came first).
    await setSubscription(sub.subscriptionId, { status: 'active' });
    const fresh = { subscription: await stripeClient().subscriptions.retrieve(sub.subscriptionId), fetchedAt: new Date() };
    await syncTenant(deps, t.id, { fetched: fresh }, () => ({ actor: { type: 'stripe' }, context: SYSTEM_CONTEXT, subject: { type: 'subscription', id: sub.subscriptionId } }));
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'pro', stripeSubscriptionId: sub.subscriptionId, billingSyncedAt: fresh.fetchedAt });
  });

  it('the same interleaving through the webhook: a delivery whose read of Stripe stalled does not undo a deletion processed meanwhile', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const versionBefore = (await tenantRow(t.id)).version;
    // Handler A: an update; its read of the subscription (active) is held at the fake.
    const hold = await holdNext({ method: 'GET', path: `/v1/subscriptions/${sub.subscriptionId}` });
    const updated = await signedEvent('customer.subscription.updated', undefined, { subscription: sub.subscriptionId });
    const a = deliverEvent(updated);
    await hold.arrived();

    // Handler B: the subscription is deleted, and its event is processed in full.
    await setSubscription(sub.subscriptionId, { status: 'canceled' });
    const deleted = (await fakeEvents({ type: 'customer.subscription.deleted', object: sub.subscriptionId })).at(-1);
    expect((await deliverEvent(deleted!)).body).toMatchObject({ status: 'processed' });
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null });

    // A gets its (stale) answer and finishes: processed, no tenant change.
    await hold.release();
    const resA = await a;
    expect(resA.status).toBe(200);
    expect(resA.body).toMatchObject({ status: 'processed', tenantId: t.id });
    const row = await tenantRow(t.id);
    expect(row).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null, subscriptionStatus: 'canceled', version: versionBefore + 1 });
    expect(await webhookRow(updated.id)).toMatchObject({ status: 'processed', tenant_id: t.id });
  });

  it('a newer sync stored between reading the row and writing it refuses the older write in its transaction', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const before = await tenantRow(t.id);
    // Read after the row's last sync, so not stale when the row was read...
    const stale = { subscription: await stripeClient().subscriptions.retrieve(sub.subscriptionId), fetchedAt: new Date() };
    expect(stale.fetchedAt.getTime()).toBeGreaterThan(before.billingSyncedAt!.getTime());
    // ...but a newer sync that changed nothing visible lands first: only the time moves, without a version bump.
    await syncTenant(cronBillingDeps(), t.id, { fetched: { subscription: stale.subscription, fetchedAt: new Date(stale.fetchedAt.getTime() + 1000) } }, () => ({
      actor: { type: 'stripe' }, context: SYSTEM_CONTEXT, subject: { type: 'subscription', id: sub.subscriptionId },
    }));
    const stamped = await tenantRow(t.id);
    expect(stamped.version).toBe(before.version);
    expect(stamped.billingSyncedAt!.getTime()).toBeGreaterThan(before.billingSyncedAt!.getTime());
    // The older write, computed on the row as it was before the stamp (same version), is refused
    // as a conflict by the check inside its transaction; nothing of it is written.
    const older = { billingPlan: 'enterprise' as const, billingSyncedAt: stale.fetchedAt };
    await expect(writeBilling(cronBillingDeps(), before, older, { actor: { type: 'stripe' }, context: SYSTEM_CONTEXT, subject: { type: 'subscription', id: sub.subscriptionId } })).rejects.toMatchObject({ code: 'conflict' });
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'pro', version: before.version });
  });

  it('a row read before a concurrent change (the webhook reads it with its claim) is read again, not stamped with a state it does not hold', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);
    const known = await tenantRow(t.id);
    const active = await stripeClient().subscriptions.retrieve(sub.subscriptionId);
    // Another handler's older state (cancelled, fetched first) commits after `known` was read...
    const olderAt = new Date();
    await syncTenant(cronBillingDeps(), t.id, { fetched: { subscription: { ...active, status: 'canceled' }, fetchedAt: olderAt } }, () => ({
      actor: { type: 'stripe' }, context: SYSTEM_CONTEXT, subject: { type: 'subscription', id: sub.subscriptionId },
    }));
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'free', version: known.version + 1 });
    // ...and this handler's newer state (active, as `known` has it) is computed on `known` first:
    // "no change" there, but the row moved on, so it is read again and the newer state written.
    const newer = { subscription: active, fetchedAt: new Date(olderAt.getTime() + 1000) };
    const result = await syncTenant(cronBillingDeps(), t.id, { fetched: newer }, () => ({
      actor: { type: 'stripe' }, context: SYSTEM_CONTEXT, subject: { type: 'subscription', id: sub.subscriptionId },
    }), known);
    expect(result.changed).toMatchObject({ billingPlan: 'pro' });
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'pro', stripeSubscriptionId: sub.subscriptionId, subscriptionStatus: 'active', billingSyncedAt: newer.fetchedAt });
  });

  it('an old cancelled subscription does not undo a newer live one', async () => {
    const t = await createTenant();
    const first = await subscribe(t);
    await setSubscription(first.subscriptionId, { status: 'canceled' });
    const deleted = (await fakeEvents({ type: 'customer.subscription.deleted', object: first.subscriptionId })).at(-1);
    await deliverEvent(deleted!);
    const second = await subscribe(t, 'enterprise', 'monthly');
    // The first subscription's deletion, delivered again under a new event id (as a late copy).
    const late = await signedEvent('customer.subscription.deleted', undefined, { subscription: first.subscriptionId });
    expect((await deliverEvent(late)).status).toBe(200);
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'enterprise', stripeSubscriptionId: second.subscriptionId, subscriptionStatus: 'active' });
  });

  it("an ended subscription does not drop the workspace to free while another of its customer's subscriptions is live", async () => {
    const t = await createTenant();
    const first = await subscribe(t);
    // A second subscription for the same customer (an old Checkout Session, paid later), whose
    // events have not arrived: the row still names the first one.
    const stripe = stripeClient();
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: first.customerId,
      client_reference_id: t.id,
      metadata: { tenant_id: t.id },
      subscription_data: { metadata: { tenant_id: t.id } },
      line_items: [{ price: 'price_enterprise_monthly', quantity: 1 }],
      success_url: tenantUrl(t.slug, '/billing'),
    });
    const second = await completeCheckout(session.id);
    expect((await tenantRow(t.id)).stripeSubscriptionId).toBe(first.subscriptionId);

    await setSubscription(first.subscriptionId, { status: 'canceled' });
    const deleted = (await fakeEvents({ type: 'customer.subscription.deleted', object: first.subscriptionId })).at(-1);
    expect((await deliverEvent(deleted!)).body).toMatchObject({ status: 'processed', tenantId: t.id });
    expect(await tenantRow(t.id)).toMatchObject({
      billingPlan: 'enterprise',
      stripeSubscriptionId: second.subscription.id,
      subscriptionStatus: 'active',
      status: 'active',
    });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant.plan).toBe('enterprise');

    // When the second one ends too, there is nothing left: free.
    await setSubscription(second.subscription.id, { status: 'canceled' });
    const last = (await fakeEvents({ type: 'customer.subscription.deleted', object: second.subscription.id })).at(-1);
    expect((await deliverEvent(last!)).status).toBe(200);
    expect(await tenantRow(t.id)).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null, subscriptionStatus: 'canceled' });
  });

  it('a trialing subscription puts the workspace on a Pro trial until the trial ends', async () => {
    const t = await createTenant();
    const sub = await subscribe(t, 'pro', 'monthly', { status: 'trialing' });
    const row = await tenantRow(t.id);
    expect(row).toMatchObject({ billingPlan: 'pro', status: 'trial', subscriptionStatus: 'trialing' });
    expect(row.trialEndsAt?.getTime()).toBe(sub.subscription.trial_end! * 1000);
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).body.tenant).toMatchObject({ plan: 'pro', status: 'trial', trial: { expired: false } });
  });
});

describe('payment failure and the grace period', () => {
  it('the sweep goes through every overdue workspace, batch after batch', async () => {
    const overdue = await Promise.all([createTenant(), createTenant(), createTenant()]);
    for (const t of overdue) {
      // Seeded as a past-due subscription would leave it (the webhook path is tested below).
      await database().sql`UPDATE public.tenants SET billing_plan = 'pro', subscription_status = 'past_due', past_due_since = now() - interval '1 day' WHERE id = ${t.id}`;
    }
    const result = await suspendOverdueTenants(cronBillingDeps(), new Date(Date.now() + 8 * DAY), { batchSize: 1 });
    expect(result.suspended).toEqual(expect.arrayContaining(overdue.map((t) => t.id)));
    for (const t of overdue) expect(await tenantRow(t.id)).toMatchObject({ status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON });
  });

  it('past due keeps the workspace for the grace period, then suspends it; a paid invoice makes it active again', async () => {
    const t = await createTenant();
    const sub = await subscribe(t);

    const failed = await invoice(sub.subscriptionId, false);
    expect(failed.events.map((e) => e.type)).toEqual(['invoice.payment_failed', 'customer.subscription.updated']);
    for (const event of failed.events) expect((await deliverEvent(event)).status).toBe(200);
    let row = await tenantRow(t.id);
    expect(row).toMatchObject({ status: 'active', billingPlan: 'pro', subscriptionStatus: 'past_due', lastPaymentStatus: 'failed' });
    expect(row.pastDueSince).not.toBeNull();
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200);

    // The daily sweep, a day in: still within the grace period.
    const early = await suspendOverdueTenants(cronBillingDeps(), new Date(Date.now() + 1 * DAY));
    expect(early.suspended).not.toContain(t.id);
    // Eight days in: suspended, on the very next request.
    const late = await suspendOverdueTenants(cronBillingDeps(), new Date(Date.now() + 8 * DAY));
    expect(late.suspended).toContain(t.id);
    row = await tenantRow(t.id);
    expect(row).toMatchObject({ status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON });
    // Chat is closed (owners can still reach billing to pay: test/billing-lifecycle.test.ts).
    const refused = await api(tenantUrl(t.slug, '/api/channels'), { headers: bearer(t.token) });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'tenant_suspended', details: { reason: 'billing' } });
    // A second sweep changes nothing.
    expect((await suspendOverdueTenants(cronBillingDeps(), new Date(Date.now() + 9 * DAY))).suspended).not.toContain(t.id);

    const paid = await invoice(sub.subscriptionId, true);
    for (const event of paid.events) expect((await deliverEvent(event)).status).toBe(200);
    row = await tenantRow(t.id);
    expect(row).toMatchObject({ status: 'active', suspendedReason: null, subscriptionStatus: 'active', pastDueSince: null, lastPaymentStatus: 'paid', billingPlan: 'pro' });
    expect((await api(tenantUrl(t.slug, '/api/tenant'))).status).toBe(200);

    const log = (await database().sql`SELECT action, actor_type FROM public.tenant_audit_logs WHERE tenant_id = ${t.id} AND action IN ('tenant.suspended', 'tenant.unsuspended') ORDER BY id`) as { action: string; actor_type: string }[];
    expect(log).toEqual([
      { action: 'tenant.suspended', actor_type: 'system' },
      { action: 'tenant.unsuspended', actor_type: 'stripe' },
    ]);
  });

  it('unpaid suspends at once; a payment does not lift an operator suspension', async () => {
    const t = await suspendedForNonPayment();
    const sub = { subscriptionId: t.subscriptionId };

    // The operator suspends it for their own reason meanwhile (after lifting billing's).
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/unsuspend`, { method: 'POST', headers: adminAuth })).status).toBe(200);
    expect((await api(`${PLATFORM}/api/tenants/${t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'abuse report' } })).status).toBe(200);
    const paid = await invoice(sub.subscriptionId, true);
    for (const event of paid.events) expect((await deliverEvent(event)).status).toBe(200);
    expect(await tenantRow(t.id)).toMatchObject({ status: 'suspended', suspendedReason: 'abuse report', subscriptionStatus: 'active', lastPaymentStatus: 'paid' });
  });
});

describe('status mapping (patchFromSubscription)', () => {
  const prices = { STRIPE_PRICE_PRO_MONTHLY: 'price_pro_monthly', STRIPE_PRICE_ENTERPRISE_YEARLY: 'price_enterprise_yearly' };
  const now = new Date('2026-11-28T12:00:00Z');
  const context = { prices, graceDays: 7, now };
  // Only the fields the mapping reads; a full Stripe object is hundreds of fields.
  const subscription = (status: string, price = 'price_pro_monthly') =>
    ({
      id: 'sub_1',
      customer: 'cus_1',
      status,
      cancel_at_period_end: false,
      trial_end: 1_800_000_000,
      metadata: {},
      items: { data: [{ id: 'si_1', price: { id: price, recurring: { interval: price.endsWith('yearly') ? 'year' : 'month' } }, current_period_start: 1_790_000_000, current_period_end: 1_792_000_000 }] },
    }) as unknown as Stripe.Subscription;
  const tenant = (fields: Partial<TenantRow> = {}) =>
    ({
      id: 't1', status: 'active', billingPlan: 'free', billingInterval: null, stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1', subscriptionStatus: 'active',
      pastDueSince: null, trialEndsAt: null, suspendedReason: null, metadata: {}, ...fields,
    }) as TenantRow;

  it.each([
    ['active', {}, { billingPlan: 'pro', billingInterval: 'monthly', subscriptionStatus: 'active', pastDueSince: null }],
    ['trialing', {}, { billingPlan: 'pro', status: 'trial', trialEndsAt: new Date(1_800_000_000_000) }],
    ['past_due', {}, { billingPlan: 'pro', subscriptionStatus: 'past_due', pastDueSince: now }],
    ['past_due', { pastDueSince: new Date(now.getTime() - 8 * DAY) }, { status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON }],
    ['unpaid', {}, { status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON, metadata: { statusBeforeSuspension: 'active' } }],
    ['canceled', { billingPlan: 'pro' }, { billingPlan: 'free', billingInterval: null, stripeSubscriptionId: null, stripePriceId: null, subscriptionStatus: 'canceled' }],
    ['incomplete_expired', { billingPlan: 'pro' }, { billingPlan: 'free', stripeSubscriptionId: null }],
    ['paused', { billingPlan: 'pro' }, { billingPlan: 'free', stripeSubscriptionId: 'sub_1', subscriptionStatus: 'paused' }],
  ] as [string, Partial<TenantRow>, Record<string, unknown>][])('%s (tenant %j) → %j', (status, before, expected) => {
    expect(patchFromSubscription(tenant(before), subscription(status), context)).toMatchObject(expected);
  });

  it('grants nothing for an incomplete first checkout, and an expired one does not end a trial', () => {
    const trial = tenant({ status: 'trial', billingPlan: 'pro', stripeSubscriptionId: null, subscriptionStatus: null, trialEndsAt: new Date(now.getTime() + DAY) });
    expect(patchFromSubscription(trial, subscription('incomplete'), context)).toEqual({ stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1', subscriptionStatus: 'incomplete' });
    const afterIncomplete = { ...trial, stripeSubscriptionId: 'sub_1', subscriptionStatus: 'incomplete' };
    const expired = patchFromSubscription(afterIncomplete, subscription('incomplete_expired'), context);
    expect(expired).not.toHaveProperty('billingPlan');
    expect(expired).not.toHaveProperty('status');
  });

  it('keeps the plan for a price the catalogue does not know, and leaves a workspace being deleted alone', () => {
    expect(patchFromSubscription(tenant({ billingPlan: 'custom' }), subscription('active', 'price_custom_deal'), context)).toMatchObject({ billingPlan: 'custom', stripePriceId: 'price_custom_deal' });
    expect(patchFromSubscription(tenant({ status: 'cancelled', billingPlan: 'pro' }), subscription('unpaid'), context)).not.toHaveProperty('status');
  });

  it("does not lift an operator's suspension, and lifts billing's", () => {
    expect(patchFromSubscription(tenant({ status: 'suspended', suspendedReason: 'abuse' }), subscription('active'), context)).not.toHaveProperty('status');
    const billing = tenant({ status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON, metadata: { statusBeforeSuspension: 'active', keep: 1 } });
    expect(patchFromSubscription(billing, subscription('active'), context)).toMatchObject({ status: 'active', suspendedReason: null, suspendedAt: null, metadata: { keep: 1 } });
  });
});
