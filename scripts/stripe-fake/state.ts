/**
 * The fake's memory: every Stripe object it has created, and what happens to them. Each method
 * is one thing Stripe does (create a customer, complete a checkout, change a plan, bill a
 * period), kept apart from HTTP so the API routes and the control routes share one behaviour.
 * Objects are stored as the API returns them and handed out as copies, so a caller (or an event
 * payload) never sees a later change.
 */
import { invalidParam, missingParam, noSuchObject, StripeApiError } from './errors';
import { mergeMetadata, readBoolean, readInteger, readList, readObject, readString, isParams, type Params } from './form';
import {
  addInterval,
  DEFAULT_PRICES,
  newId,
  planFromPrice,
  priceFromSeed,
  unixNow,
  type BillingPortalSession,
  type CheckoutPlan,
  type CheckoutSession,
  type Customer,
  type Invoice,
  type ListOf,
  type Metadata,
  type Price,
  type PriceSeed,
  type StripeEvent,
  type Subscription,
  type SubscriptionStatus,
} from './objects';

/** One API call as the fake received it. The API key itself is never kept. */
export interface RecordedRequest {
  id: string;
  method: string;
  path: string;
  query: Params;
  body: Params;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  /** Whether an Authorization header came, and the key's mode prefix (`sk_test`), never the key. */
  auth: { present: boolean; keyPrefix: string | null };
  /** The status the fake answered with (an injected failure shows here). */
  status: number;
  /** The id and customer of the object answered with, if any (so `POST /v1/customers` shows under its customer). */
  result: { object: string; id: string; customer: string | null } | null;
  /** ISO time the request arrived. */
  time: string;
}

/** A planned failure: the next `remaining` API calls matching method and path prefix get `status`. */
export interface FailureRule {
  method: string | null;
  pathPrefix: string;
  status: number;
  remaining: number;
  message: string | null;
}

/**
 * A planned stall: the next API call matching method and path prefix is answered with what the
 * fake computed when it arrived, but only once released — a slow network between Stripe and the
 * Worker, for tests that need two handlers to interleave in a given order.
 */
export class HeldRequest {
  readonly id = newId('hold_', 14);
  taken = false;
  private arrive!: () => void;
  private release!: () => void;
  /** Resolves when the matching request has arrived and its answer is computed (not sent). */
  readonly arrived = new Promise<void>((resolve) => (this.arrive = resolve));
  /** Resolves when the answer may go. */
  readonly released = new Promise<void>((resolve) => (this.release = resolve));
  constructor(
    readonly method: string | null,
    readonly pathPrefix: string,
  ) {}
  markArrived(): void {
    this.arrive();
  }
  letGo(): void {
    this.release();
  }
}

interface StoredIdempotentResponse {
  bodyFingerprint: string;
  status: number;
  body: unknown;
}

/** `payment_behavior` on a subscription update. */
const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'];
/** What a pending update (`payment_behavior=pending_if_incomplete`) may carry, as Stripe documents it. */
const PENDING_UPDATE_PARAMS = ['expand', 'payment_behavior', 'proration_behavior', 'proration_date', 'billing_cycle_anchor', 'items', 'trial_end', 'trial_from_plan', 'add_invoice_items'];

/** Trial length when a checkout is completed as `trialing` without `subscription_data[trial_period_days]`. */
const DEFAULT_TRIAL_DAYS = 14;

export interface SubscriptionPatch {
  status?: SubscriptionStatus;
  cancel_at_period_end?: boolean;
  current_period_start?: number;
  current_period_end?: number;
  price?: string;
  metadata?: Metadata;
}

