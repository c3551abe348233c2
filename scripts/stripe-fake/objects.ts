/**
 * The Stripe objects the fake serves, with the fields nchat reads and the ones a reader of the
 * real API would expect to find (ids with Stripe's prefixes, `object`, `created` in unix seconds,
 * `livemode: false`, `metadata`). Field names follow the API version the SDK pins: subscription
 * periods live on the items (`items.data[0].current_period_start/end`); the top-level copies are
 * kept for older readers. Fields nchat never reads and that have no sensible local value are
 * left out rather than invented.
 */
import { randomBytes } from 'node:crypto';

export type Metadata = Record<string, string>;
export type Interval = 'month' | 'year';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `cus_…`, `sub_…`: Stripe ids are a prefix and random base62. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return `${prefix}${out}`;
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** A calendar month or year later, as Stripe bills (Jan 31 + 1 month = the last day of February). */
export function addInterval(unixSeconds: number, interval: Interval, count = 1): number {
  const d = new Date(unixSeconds * 1000);
  const day = d.getUTCDate();
  const target = new Date(d);
  target.setUTCDate(1);
  if (interval === 'month') target.setUTCMonth(target.getUTCMonth() + count);
  else target.setUTCFullYear(target.getUTCFullYear() + count);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}

export interface PriceSeed {
  id: string;
  unit_amount: number;
  interval: Interval;
  lookup_key?: string;
  product?: string;
  nickname?: string;
  currency?: string;
}

/** The prices nchat's configuration names in tests and local dev (vitest.config.ts, npm run dev). */
export const DEFAULT_PRICES: PriceSeed[] = [
  { id: 'price_pro_monthly', unit_amount: 1500, interval: 'month', lookup_key: 'pro_monthly', product: 'prod_nchat_pro', nickname: 'Pro monthly' },
  { id: 'price_pro_yearly', unit_amount: 15000, interval: 'year', lookup_key: 'pro_yearly', product: 'prod_nchat_pro', nickname: 'Pro yearly' },
  { id: 'price_enterprise_monthly', unit_amount: 9900, interval: 'month', lookup_key: 'enterprise_monthly', product: 'prod_nchat_enterprise', nickname: 'Enterprise monthly' },
  { id: 'price_enterprise_yearly', unit_amount: 99000, interval: 'year', lookup_key: 'enterprise_yearly', product: 'prod_nchat_enterprise', nickname: 'Enterprise yearly' },
];

export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  livemode: false;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: { interval: Interval; interval_count: number; meter: null; trial_period_days: null; usage_type: 'licensed' };
  tax_behavior: 'unspecified';
  type: 'recurring';
  unit_amount: number;
  unit_amount_decimal: string;
}

export function priceFromSeed(seed: PriceSeed, created = unixNow()): Price {
  return {
    id: seed.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: seed.currency ?? 'usd',
    livemode: false,
    lookup_key: seed.lookup_key ?? null,
    metadata: {},
    nickname: seed.nickname ?? null,
    product: seed.product ?? `prod_${seed.id.replace(/^price_/, '')}`,
    recurring: { interval: seed.interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    type: 'recurring',
    unit_amount: seed.unit_amount,
    unit_amount_decimal: String(seed.unit_amount),
  };
}

/** The legacy `plan` object Stripe still puts beside `price` on subscription items. */
export interface Plan {
  id: string;
  object: 'plan';
  active: boolean;
  amount: number;
  currency: string;
  interval: Interval;
  interval_count: number;
  livemode: false;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  usage_type: 'licensed';
}

export function planFromPrice(price: Price): Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    currency: price.currency,
    interval: price.recurring.interval,
    interval_count: price.recurring.interval_count,
    livemode: false,
    metadata: price.metadata,
    nickname: price.nickname,
    product: price.product,
    usage_type: 'licensed',
  };
}

export interface Customer {
  id: string;
  object: 'customer';
  balance: number;
  created: number;
  currency: string | null;
  deleted?: true;
  delinquent: boolean;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  livemode: false;
  metadata: Metadata;
  name: string | null;
  phone: string | null;
  preferred_locales: string[];
}

export interface CheckoutSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number | null;
  amount_total: number | null;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string | null;
  customer: string | Customer | null;
  customer_email: string | null;
  expires_at: number;
  invoice: string | Invoice | null;
  livemode: false;
  metadata: Metadata;
  mode: 'subscription' | 'payment' | 'setup';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  status: 'open' | 'complete' | 'expired';
  subscription: string | Subscription | null;
  success_url: string | null;
  ui_mode: 'hosted';
  url: string | null;
}

/** What a checkout session will become when paid; Stripe keeps it server-side too (line items are not on the session object). */
export interface CheckoutPlan {
  priceId: string;
  quantity: number;
  subscriptionMetadata: Metadata;
  trialPeriodDays: number | null;
}

export interface SubscriptionItem {
  id: string;
  object: 'subscription_item';
  created: number;
  current_period_end: number;
  current_period_start: number;
  discounts: string[];
  metadata: Metadata;
  plan: Plan;
  price: Price;
  quantity: number;
  subscription: string;
  tax_rates: [];
}

export type SubscriptionStatus = 'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';

export interface Subscription {
  id: string;
  object: 'subscription';
  billing_cycle_anchor: number;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string | Customer;
  /** Older API versions; the current one reads items.data[0].current_period_*. */
  current_period_end: number;
  current_period_start: number;
  default_payment_method: string | null;
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  items: { object: 'list'; data: SubscriptionItem[]; has_more: false; total_count: number; url: string };
  latest_invoice: string | Invoice | null;
  livemode: false;
  metadata: Metadata;
  pause_collection: null;
  pending_update: null;
  schedule: null;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: null;
  trial_end: number | null;
  trial_start: number | null;
}

export interface Invoice {
  id: string;
  object: 'invoice';
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
  attempted: boolean;
  billing_reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string | Customer;
  hosted_invoice_url: string | null;
  lines: { object: 'list'; data: InvoiceLine[]; has_more: false; total_count: number; url: string };
  livemode: false;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string;
  parent: { type: 'subscription_details'; quote_details: null; subscription_details: { metadata: Metadata; subscription: string | Subscription } };
  period_end: number;
  period_start: number;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  status_transitions: { finalized_at: number | null; marked_uncollectible_at: number | null; paid_at: number | null; voided_at: number | null };
  subtotal: number;
  total: number;
}

export interface InvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  period: { start: number; end: number };
  pricing: { type: 'price_details'; price_details: { price: string; product: string }; unit_amount_decimal: string };
  quantity: number;
}

export interface BillingPortalSession {
  id: string;
  object: 'billing_portal.session';
  configuration: string;
  created: number;
  customer: string;
  flow: null;
  livemode: false;
  locale: null;
  on_behalf_of: null;
  return_url: string | null;
  url: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** A list response (`GET /v1/subscriptions`, `GET /v1/invoices`). */
export interface ListOf<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}
