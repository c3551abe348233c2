/**
 * Helpers for tests (in workerd) that need Stripe: the local fake's base URL, an SDK client
 * pointed at it, and its control API (scripts/stripe-fake: complete a checkout, change a
 * subscription, bill it, sign any event, plan failures, read the requests the Worker made), and
 * delivering a signed event to the Worker's webhook route as Stripe would.
 *
 * The fake is one server for the whole run, shared by test files running in parallel: read its
 * records filtered by your own customer (`fakeRequests({ customer })`) rather than clearing them.
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { inject } from 'vitest';
import type { FailRequest, HoldRequest, RecordedRequest, SignedEvent, SubscriptionPatchRequest } from '../../scripts/stripe-fake';
import { TEST_BASE_DOMAIN, TEST_STRIPE_SECRET_KEY, TEST_STRIPE_WEBHOOK_SECRET } from './constants';

export { TEST_STRIPE_SECRET_KEY, TEST_STRIPE_WEBHOOK_SECRET };
/** The platform host's webhook route, where Stripe posts events. */
export const WEBHOOK_URL = `https://${TEST_BASE_DOMAIN}/api/billing/webhook`;

/** The fake's base URL, e.g. `http://127.0.0.1:40123`. */
export function stripeFake(): string {
  return inject('stripeFakeUrl');
}

/** A stripe SDK client talking to the fake, as the Worker's would (no retries unless asked). */
export function stripeClient(options: { apiKey?: string; maxNetworkRetries?: number } = {}): Stripe {
  const url = new URL(stripeFake());
  return new Stripe(options.apiKey ?? TEST_STRIPE_SECRET_KEY, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
  });
}

/**
 * The fake's own types, imported type-only (erased before workerd runs this file, so none of the
 * fake's Node code is loaded here): an event signed by the fake (POST `payload` with header
 * `Stripe-Signature: signature`), a delivery's outcome, and the control API's request bodies.
 */
export type { SignedEvent, DeliveryResult } from '../../scripts/stripe-fake';

/** One API call the fake received (the key itself is never kept), as its control API answers it. */
export type FakeRequest = Omit<RecordedRequest, 'body'> & {
  /** The form body parsed into objects and arrays; every leaf a string (`'true'`, `'1'`), as sent. */
  body: Record<string, any>; // any: nested Stripe params of every shape; tests read the ones they sent
};

export interface CompletedCheckout {
  session: Stripe.Checkout.Session;
  subscription: Stripe.Subscription;
  invoice: Stripe.Invoice;
  /** checkout.session.completed, customer.subscription.created, invoice.paid; signed, not delivered. */
  events: SignedEvent[];
}

/** A direct edit of a subscription: status, cancel_at_period_end, period, another price (`price`), metadata (replaced). */
export type SubscriptionPatch = SubscriptionPatchRequest;

export interface BilledInvoice {
  invoice: Stripe.Invoice;
  subscription: Stripe.Subscription;
  /** invoice.paid or invoice.payment_failed, then customer.subscription.updated if the status changed. */
  events: SignedEvent[];
}

/** `path` is a prefix such as `/v1/checkout/sessions`; method any if left out; status default 500; count default 1. */
export type FailureRule = FailRequest;

