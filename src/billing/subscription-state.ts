import type Stripe from 'stripe';
import type { BillingInterval, TenantRow, TenantStatus } from '../db/schema';
import { planForPrice, type PriceConfig } from '../tenancy/plans';
import { BILLING_SUSPENSION_REASON, isBillingSuspension } from '../tenancy/suspension';

/**
 * What the tenant row should say, given the current state of its Stripe subscription. Pure:
 * the webhook fetches the subscription from Stripe (never trusting the event's copy, which may
 * be older than one already applied) and writes what this returns.
 *
 * Status mapping (docs: issue 6):
 *   active → active; trialing → trial (until the subscription's trial end);
 *   past_due → still active for BILLING_GRACE_DAYS from when it went past due, then suspended;
 *   unpaid → suspended; canceled / incomplete_expired → the free plan, subscription ids cleared;
 *   paused → the free plan, ids kept (it can be resumed); incomplete → nothing granted yet.
 * Only billing's own suspensions are lifted by billing: an operator's suspension stays.
 */

/** Subscriptions that exist and bill the customer: checkout refuses a second one. */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['active', 'trialing', 'past_due', 'unpaid']);
export const ENDED_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);

// Billing's suspensions are told apart from an operator's by their reason (tenancy/suspension.ts).
export { BILLING_SUSPENSION_REASON, isBillingSuspension };

export type BillingFields = Pick<
  TenantRow,
  | 'billingPlan'
  | 'billingInterval'
  | 'stripeCustomerId'
  | 'stripeSubscriptionId'
  | 'stripePriceId'
  | 'currentPeriodStart'
  | 'currentPeriodEnd'
  | 'cancelAtPeriodEnd'
  | 'trialEndsAt'
  | 'subscriptionStatus'
  | 'pastDueSince'
  | 'billingSyncedAt'
  | 'lastPaymentAt'
  | 'lastPaymentAmount'
  | 'lastPaymentStatus'
  | 'status'
  | 'suspendedAt'
  | 'suspendedReason'
  | 'metadata'
>;
export type BillingPatch = Partial<BillingFields>;

export interface SyncContext {
  prices: PriceConfig;
  graceDays: number;
  now: Date;
}

export function graceEndsAt(pastDueSince: Date, graceDays: number): Date {
  return new Date(pastDueSince.getTime() + graceDays * 86_400_000);
}

/**
 * Whether a subscription state fetched at `fetchedAt` is older than the one the row already
 * holds: a handler that stalled between fetching and writing must not put back a state a later
 * handler has replaced (an "active" read before the subscription was deleted).
 */
export function isStaleSync(before: Pick<TenantRow, 'billingSyncedAt'>, fetchedAt: Date): boolean {
  return before.billingSyncedAt !== null && before.billingSyncedAt.getTime() > fetchedAt.getTime();
}

/** The tenant's billing fields for `sub`'s current state (empty when `sub` is not the tenant's concern). */
export function patchFromSubscription(before: TenantRow, sub: Stripe.Subscription, ctx: SyncContext): BillingPatch {
  const customerId = idOf(sub.customer);
  // A subscription that is not the one on record and does not bill (an old cancelled one, an
  // abandoned checkout) must not undo the one that does.
  if (before.stripeSubscriptionId && before.stripeSubscriptionId !== sub.id && !LIVE_STATUSES.has(sub.status)) return {};

  if (ENDED_STATUSES.has(sub.status)) {
    const ended: BillingPatch = {
      stripeCustomerId: customerId,
      stripeSubscriptionId: null,
      stripePriceId: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      subscriptionStatus: sub.status,
      pastDueSince: null,
    };
    // Only a tenant that was paying through this subscription falls back to free; an expired
    // first checkout leaves a trial (or an operator's plan) as it was.
    if (before.subscriptionStatus && (LIVE_STATUSES.has(before.subscriptionStatus) || before.subscriptionStatus === 'paused')) {
      Object.assign(ended, { billingPlan: 'free', billingInterval: null, trialEndsAt: null }, statusTowards(before, 'active', ctx.now));
    }
    return ended;
  }

  if (sub.status === 'incomplete') {
    // Checkout created it but the first payment has not gone through: nothing is granted.
    return { stripeCustomerId: customerId, stripeSubscriptionId: sub.id, subscriptionStatus: sub.status };
  }

  const item = sub.items.data[0];
  const price = item?.price;
  const sold = price ? planForPrice(ctx.prices, price.id) : null;
  const periods = periodOf(sub);
  const patch: BillingPatch = {
    stripeCustomerId: customerId,
    stripeSubscriptionId: sub.id,
    stripePriceId: price?.id ?? null,
    // A price the catalogue does not know (a custom deal billed through Stripe) keeps the plan
    // the operator set; everything else still follows the subscription.
    billingPlan: sold?.plan ?? before.billingPlan,
    billingInterval: sold?.interval ?? intervalOf(price) ?? before.billingInterval,
    currentPeriodStart: periods.start,
    currentPeriodEnd: periods.end,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    subscriptionStatus: sub.status,
  };

  if (sub.status === 'paused') {
    return { ...patch, billingPlan: 'free', billingInterval: null, pastDueSince: null, trialEndsAt: null, ...statusTowards(before, 'active', ctx.now) };
  }
  if (sub.status === 'trialing') {
    return { ...patch, pastDueSince: null, trialEndsAt: sub.trial_end ? new Date(sub.trial_end * 1000) : before.trialEndsAt, ...statusTowards(before, 'trial', ctx.now) };
  }
  if (sub.status === 'past_due' || sub.status === 'unpaid') {
    const since = before.pastDueSince ?? ctx.now;
    const overdue = sub.status === 'unpaid' || graceEndsAt(since, ctx.graceDays) <= ctx.now;
    return { ...patch, pastDueSince: since, trialEndsAt: null, ...statusTowards(before, overdue ? 'suspended' : 'active', ctx.now) };
  }
  // active (and any status Stripe adds later that bills normally)
  return { ...patch, pastDueSince: null, trialEndsAt: null, ...statusTowards(before, 'active', ctx.now) };
}