export class StripeFakeState {
  readonly prices = new Map<string, Price>();
  readonly customers = new Map<string, Customer>();
  readonly checkoutSessions = new Map<string, CheckoutSession>();
  readonly checkoutPlans = new Map<string, CheckoutPlan>();
  readonly portalSessions = new Map<string, BillingPortalSession>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly invoices = new Map<string, Invoice>();
  readonly events: StripeEvent[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly failures: FailureRule[] = [];
  readonly holds = new Map<string, HeldRequest>();
  /**
   * Milliseconds the hosted pages (Pay, the portal's pay) wait before delivering their webhook
   * events, redirecting at once: how Stripe behaves when its webhook lags the browser. 0: deliver
   * before the redirect.
   */
  hostedPageWebhookDelayMs = 0;
  private readonly idempotency = new Map<string, StoredIdempotentResponse>();
  private invoiceCounter = 0;

  constructor(prices: PriceSeed[] = DEFAULT_PRICES) {
    for (const seed of prices) this.prices.set(seed.id, priceFromSeed(seed));
  }

  // ---- prices and customers ----

  getPrice(id: string, param?: string): Price {
    const price = this.prices.get(id);
    if (!price) throw noSuchObject('price', id, param);
    return price;
  }

  createCustomer(params: Params): Customer {
    const customer: Customer = {
      id: newId('cus_', 14),
      object: 'customer',
      balance: 0,
      created: unixNow(),
      currency: null,
      delinquent: false,
      description: readString(params, 'description') ?? null,
      email: readString(params, 'email') ?? null,
      invoice_prefix: newId('', 8).toUpperCase(),
      livemode: false,
      metadata: mergeMetadata({}, readObject(params, 'metadata')),
      name: readString(params, 'name') ?? null,
      phone: readString(params, 'phone') ?? null,
      preferred_locales: [],
    };
    this.customers.set(customer.id, customer);
    return customer;
  }

  getCustomer(id: string, param?: string): Customer {
    const customer = this.customers.get(id);
    if (!customer) throw noSuchObject('customer', id, param);
    return customer;
  }

  updateCustomer(id: string, params: Params): Customer {
    const customer = this.getCustomer(id);
    for (const field of ['email', 'name', 'description', 'phone'] as const) {
      const value = readString(params, field);
      if (value !== undefined) customer[field] = value === '' ? null : value;
    }
    customer.metadata = mergeMetadata(customer.metadata, readObject(params, 'metadata'));
    return customer;
  }

  // ---- checkout and the billing portal ----

  createCheckoutSession(params: Params, fakeUrl: string): CheckoutSession {
    const mode = readString(params, 'mode');
    if (!mode) throw missingParam('mode');
    if (mode !== 'subscription') throw invalidParam('mode', `This Stripe fake only implements mode=subscription checkout sessions, not '${mode}'.`);
    const successUrl = readString(params, 'success_url');
    if (!successUrl) throw missingParam('success_url');

    const lineItems = readList(params, 'line_items');
    if (lineItems.length === 0) throw missingParam('line_items');
    if (lineItems.length > 1) throw invalidParam('line_items', 'This Stripe fake supports one line item per subscription checkout.');
    const first = lineItems[0];
    if (!isParams(first)) throw invalidParam('line_items[0]', 'Invalid line_items[0]: must be an object.');
    const priceId = readString(first, 'price');
    if (!priceId) throw missingParam('line_items[0][price]');
    const price = this.getPrice(priceId, 'line_items[0][price]');
    const quantity = readInteger(first, 'quantity') ?? 1;
    if (quantity < 1) throw invalidParam('line_items[0][quantity]', 'Quantity must be at least 1.');

    const customerId = readString(params, 'customer');
    if (customerId) this.getCustomer(customerId, 'customer');
    const subscriptionData = readObject(params, 'subscription_data') ?? {};

    const created = unixNow();
    // Stripe: a session expires between 30 minutes and 24 hours after it is created (default 24 h).
    const expiresAt = readInteger(params, 'expires_at') ?? created + 24 * 3600;
    if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
      throw invalidParam('expires_at', 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.');
    }
    const id = newId('cs_test_', 58);
    const session: CheckoutSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: price.unit_amount * quantity,
      amount_total: price.unit_amount * quantity,
      cancel_url: readString(params, 'cancel_url') ?? null,
      client_reference_id: readString(params, 'client_reference_id') ?? null,
      created,
      currency: price.currency,
      customer: customerId ?? null,
      customer_email: readString(params, 'customer_email') ?? null,
      expires_at: expiresAt,
      invoice: null,
      livemode: false,
      metadata: mergeMetadata({}, readObject(params, 'metadata')),
      mode: 'subscription',
      payment_status: 'unpaid',
      status: 'open',
      subscription: null,
      success_url: successUrl,
      ui_mode: 'hosted',
      url: `${fakeUrl}/checkout/${id}`,
    };
    this.checkoutSessions.set(id, session);
    this.checkoutPlans.set(id, {
      priceId,
      quantity,
      subscriptionMetadata: mergeMetadata({}, readObject(subscriptionData, 'metadata')),
      trialPeriodDays: readInteger(subscriptionData, 'trial_period_days') ?? null,
    });
    return session;
  }