/** A call to the fake's control API; a non-2xx answer throws with the fake's message. */
async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stripeFake()}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Stripe fake ${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The session id in a checkout URL (`…/checkout/cs_test_…`) or the id itself. */
export function checkoutSessionId(sessionIdOrUrl: string): string {
  const m = /(cs_test_[A-Za-z0-9]+)/.exec(sessionIdOrUrl);
  if (!m?.[1]) throw new Error(`no checkout session id in ${sessionIdOrUrl}`);
  return m[1];
}

/** The customer pays: the subscription is created and the events Stripe would send are returned, signed. */
export function completeCheckout(sessionIdOrUrl: string, options: { status?: 'active' | 'trialing' } = {}): Promise<CompletedCheckout> {
  return control('POST', `/_fake/checkout/${encodeURIComponent(checkoutSessionId(sessionIdOrUrl))}/complete`, options);
}

/**
 * A signed event with any object. Pass `subscription` (or `invoice`) instead of an object to use
 * the fake's current one; `timestamp` (unix seconds) for a stale event, `secret` for a forged one.
 */
export function signedEvent(
  type: string,
  object?: unknown,
  options: { timestamp?: number; secret?: string; subscription?: string; invoice?: string; previousAttributes?: Record<string, unknown> } = {},
): Promise<SignedEvent> {
  const data = object === undefined ? undefined : { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) };
  return control('POST', '/_fake/events', { type, data, subscription: options.subscription, invoice: options.invoice, timestamp: options.timestamp, secret: options.secret });
}

/** Events the fake emitted (checkouts, API changes, direct edits, bills), oldest first, signed now. */
export async function fakeEvents(filter: { type?: string; object?: string } = {}): Promise<SignedEvent[]> {
  const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
  return (await control<{ events: SignedEvent[] }>('GET', `/_fake/events?${q}`)).events;
}

/** API calls the fake received, oldest first; `customer` keeps those about that customer, its subscriptions, sessions and invoices. */
export async function fakeRequests(filter: { customer?: string; method?: string; path?: string } = {}): Promise<FakeRequest[]> {
  const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
  return (await control<{ requests: FakeRequest[] }>('GET', `/_fake/requests?${q}`)).requests;
}

/** Sets a subscription's state directly (past_due, unpaid, canceled, a new period, another price). */
export function setSubscription(id: string, patch: SubscriptionPatch): Promise<Stripe.Subscription> {
  return control('POST', `/_fake/subscriptions/${encodeURIComponent(id)}`, patch);
}

/** Bills a subscription: paid → active, failed → past_due; `renew` moves the period on first. */
export function invoice(subscriptionId: string, paid: boolean, options: { renew?: boolean } = {}): Promise<BilledInvoice> {
  return control('POST', `/_fake/subscriptions/${encodeURIComponent(subscriptionId)}/invoice`, { paid, ...options });
}

/** The next `count` API calls matching method and path prefix fail with a Stripe-shaped error. */
export async function failNext(rule: FailureRule): Promise<void> {
  await control('POST', '/_fake/fail', rule);
}

/** A held API call: see `holdNext`. */
export interface Hold {
  /** Resolves once the held call has arrived at the fake and its answer is computed (not yet sent). */
  arrived(): Promise<void>;
  /** Sends the answer. */
  release(): Promise<void>;
}

/**
 * The next API call matching method and path prefix is answered with the state as it was when the
 * call arrived, but only once released: a handler stalled between reading Stripe and writing.
 */
export async function holdNext(rule: HoldRequest): Promise<Hold> {
  const { hold } = await control<{ hold: { id: string } }>('POST', '/_fake/holds', rule);
  return {
    async arrived() {
      const { arrived } = await control<{ arrived: boolean }>('GET', `/_fake/holds/${hold.id}/arrived`);
      if (!arrived) throw new Error(`no call to ${rule.method ?? 'any method'} ${rule.path} arrived at the Stripe fake within 10 s`);
    },
    async release() {
      await control('POST', `/_fake/holds/${hold.id}/release`);
    },
  };
}

/** Drops every planned failure not yet used. */
export async function clearFailures(): Promise<void> {
  await control('DELETE', '/_fake/fail');
}

/**
 * Delivers an event to the Worker's webhook route as Stripe does: the payload as the body and
 * the `Stripe-Signature` header (give `signature: null` to leave it out, or another to forge one).
 */
export function deliver(event: { payload: string; signature: string | null }, options: { url?: string } = {}): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' });
  if (event.signature !== null) headers.set('stripe-signature', event.signature);
  return exports.default.fetch(new Request(options.url ?? WEBHOOK_URL, { method: 'POST', headers, body: event.payload }));
}