/** The status fields that move the tenant towards `want`, leaving alone what billing does not own. */
export function statusTowards(before: TenantRow, want: 'active' | 'trial' | 'suspended', now: Date): BillingPatch {
  // A workspace being deleted or not yet set up is not billing's to change.
  if (before.status === 'cancelled' || before.status === 'pending') return {};
  if (want === 'suspended') {
    if (before.status === 'suspended') return {};
    return {
      status: 'suspended',
      suspendedAt: now,
      suspendedReason: BILLING_SUSPENSION_REASON,
      metadata: { ...before.metadata, statusBeforeSuspension: before.status },
    };
  }
  if (before.status === 'suspended') {
    if (!isBillingSuspension(before)) return {}; // the operator's suspension
    const { statusBeforeSuspension: _drop, ...metadata } = before.metadata;
    return { status: want, suspendedAt: null, suspendedReason: null, metadata };
  }
  return before.status === want ? {} : { status: want as TenantStatus };
}

/** invoice.paid / invoice.payment_failed: the last payment, unless a later one is already recorded. */
export function patchFromInvoice(before: TenantRow, invoice: Stripe.Invoice, outcome: 'paid' | 'failed', eventCreated: number): BillingPatch {
  const at = new Date(((outcome === 'paid' ? invoice.status_transitions?.paid_at : null) ?? eventCreated) * 1000);
  if (before.lastPaymentAt && before.lastPaymentAt > at) return {};
  return {
    lastPaymentAt: at,
    lastPaymentAmount: outcome === 'paid' ? invoice.amount_paid : invoice.amount_due,
    lastPaymentStatus: outcome,
  };
}

/** The subscription an invoice bills (new API: parent.subscription_details; older: a top-level field). */
export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | null {
  const fromParent = invoice.parent?.subscription_details?.subscription;
  if (fromParent) return idOf(fromParent);
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return legacy ? idOf(legacy) : null;
}

export function idOf(ref: string | { id: string }): string;
export function idOf(ref: string | { id: string } | null | undefined): string | null;
export function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

export function intervalOf(price: Pick<Stripe.Price, 'recurring'> | undefined): BillingInterval | null {
  const interval = price?.recurring?.interval;
  return interval === 'year' ? 'yearly' : interval === 'month' ? 'monthly' : null;
}

/**
 * The billing period. Since API version 2025-03-31 it lives on each subscription item; older
 * versions (and some fakes) put it on the subscription itself.
 */
export function periodOf(sub: Stripe.Subscription): { start: Date | null; end: Date | null } {
  const item = sub.items.data[0] as (Stripe.SubscriptionItem & { current_period_start?: number; current_period_end?: number }) | undefined;
  const top = sub as unknown as { current_period_start?: number; current_period_end?: number };
  const start = item?.current_period_start ?? top.current_period_start;
  const end = item?.current_period_end ?? top.current_period_end;
  return { start: start ? new Date(start * 1000) : null, end: end ? new Date(end * 1000) : null };
}