  getCheckoutSession(id: string): CheckoutSession {
    const session = this.checkoutSessions.get(id);
    if (!session) throw noSuchObject('checkout.session', id);
    return this.expireIfDue(session);
  }

  /** An open session past its `expires_at` is expired, as Stripe expires it (here: when next looked at). */
  expireIfDue(session: CheckoutSession): CheckoutSession {
    if (session.status === 'open' && session.expires_at <= unixNow()) this.markExpired(session);
    return session;
  }

  private markExpired(session: CheckoutSession): void {
    session.status = 'expired';
    session.url = null; // Stripe clears the URL of a session that can no longer be paid
  }

  /** `GET /v1/checkout/sessions?customer=&status=&limit=`, newest first. */
  listCheckoutSessions(params: Params): ListOf<CheckoutSession> {
    const customer = readString(params, 'customer');
    const status = readString(params, 'status');
    const limit = readInteger(params, 'limit') ?? 10;
    const data = [...this.checkoutSessions.values()]
      .map((session) => this.expireIfDue(session))
      .filter((session) => !customer || session.customer === customer)
      .filter((session) => !status || session.status === status)
      .sort((a, b) => b.created - a.created);
    return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: '/v1/checkout/sessions' };
  }

  /** `POST /v1/checkout/sessions/:id/expire`: only an open session can be expired, as at Stripe. */
  expireCheckoutSession(id: string): CheckoutSession {
    const session = this.getCheckoutSession(id);
    if (session.status !== 'open') {
      throw new StripeApiError(400, 'invalid_request_error', `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`);
    }
    this.markExpired(session);
    return session;
  }

  createPortalSession(params: Params, fakeUrl: string): BillingPortalSession {
    const customerId = readString(params, 'customer');
    if (!customerId) throw missingParam('customer');
    this.getCustomer(customerId, 'customer');
    const id = newId('bps_');
    const session: BillingPortalSession = {
      id,
      object: 'billing_portal.session',
      configuration: 'bpc_fake_default',
      created: unixNow(),
      customer: customerId,
      flow: null,
      livemode: false,
      locale: null,
      on_behalf_of: null,
      return_url: readString(params, 'return_url') ?? null,
      url: `${fakeUrl}/billing_portal/${id}`,
    };
    this.portalSessions.set(id, session);
    return session;
  }

  /**
   * What Stripe does when the customer pays a subscription checkout: the customer (created if the
   * session had none), the subscription with the session's price and `subscription_data.metadata`
   * and a period of one price interval from now, its first invoice paid, and the session complete.
   */
  completeCheckout(sessionId: string, options: { status?: 'active' | 'trialing' } = {}): { session: CheckoutSession; subscription: Subscription; invoice: Invoice } {
    const session = this.getCheckoutSession(sessionId);
    if (session.status !== 'open') throw new StripeApiError(400, 'invalid_request_error', `Checkout session ${sessionId} is ${session.status}, not open.`, 'checkout_session_not_open');
    const plan = this.checkoutPlans.get(sessionId);
    if (!plan) throw new StripeApiError(500, 'api_error', `Checkout session ${sessionId} has no line items recorded.`);
    const price = this.getPrice(plan.priceId);

    let customerId = typeof session.customer === 'string' ? session.customer : session.customer?.id;
    if (!customerId) customerId = this.createCustomer(session.customer_email ? { email: session.customer_email } : {}).id;

    const now = unixNow();
    const trialing = (options.status ?? (plan.trialPeriodDays ? 'trialing' : 'active')) === 'trialing';
    const periodEnd = trialing ? now + (plan.trialPeriodDays ?? DEFAULT_TRIAL_DAYS) * 86_400 : addInterval(now, price.recurring.interval);
    const subscription = this.newSubscription({ customerId, price, quantity: plan.quantity, metadata: plan.subscriptionMetadata, start: now, end: periodEnd, status: trialing ? 'trialing' : 'active' });
    if (trialing) {
      subscription.trial_start = now;
      subscription.trial_end = periodEnd;
    }
    // A trial's first invoice is for 0 and paid at once, as Stripe does.
    const invoice = this.newInvoice(subscription, { paid: true, amount: trialing ? 0 : price.unit_amount * plan.quantity, reason: 'subscription_create' });
    subscription.latest_invoice = invoice.id;

    session.customer = customerId;
    session.status = 'complete';
    session.payment_status = trialing ? 'no_payment_required' : 'paid';
    session.subscription = subscription.id;
    session.invoice = invoice.id;
    session.url = null; // Stripe clears the URL once a session is complete
    return { session, subscription, invoice };
  }

  // ---- subscriptions ----

  private newSubscription(input: { customerId: string; price: Price; quantity: number; metadata: Metadata; start: number; end: number; status: SubscriptionStatus }): Subscription {
    const id = newId('sub_');
    const subscription: Subscription = {
      id,
      object: 'subscription',
      billing_cycle_anchor: input.start,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'charge_automatically',
      created: input.start,
      currency: input.price.currency,
      customer: input.customerId,
      current_period_end: input.end,
      current_period_start: input.start,
      default_payment_method: null,
      description: null,
      discounts: [],
      ended_at: null,
      items: {
        object: 'list',
        data: [
          {
            id: newId('si_', 14),
            object: 'subscription_item',
            created: input.start,
            current_period_end: input.end,
            current_period_start: input.start,
            discounts: [],
            metadata: {},
            plan: planFromPrice(input.price),
            price: structuredClone(input.price),
            quantity: input.quantity,
            subscription: id,
            tax_rates: [],
          },
        ],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      latest_invoice: null,
      livemode: false,
      metadata: { ...input.metadata },
      pause_collection: null,
      pending_update: null,
      schedule: null,
      start_date: input.start,
      status: input.status,
      test_clock: null,
      trial_end: null,
      trial_start: null,
    };
    this.subscriptions.set(id, subscription);
    return subscription;
  }

  getSubscription(id: string): Subscription {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw noSuchObject('subscription', id);
    return subscription;
  }

  /** `GET /v1/subscriptions`: like Stripe, canceled ones are left out unless `status=canceled` or `all`. */
  listSubscriptions(params: Params): ListOf<Subscription> {
    const customer = readString(params, 'customer');
    const status = readString(params, 'status');
    const price = readString(params, 'price');
    const limit = readInteger(params, 'limit') ?? 10;
    const data = [...this.subscriptions.values()]
      .filter((s) => !customer || s.customer === customer)
      .filter((s) => (status === 'all' ? true : status ? s.status === status : s.status !== 'canceled' && s.status !== 'incomplete_expired'))
      .filter((s) => !price || s.items.data[0]?.price.id === price)
      .sort((a, b) => b.created - a.created);
    return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: '/v1/subscriptions' };
  }

  /**
   * `POST /v1/subscriptions/:id`: a plan change (`items[0][id]` + `items[0][price]`), scheduling or
   * undoing cancellation at period end, metadata. Returns what changed, as an event's
   * `previous_attributes`.
   */
  updateSubscription(id: string, params: Params): { subscription: Subscription; previous: Record<string, unknown> } {
    const subscription = this.getSubscription(id);
    const before = structuredClone(subscription);
    const previous: Record<string, unknown> = {};
    const items = readList(params, 'items');
    const cancelAtPeriodEnd = readBoolean(params, 'cancel_at_period_end');
    const prorationBehavior = readString(params, 'proration_behavior');
    if (prorationBehavior && !['create_prorations', 'none', 'always_invoice'].includes(prorationBehavior)) {
      throw invalidParam('proration_behavior', `Invalid proration_behavior: must be one of create_prorations, none, or always_invoice`);
    }
    const paymentBehavior = readString(params, 'payment_behavior');
    if (paymentBehavior && !PAYMENT_BEHAVIORS.includes(paymentBehavior)) {
      throw invalidParam('payment_behavior', `Invalid payment_behavior: must be one of ${PAYMENT_BEHAVIORS.join(', ')}`);
    }
    if (paymentBehavior === 'pending_if_incomplete') {
      // Stripe: a pending update takes only the parameters that prorate or invoice.
      const unsupported = Object.keys(params).find((key) => !PENDING_UPDATE_PARAMS.includes(key));
      if (unsupported) throw invalidParam(unsupported, `Received unsupported parameter ${unsupported} with payment_behavior=pending_if_incomplete. Pending updates support only: ${PENDING_UPDATE_PARAMS.join(', ')}.`);
    }
    if (subscription.status === 'canceled' && (items.length > 0 || cancelAtPeriodEnd !== undefined)) {
      throw new StripeApiError(400, 'invalid_request_error', 'A canceled subscription can only update its cancellation_details and metadata.');
    }

    items.forEach((item, index) => {
      if (!isParams(item)) throw invalidParam(`items[${index}]`, `Invalid items[${index}]: must be an object.`);
      const itemId = readString(item, 'id');
      const target = itemId ? subscription.items.data.find((i) => i.id === itemId) : undefined;
      if (itemId && !target) throw noSuchObject('subscription_item', itemId, `items[${index}][id]`);
      if (!target) throw invalidParam(`items[${index}][id]`, 'This Stripe fake supports changing the existing item only: pass items[0][id].');
      const priceId = readString(item, 'price');
      if (priceId && priceId !== target.price.id) {
        const price = this.getPrice(priceId, `items[${index}][price]`);
        const intervalChanged = price.recurring.interval !== target.price.recurring.interval;
        target.price = structuredClone(price);
        target.plan = planFromPrice(price);
        previous.items = before.items;
        previous.plan = before.items.data[0]?.plan;
        // Stripe starts a new billing period when the interval changes (monthly → yearly).
        if (intervalChanged) {
          const now = unixNow();
          this.setPeriod(subscription, now, addInterval(now, price.recurring.interval));
          previous.current_period_start = before.current_period_start;
          previous.current_period_end = before.current_period_end;
          subscription.billing_cycle_anchor = now;
        }
      }
      const quantity = readInteger(item, 'quantity');
      if (quantity !== undefined) {
        target.quantity = quantity;
        previous.items = before.items;
      }
    });

    if (cancelAtPeriodEnd !== undefined && cancelAtPeriodEnd !== subscription.cancel_at_period_end) {
      previous.cancel_at_period_end = before.cancel_at_period_end;
      previous.cancel_at = before.cancel_at;
      previous.canceled_at = before.canceled_at;
      subscription.cancel_at_period_end = cancelAtPeriodEnd;
      subscription.cancel_at = cancelAtPeriodEnd ? subscription.current_period_end : null;
      subscription.canceled_at = cancelAtPeriodEnd ? unixNow() : null;
    }

    const metadata = readObject(params, 'metadata');
    if (metadata) {
      const next = mergeMetadata(subscription.metadata, metadata);
      if (JSON.stringify(next) !== JSON.stringify(subscription.metadata)) previous.metadata = before.metadata;
      subscription.metadata = next;
    }
    return { subscription, previous };
  }

  /** `DELETE /v1/subscriptions/:id`: cancel now. */
  cancelSubscription(id: string): { subscription: Subscription; previous: Record<string, unknown> } {
    const subscription = this.getSubscription(id);
    if (subscription.status === 'canceled') {
      throw new StripeApiError(400, 'invalid_request_error', `No such subscription: '${id}' (it is already canceled)`, 'resource_missing', 'id');
    }
    const previous = { status: subscription.status, canceled_at: subscription.canceled_at, ended_at: subscription.ended_at };
    const now = unixNow();
    subscription.status = 'canceled';
    subscription.canceled_at = now;
    subscription.ended_at = now;
    subscription.cancellation_details = { comment: null, feedback: null, reason: 'cancellation_requested' };
    return { subscription, previous };
  }

  /** The control API's direct edit: any state a test needs (past_due, unpaid, a renewed period, …). */
  patchSubscription(id: string, patch: SubscriptionPatch): { subscription: Subscription; previous: Record<string, unknown> } {
    const subscription = this.getSubscription(id);
    const before = structuredClone(subscription);
    const previous: Record<string, unknown> = {};
    if (patch.price !== undefined) {
      const price = this.getPrice(patch.price, 'price');
      const item = subscription.items.data[0];
      if (item) {
        item.price = structuredClone(price);
        item.plan = planFromPrice(price);
      }
      previous.items = before.items;
    }
    if (patch.current_period_start !== undefined || patch.current_period_end !== undefined) {
      this.setPeriod(subscription, patch.current_period_start ?? subscription.current_period_start, patch.current_period_end ?? subscription.current_period_end);
      previous.current_period_start = before.current_period_start;
      previous.current_period_end = before.current_period_end;
      if (subscription.cancel_at_period_end) subscription.cancel_at = subscription.current_period_end;
    }
    if (patch.cancel_at_period_end !== undefined) {
      subscription.cancel_at_period_end = patch.cancel_at_period_end;
      subscription.cancel_at = patch.cancel_at_period_end ? subscription.current_period_end : null;
      previous.cancel_at_period_end = before.cancel_at_period_end;
    }
    if (patch.metadata !== undefined) {
      subscription.metadata = { ...patch.metadata };
      previous.metadata = before.metadata;
    }
    if (patch.status !== undefined && patch.status !== subscription.status) {
      previous.status = before.status;
      subscription.status = patch.status;
      if (patch.status === 'canceled') {
        const now = unixNow();
        subscription.canceled_at ??= now;
        subscription.ended_at = now;
      } else {
        subscription.ended_at = null;
      }
    }
    return { subscription, previous };
  }

  private setPeriod(subscription: Subscription, start: number, end: number): void {
    subscription.current_period_start = start;
    subscription.current_period_end = end;
    for (const item of subscription.items.data) {
      item.current_period_start = start;
      item.current_period_end = end;
    }
  }

  // ---- invoices ----

  private newInvoice(subscription: Subscription, input: { paid: boolean; amount: number; reason: Invoice['billing_reason'] }): Invoice {
    const item = subscription.items.data[0];
    const now = unixNow();
    const customerId = typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
    const customer = this.customers.get(customerId);
    this.invoiceCounter += 1;
    const id = newId('in_');
    const invoice: Invoice = {
      id,
      object: 'invoice',
      amount_due: input.amount,
      amount_paid: input.paid ? input.amount : 0,
      amount_remaining: input.paid ? 0 : input.amount,
      attempt_count: 1,
      attempted: true,
      billing_reason: input.reason,
      collection_method: 'charge_automatically',
      created: now,
      currency: subscription.currency,
      customer: customerId,
      hosted_invoice_url: null,
      lines: {
        object: 'list',
        data: item
          ? [
              {
                id: newId('il_'),
                object: 'line_item',
                amount: input.amount,
                currency: subscription.currency,
                description: `${item.quantity} × ${item.price.nickname ?? item.price.id}`,
                period: { start: subscription.current_period_start, end: subscription.current_period_end },
                pricing: { type: 'price_details', price_details: { price: item.price.id, product: item.price.product }, unit_amount_decimal: item.price.unit_amount_decimal },
                quantity: item.quantity,
              },
            ]
          : [],
        has_more: false,
        total_count: item ? 1 : 0,
        url: `/v1/invoices/${id}/lines`,
      },
      livemode: false,
      metadata: {},
      next_payment_attempt: input.paid ? null : now + 3 * 86_400,
      number: `${customer?.invoice_prefix ?? 'FAKE'}-${String(this.invoiceCounter).padStart(4, '0')}`,
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: { ...subscription.metadata }, subscription: subscription.id } },
      period_end: subscription.current_period_end,
      period_start: subscription.current_period_start,
      status: input.paid ? 'paid' : 'open',
      status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: input.paid ? now : null, voided_at: null },
      subtotal: input.amount,
      total: input.amount,
    };
    this.invoices.set(id, invoice);
    return invoice;
  }

  /**
   * A billing attempt on a subscription (the control API's way to simulate renewals and failed
   * payments): paid → the subscription is active, failed → past_due, as Stripe's default retry
   * settings leave it. With `renew`, the period first moves on by one interval.
   */
  billSubscription(id: string, options: { paid: boolean; renew?: boolean }): { invoice: Invoice; subscription: Subscription; previous: Record<string, unknown> } {
    const subscription = this.getSubscription(id);
    const before = structuredClone(subscription);
    const previous: Record<string, unknown> = {};
    const item = subscription.items.data[0];
    if (!item) throw new StripeApiError(400, 'invalid_request_error', `Subscription ${id} has no items.`);
    if (options.renew) {
      const start = subscription.current_period_end;
      this.setPeriod(subscription, start, addInterval(start, item.price.recurring.interval));
      previous.current_period_start = before.current_period_start;
      previous.current_period_end = before.current_period_end;
    }
    const invoice = this.newInvoice(subscription, { paid: options.paid, amount: item.price.unit_amount * item.quantity, reason: options.renew ? 'subscription_cycle' : 'manual' });
    subscription.latest_invoice = invoice.id;
    previous.latest_invoice = before.latest_invoice;
    const status: SubscriptionStatus = options.paid ? 'active' : 'past_due';
    if (status !== subscription.status) {
      previous.status = before.status;
      subscription.status = status;
    }
    return { invoice, subscription, previous };
  }

  getInvoice(id: string): Invoice {
    const invoice = this.invoices.get(id);
    if (!invoice) throw noSuchObject('invoice', id);
    return invoice;
  }

  listInvoices(params: Params): ListOf<Invoice> {
    const customer = readString(params, 'customer');
    const subscription = readString(params, 'subscription');
    const status = readString(params, 'status');
    const limit = readInteger(params, 'limit') ?? 10;
    const data = [...this.invoices.values()]
      .filter((i) => !customer || i.customer === customer)
      .filter((i) => !subscription || i.parent.subscription_details.subscription === subscription)
      .filter((i) => !status || i.status === status)
      .sort((a, b) => b.created - a.created);
    return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: '/v1/invoices' };
  }

  // ---- lookups for expand[] ----

  /** Any stored object by id, for `expand[]`; the prefix says which kind. */
  findById(id: string): object | undefined {
    if (id.startsWith('cus_')) return this.customers.get(id);
    if (id.startsWith('sub_')) return this.subscriptions.get(id);
    if (id.startsWith('in_')) return this.invoices.get(id);
    if (id.startsWith('cs_')) return this.checkoutSessions.get(id);
    if (id.startsWith('price_')) return this.prices.get(id);
    return undefined;
  }

  // ---- request log, idempotency, planned failures ----

  /** Requests touching a customer: naming it in the body or query, or in the path, or in the path of one of its subscriptions or sessions. */
  requestsFor(filter: { customer?: string; method?: string; path?: string }): RecordedRequest[] {
    let related: string[] = [];
    if (filter.customer) {
      const c = filter.customer;
      related = [
        c,
        ...[...this.subscriptions.values()].filter((s) => s.customer === c).map((s) => s.id),
        ...[...this.checkoutSessions.values()].filter((s) => s.customer === c).map((s) => s.id),
        ...[...this.invoices.values()].filter((i) => i.customer === c).map((i) => i.id),
      ];
    }
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (filter.path && !r.path.startsWith(filter.path)) return false;
      if (filter.customer) {
        const named = r.body.customer === filter.customer || r.query.customer === filter.customer || r.result?.id === filter.customer || r.result?.customer === filter.customer;
        if (!named && !related.some((id) => r.path.includes(id))) return false;
      }
      return true;
    });
  }

  /** Takes one use of the first planned failure that matches, if any. */
  takeFailure(method: string, path: string): FailureRule | undefined {
    const rule = this.failures.find((f) => f.remaining > 0 && (!f.method || f.method === method) && path.startsWith(f.pathPrefix));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.failures.splice(this.failures.indexOf(rule), 1);
    return rule;
  }

  /** The first untaken hold matching this call, taken for it. */
  takeHold(method: string, path: string): HeldRequest | undefined {
    const hold = [...this.holds.values()].find((h) => !h.taken && (!h.method || h.method === method) && path.startsWith(h.pathPrefix));
    if (hold) hold.taken = true;
    return hold;
  }

  /**
   * Stripe replays the saved response for a key reused on the same endpoint, and refuses the key
   * with different parameters. Only responses of requests that ran are saved: a failure injected
   * before the endpoint ran is not, so the SDK's retry with the same key goes through.
   */
  idempotentReplay(key: string, method: string, path: string, body: Params): StoredIdempotentResponse | undefined {
    const stored = this.idempotency.get(`${method} ${path} ${key}`);
    if (!stored) return undefined;
    if (stored.bodyFingerprint !== JSON.stringify(body)) {
      throw new StripeApiError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
    }
    return stored;
  }

  saveIdempotent(key: string, method: string, path: string, body: Params, status: number, response: unknown): void {
    this.idempotency.set(`${method} ${path} ${key}`, { bodyFingerprint: JSON.stringify(body), status, body: structuredClone(response) });
  }
}
