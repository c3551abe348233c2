import type Stripe from 'stripe';
import { isMissingResource } from './stripe-client';
import { ENDED_STATUSES, idOf, isStaleSync, LIVE_STATUSES, patchFromInvoice, patchFromSubscription, type BillingPatch, type SyncContext } from './subscription-state';
import { writeBillingFresh, type BillingDeps, type BillingWrite } from './tenant-billing';
import type { TenantRow } from '../db/schema';

/**
 * Setting the tenant from its subscription's state at Stripe. The state is fetched by the
 * webhook (never taken from the event, which may be older than one already applied), and the
 * time taken just before the fetch goes with it: the row keeps the time of the state it holds
 * (`billing_synced_at`), and a state fetched earlier than that is not written, however late its
 * handler gets to the database. Kept apart from the webhook so the order of two handlers can be
 * played out in tests without Stripe or the clock having to cooperate.
 */

/** A subscription as Stripe had it at `fetchedAt` (or later: the time is taken before asking). */
export interface FetchedSubscription {
  subscription: Stripe.Subscription;
  fetchedAt: Date;
}

export interface SyncInput {
  fetched: FetchedSubscription | null;
  /** invoice.paid / invoice.payment_failed: the last payment, ordered by its own time, not the sync's. */
  invoice?: { invoice: Stripe.Invoice; outcome: 'paid' | 'failed'; eventCreated: number };
  /** The clock for the grace period; now unless a test says otherwise. */
  now?: Date;
}

/**
 * The subscription with this id, as Stripe has it now, with the time taken just before asking.
 * A subscription Stripe no longer knows has ended (`copy` is the event's, for its other fields).
 */
export async function fetchSubscription(stripe: Stripe, subscriptionId: string, copy?: Stripe.Subscription): Promise<FetchedSubscription> {
  const fetchedAt = new Date();
  try {
    return { subscription: await stripe.subscriptions.retrieve(subscriptionId), fetchedAt };
  } catch (err) {
    if (isMissingResource(err) && copy) return { subscription: { ...copy, status: 'canceled' }, fetchedAt };
    throw err;
  }
}

/**
 * The state to set the tenant from, for an event about `subscriptionId`: that subscription now,
 * unless it has ended while another subscription of the same customer is still live (an old
 * Checkout Session paid after a newer one, before sessions expired within the half hour): then
 * the live one, so an ended duplicate does not drop a paying workspace to free. The newest live
 * one wins; Stripe lists newest first.
 */
export async function fetchCurrentState(stripe: Stripe, subscriptionId: string, copy?: Stripe.Subscription): Promise<FetchedSubscription> {
  const fetched = await fetchSubscription(stripe, subscriptionId, copy);
  const ended = fetched.subscription;
  const customer = idOf(ended.customer);
  if (!ENDED_STATUSES.has(ended.status) || !customer) return fetched;
  // This state is what the tenant is set from: its time is the time before this read.
  const fetchedAt = new Date();
  const others = await stripe.subscriptions.list({ customer, status: 'all', limit: 20 });
  const live = others.data.find((s) => s.id !== ended.id && LIVE_STATUSES.has(s.status));
  return live ? { subscription: live, fetchedAt } : fetched;
}

/**
 * Writes what `input` says about the tenant, with `write`'s statements (the event row) in the
 * same transaction. A subscription state older than the row's is left out; the rest (an
 * invoice's payment) still applies, and `write`'s statements still run. `known` is the tenant's
 * row if the caller has just read it (the webhook, with its claim): the first attempt is
 * computed on it instead of reading it again (see writeBillingFresh).
 */
export async function syncTenant(
  deps: BillingDeps,
  tenantId: string,
  input: SyncInput,
  write: (before: TenantRow) => BillingWrite,
  known?: TenantRow,
): Promise<{ row: TenantRow; changed: BillingPatch }> {
  const context: SyncContext = { prices: deps.config, graceDays: deps.config.BILLING_GRACE_DAYS, now: input.now ?? new Date() };
  const invoice = input.invoice;
  return writeBillingFresh(
    deps,
    tenantId,
    (before): BillingPatch => ({
      ...subscriptionPatch(before, input.fetched, context),
      ...(invoice ? patchFromInvoice(before, invoice.invoice, invoice.outcome, invoice.eventCreated) : {}),
    }),
    write,
    { known },
  );
}

function subscriptionPatch(before: TenantRow, fetched: FetchedSubscription | null, context: SyncContext): BillingPatch {
  if (!fetched || isStaleSync(before, fetched.fetchedAt)) return {};
  const patch = patchFromSubscription(before, fetched.subscription, context);
  // A subscription that is not the tenant's concern (an old cancelled one) says nothing about
  // how fresh the tenant's state is: stamping its time would refuse a concurrent, slightly
  // earlier read of the subscription that is.
  return Object.keys(patch).length ? { ...patch, billingSyncedAt: fetched.fetchedAt } : {};
}
