/**
 * The local Stripe fake (scripts/stripe-fake), driven the way the Worker drives Stripe: through
 * the real stripe SDK with its fetch client, from inside workerd. What the billing tests rely on
 * is checked here: Stripe-shaped objects and errors, state that follows the calls, signed events
 * the SDK verifies, the request records, idempotency and planned failures.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  completeCheckout,
  failNext,
  fakeEvents,
  fakeRequests,
  holdNext,
  invoice,
  setSubscription,
  signedEvent,
  stripeClient,
  stripeFake,
  TEST_STRIPE_SECRET_KEY,
  TEST_STRIPE_WEBHOOK_SECRET,
} from './support/stripe';

const stripe = stripeClient();
const cryptoProvider = Stripe.createSubtleCryptoProvider();
const DAY = 86_400;

function verify(event: { payload: string; signature: string }, secret = TEST_STRIPE_WEBHOOK_SECRET): Promise<Stripe.Event> {
  return stripe.webhooks.constructEventAsync(event.payload, event.signature, secret, undefined, cryptoProvider);
}

async function newCheckout(price = 'price_pro_monthly', tenantId = crypto_id()) {
  const customer = await stripe.customers.create({ email: `${tenantId}@example.test`, metadata: { tenant_id: tenantId } });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price, quantity: 1 }],
    client_reference_id: tenantId,
    metadata: { tenant_id: tenantId },
    subscription_data: { metadata: { tenant_id: tenantId } },
    success_url: 'http://acme.nchat.test/billing?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://acme.nchat.test/billing?canceled=1',
  });
  return { customer, session, tenantId };
}

function crypto_id(): string {
  return crypto.randomUUID();
}

describe('Stripe fake: checkout to subscription', () => {
  it('creates a customer and an open checkout session whose URL is on the fake', async () => {
    const { customer, session, tenantId } = await newCheckout();
    expect(customer.id).toMatch(/^cus_/);
    expect(customer.object).toBe('customer');
    expect(customer.livemode).toBe(false);
    expect(customer.metadata).toEqual({ tenant_id: tenantId });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', mode: 'subscription', customer: customer.id, client_reference_id: tenantId, metadata: { tenant_id: tenantId }, subscription: null, amount_total: 1500 });
    expect(session.url).toBe(`${stripeFake()}/checkout/${session.id}`);

    const again = await stripe.customers.retrieve(customer.id);
    expect(again.id).toBe(customer.id);
    const updated = await stripe.customers.update(customer.id, { name: 'Acme', metadata: { plan: 'pro' } });
    expect(updated).toMatchObject({ name: 'Acme', metadata: { tenant_id: tenantId, plan: 'pro' } });
  });

  it('completing a checkout creates the subscription with its price, metadata and a one-month period, and signed events', async () => {
    const { customer, session, tenantId } = await newCheckout();
    const done = await completeCheckout(session.url!);
    expect(done.session).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', subscription: done.subscription.id });

    const sub = await stripe.subscriptions.retrieve(done.subscription.id);
    expect(sub.id).toMatch(/^sub_/);
    expect(sub).toMatchObject({ object: 'subscription', status: 'active', customer: customer.id, cancel_at_period_end: false, metadata: { tenant_id: tenantId }, latest_invoice: done.invoice.id });
    const item = sub.items.data[0]!;
    expect(item.id).toMatch(/^si_/);
    expect(item.price).toMatchObject({ id: 'price_pro_monthly', object: 'price', unit_amount: 1500, recurring: { interval: 'month' }, lookup_key: 'pro_monthly' });
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs(item.current_period_start - now)).toBeLessThan(60);
    const length = item.current_period_end - item.current_period_start;
    expect(length).toBeGreaterThanOrEqual(28 * DAY);
    expect(length).toBeLessThanOrEqual(31 * DAY);
    // Older readers find the same period at the top level.
    const legacy = sub as unknown as { current_period_start: number; current_period_end: number };
    expect([legacy.current_period_start, legacy.current_period_end]).toEqual([item.current_period_start, item.current_period_end]);

    const inv = await stripe.invoices.retrieve(done.invoice.id);
    expect(inv).toMatchObject({ status: 'paid', amount_paid: 1500, customer: customer.id });
    expect(inv.parent?.subscription_details?.subscription).toBe(sub.id);
    expect(inv.status_transitions.paid_at).toBeGreaterThan(0);

    expect(done.events.map((e) => e.type)).toEqual(['checkout.session.completed', 'customer.subscription.created', 'invoice.paid']);
    const verified = await Promise.all(done.events.map((e) => verify(e)));
    expect(verified.map((e) => e.id)).toEqual(done.events.map((e) => e.id));
    expect(verified[0]!.id).toMatch(/^evt_/);
    expect(verified[0]!.api_version).toBe(Stripe.API_VERSION);
    expect((verified[0]!.data.object as Stripe.Checkout.Session).client_reference_id).toBe(tenantId);
    expect((verified[1]!.data.object as Stripe.Subscription).metadata).toEqual({ tenant_id: tenantId });
    // A signature covers the exact bytes: a changed payload is refused.
    await expect(verify({ payload: done.events[0]!.payload.replace(tenantId, 'other'), signature: done.events[0]!.signature })).rejects.toThrow(/signature/i);

    // A session can be completed once.
    await expect(completeCheckout(session.id)).rejects.toThrow(/400/);
  });

  it('takes expires_at between 30 minutes and 24 hours ahead, lists sessions by customer and status, and expires open ones only', async () => {
    const { customer, session } = await newCheckout();
    expect(session.expires_at - session.created).toBe(24 * 3600); // Stripe's default
    const base = { mode: 'subscription' as const, customer: customer.id, line_items: [{ price: 'price_pro_monthly', quantity: 1 }], success_url: 'http://acme.nchat.test/billing' };
    const now = Math.floor(Date.now() / 1000);
    await expect(stripe.checkout.sessions.create({ ...base, expires_at: now + 29 * 60 })).rejects.toMatchObject({ statusCode: 400, param: 'expires_at' });
    await expect(stripe.checkout.sessions.create({ ...base, expires_at: now + 25 * 3600 })).rejects.toMatchObject({ statusCode: 400, param: 'expires_at' });
    const short = await stripe.checkout.sessions.create({ ...base, expires_at: now + 31 * 60 });
    expect(short).toMatchObject({ status: 'open', expires_at: now + 31 * 60 });

    const open = await stripe.checkout.sessions.list({ customer: customer.id, status: 'open' });
    expect(new Set(open.data.map((s) => s.id))).toEqual(new Set([short.id, session.id]));

    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ id: session.id, status: 'expired', url: null });
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    await expect(completeCheckout(session.id)).rejects.toThrow(/expired, not open/);
    expect((await stripe.checkout.sessions.list({ customer: customer.id, status: 'open' })).data.map((s) => s.id)).toEqual([short.id]);
    expect((await stripe.checkout.sessions.list({ customer: customer.id, status: 'expired' })).data.map((s) => s.id)).toEqual([session.id]);
    expect(await fakeEvents({ type: 'checkout.session.expired', object: session.id })).toHaveLength(1);
  });

  it('retrieves a session with expand[]=subscription', async () => {
    const { session } = await newCheckout('price_enterprise_yearly');
    const done = await completeCheckout(session.id);
    const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    const sub = expanded.subscription as Stripe.Subscription;
    expect(typeof sub).toBe('object');
    expect(sub.id).toBe(done.subscription.id);
    const item = sub.items.data[0]!;
    expect(item.price).toMatchObject({ id: 'price_enterprise_yearly', unit_amount: 99000, recurring: { interval: 'year' } });
    const days = (item.current_period_end - item.current_period_start) / DAY;
    expect([365, 366]).toContain(days);
    const plain = await stripe.checkout.sessions.retrieve(session.id);
    expect(plain.subscription).toBe(done.subscription.id);
  });

  it('a trialing completion starts a trial and a zero invoice', async () => {
    const { session } = await newCheckout();
    const done = await completeCheckout(session.id, { status: 'trialing' });
    expect(done.subscription.status).toBe('trialing');
    expect(done.subscription.trial_end).toBe(done.subscription.items.data[0]!.current_period_end);
    expect(done.invoice.amount_paid).toBe(0);
  });

  it('serves the seeded prices and a billing portal session', async () => {
    const price = await stripe.prices.retrieve('price_pro_yearly');
    expect(price).toMatchObject({ object: 'price', unit_amount: 15000, recurring: { interval: 'year' }, lookup_key: 'pro_yearly', livemode: false });
    const { customer } = await newCheckout();
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://acme.nchat.test/settings' });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'http://acme.nchat.test/settings' });
    expect(portal.url.startsWith(`${stripeFake()}/billing_portal/`)).toBe(true);
    const page = await fetch(portal.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('http://acme.nchat.test/settings');
    expect(html).not.toContain('Pay the open invoice');
  });

  it("the portal pays an overdue subscription's invoice, announces it and returns", async () => {
    const { customer, session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    expect((await invoice(subscription.id, false)).subscription.status).toBe('past_due');
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://acme.nchat.test/billing' });
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain(`action="/billing_portal/${portal.id}/pay"`);

    const paid = await fetch(`${portal.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe('http://acme.nchat.test/billing');
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    const events = await fakeEvents({ object: subscription.id });
    expect(events.map((e) => e.type).slice(-1)).toEqual(['customer.subscription.updated']);
    const invoices = await stripe.invoices.list({ subscription: subscription.id });
    expect(invoices.data[0]).toMatchObject({ status: 'paid' });
    // Nothing overdue any more: paying again bills nothing.
    expect((await fetch(`${portal.url}/pay`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
    expect((await stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(invoices.data.length);
  });
});

describe('Stripe fake: subscription changes', () => {
  it('changes plan and schedules cancellation, and records exactly what the SDK sent', async () => {
    const { customer, session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    const itemId = subscription.items.data[0]!.id;

    const changed = await stripe.subscriptions.update(subscription.id, { items: [{ id: itemId, price: 'price_enterprise_monthly' }], proration_behavior: 'create_prorations' });
    expect(changed.items.data[0]!.price.id).toBe('price_enterprise_monthly');
    expect(changed.items.data[0]!.id).toBe(itemId);
    const scheduled = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(scheduled.cancel_at_period_end).toBe(true);
    expect(scheduled.cancel_at).toBe(scheduled.items.data[0]!.current_period_end);
    const resumed = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
    expect(resumed).toMatchObject({ cancel_at_period_end: false, cancel_at: null, status: 'active' });

    const updates = await fakeRequests({ customer: customer.id, method: 'POST', path: `/v1/subscriptions/${subscription.id}` });
    expect(updates.map((r) => r.body)).toEqual([
      { items: [{ id: itemId, price: 'price_enterprise_monthly' }], proration_behavior: 'create_prorations' },
      { cancel_at_period_end: 'true' },
      { cancel_at_period_end: 'false' },
    ]);
    for (const r of updates) {
      expect(r.idempotencyKey).toMatch(/\S/);
      expect(r.stripeVersion).toBe(Stripe.API_VERSION);
      expect(r.auth).toEqual({ present: true, keyPrefix: 'sk_test' });
      expect(r.status).toBe(200);
    }
    // Never the key itself.
    expect(JSON.stringify(await fakeRequests({ customer: customer.id }))).not.toContain(TEST_STRIPE_SECRET_KEY);

    // The changes were announced as Stripe would, with what changed.
    const events = await fakeEvents({ type: 'customer.subscription.updated', object: subscription.id });
    expect(events).toHaveLength(3);
    const first = await verify(events[0]!);
    expect((first.data.previous_attributes as { plan?: { id: string } }).plan?.id).toBe('price_pro_monthly');
  });

  it('takes a plan change as a pending update (always_invoice, pending_if_incomplete), and refuses what a pending update cannot carry', async () => {
    const { customer, session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    const itemId = subscription.items.data[0]!.id;
    const changed = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: 'price_enterprise_monthly' }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    });
    expect(changed.items.data[0]!.price.id).toBe('price_enterprise_monthly');
    await expect(stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true, payment_behavior: 'pending_if_incomplete' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      param: 'cancel_at_period_end',
    });
    await expect(stripe.subscriptions.update(subscription.id, { payment_behavior: 'whenever' as 'pending_if_incomplete' })).rejects.toMatchObject({ statusCode: 400, param: 'payment_behavior' });
    const [update] = await fakeRequests({ customer: customer.id, method: 'POST', path: `/v1/subscriptions/${subscription.id}` });
    expect(update!.body).toEqual({ items: [{ id: itemId, price: 'price_enterprise_monthly' }], proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete' });
    expect((await stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(false);
  });

  it('cancels now, and lists subscriptions by customer and status', async () => {
    const { customer, session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    const listed = await stripe.subscriptions.list({ customer: customer.id });
    expect(listed.data.map((s) => s.id)).toEqual([subscription.id]);

    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceled_at).toBeGreaterThan(0);
    expect(canceled.ended_at).toBeGreaterThan(0);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    // As Stripe: canceled ones only when asked for.
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toEqual([]);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.map((s) => s.id)).toEqual([subscription.id]);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(1);
    // A canceled subscription cannot change plan.
    await expect(stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    const deleted = await fakeEvents({ type: 'customer.subscription.deleted', object: subscription.id });
    expect(deleted).toHaveLength(1);
  });

  it('control API: failed payment → past_due, paid → active, direct edits', async () => {
    const { session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);

    const failed = await invoice(subscription.id, false);
    expect(failed.subscription.status).toBe('past_due');
    expect(failed.invoice).toMatchObject({ status: 'open', amount_paid: 0, amount_due: 1500, attempted: true });
    expect(failed.events.map((e) => e.type)).toEqual(['invoice.payment_failed', 'customer.subscription.updated']);
    expect((await stripe.subscriptions.retrieve(subscription.id)).latest_invoice).toBe(failed.invoice.id);

    const before = await stripe.subscriptions.retrieve(subscription.id);
    const paid = await invoice(subscription.id, true, { renew: true });
    expect(paid.subscription.status).toBe('active');
    expect(paid.invoice.status).toBe('paid');
    expect(paid.subscription.items.data[0]!.current_period_start).toBe(before.items.data[0]!.current_period_end);
    expect(paid.events.map((e) => e.type)).toEqual(['invoice.paid', 'customer.subscription.updated']);

    const end = Math.floor(Date.now() / 1000) + 3 * DAY;
    const edited = await setSubscription(subscription.id, { status: 'unpaid', current_period_end: end, price: 'price_pro_yearly' });
    expect(edited.status).toBe('unpaid');
    const read = await stripe.subscriptions.retrieve(subscription.id);
    expect(read.status).toBe('unpaid');
    expect(read.items.data[0]!.current_period_end).toBe(end);
    expect(read.items.data[0]!.price.id).toBe('price_pro_yearly');
  });
});

describe('Stripe fake: events for any object', () => {
  it('signs the current subscription, and refuses stale or forged ones on verification', async () => {
    const { session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    await setSubscription(subscription.id, { status: 'past_due' });

    const current = await signedEvent('customer.subscription.updated', undefined, { subscription: subscription.id });
    const event = await verify(current);
    expect(event.type).toBe('customer.subscription.updated');
    expect((event.data.object as Stripe.Subscription).status).toBe('past_due');

    const custom = await signedEvent('invoice.payment_failed', { id: 'in_custom', object: 'invoice' });
    expect(((await verify(custom)).data.object as { id: string }).id).toBe('in_custom');

    const stale = await signedEvent('customer.subscription.updated', undefined, { subscription: subscription.id, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    await expect(verify(stale)).rejects.toThrow(/tolerance/i);
    const forged = await signedEvent('customer.subscription.updated', undefined, { subscription: subscription.id, secret: 'whsec_someone_else' });
    await expect(verify(forged)).rejects.toThrow(/signature/i);
  });
});

describe('Stripe fake: errors, auth, idempotency, planned failures', () => {
  it('an unknown id is a Stripe-shaped 404 the SDK raises; an unknown price a 400 naming the param', async () => {
    const err = await stripe.subscriptions.retrieve('sub_doesnotexist').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such subscription: 'sub_doesnotexist'" });

    const res = await fetch(`${stripeFake()}/v1/customers/cus_nope`, { headers: { authorization: `Bearer ${TEST_STRIPE_SECRET_KEY}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: "No such customer: 'cus_nope'" }) });

    await expect(
      stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: 'price_nope', quantity: 1 }], success_url: 'http://x.test/' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'line_items[0][price]' });
  });

  it('a request without an API key is a 401, and is recorded without any key', async () => {
    const marker = `/v1/customers/cus_noauth${crypto_id().slice(0, 8)}`;
    const res = await fetch(`${stripeFake()}${marker}`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/API key/);
    const [record] = await fakeRequests({ path: marker });
    expect(record).toMatchObject({ status: 401, auth: { present: false, keyPrefix: null } });

    // A live key never reaches a local fake's state.
    const live = stripeClient({ apiKey: 'sk_live_should_not_be_here' });
    await expect(live.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('replays the response for a reused Idempotency-Key, and refuses it with other parameters', async () => {
    const key = `idem-${crypto_id()}`;
    const a = await stripe.customers.create({ email: 'idem@example.test' }, { idempotencyKey: key });
    const b = await stripe.customers.create({ email: 'idem@example.test' }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    // The same request on the wire, as the SDK sends it: the saved response, marked as a replay.
    const raw = await fetch(`${stripeFake()}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_STRIPE_SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
      body: 'email=idem%40example.test',
    });
    expect(raw.headers.get('idempotent-replayed')).toBe('true');
    expect(((await raw.json()) as { id: string }).id).toBe(a.id);
    const c = await stripe.customers.create({ email: 'idem@example.test' });
    expect(c.id).not.toBe(a.id);
    await expect(stripe.customers.create({ email: 'other@example.test' }, { idempotencyKey: key })).rejects.toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
  });

  it('fails the next matching calls as asked, then answers again; the SDK retries a 500 with the same key', async () => {
    const customer = await stripe.customers.create({});
    const path = `/v1/customers/${customer.id}`;
    await failNext({ method: 'POST', path, status: 500, count: 1 });
    await expect(stripe.customers.update(customer.id, { name: 'A' })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.customers.update(customer.id, { name: 'B' })).name).toBe('B');

    await failNext({ method: 'POST', path, status: 503, count: 1 });
    const retrying = stripeClient({ maxNetworkRetries: 1 });
    expect((await retrying.customers.update(customer.id, { name: 'C' })).name).toBe('C');
    const calls = (await fakeRequests({ path, method: 'POST' })).filter((r) => r.body.name === 'C');
    expect(calls.map((r) => r.status)).toEqual([503, 200]);
    expect(calls[1]!.idempotencyKey).toBe(calls[0]!.idempotencyKey);

    await failNext({ method: 'GET', path, status: 429, count: 2 });
    await expect(stripe.customers.retrieve(customer.id)).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await expect(stripe.customers.retrieve(customer.id)).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
  });

  it('holds a call: answered with the state as it was when the call arrived, sent when released', async () => {
    const { session } = await newCheckout();
    const { subscription } = await completeCheckout(session.id);
    const hold = await holdNext({ method: 'GET', path: `/v1/subscriptions/${subscription.id}` });
    const read = stripe.subscriptions.retrieve(subscription.id);
    await hold.arrived();
    await setSubscription(subscription.id, { status: 'canceled' });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled'); // only the first call is held
    await hold.release();
    expect((await read).status).toBe('active');
  });

  it('filters the records by customer', async () => {
    const one = await newCheckout();
    const two = await newCheckout();
    await completeCheckout(one.session.id);
    const records = await fakeRequests({ customer: one.customer.id });
    expect(records.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/customers', 'POST /v1/checkout/sessions']);
    expect(records.some((r) => JSON.stringify(r).includes(two.customer.id))).toBe(false);
  });
});

describe('Stripe fake: hosted checkout page', () => {
  it('shows a Pay button that completes the session and redirects to success_url with the session id', async () => {
    const { session } = await newCheckout();
    const page = await fetch(session.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Pay (test)');
    const paid = await fetch(`${stripeFake()}/checkout/${session.id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://acme.nchat.test/billing?session=${session.id}`);
    const after = await stripe.checkout.sessions.retrieve(session.id);
    expect(after.status).toBe('complete');
    expect(after.subscription).toMatch(/^sub_/);
  });
});
