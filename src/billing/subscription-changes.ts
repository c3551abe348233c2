import type Stripe from 'stripe';
import type { BillingInterval, TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { priceFor, type PaidPlanId } from '../tenancy/plans';
import { recordBillingAction, type Acting } from './billing-actions';
import { billingUnavailable, viaStripe } from './stripe-client';
import { idOf, LIVE_STATUSES } from './subscription-state';
import type { BillingDeps } from './tenant-billing';

/**
 * Changes an owner asks for on an existing subscription: another plan or interval (prorated and
 * invoiced at once, applied when paid),
 * cancel at the end of the period, or take that back. Each is sent to Stripe and answered with
 * Stripe's reply; the tenant's plan follows when Stripe's webhook confirms it.
 */

/** The tenant's subscription as Stripe has it, if it is live; 409 otherwise. */
async function liveSubscription(stripe: Stripe, row: TenantRow): Promise<Stripe.Subscription> {
  const subscriptionId = row.stripeSubscriptionId;
  if (!subscriptionId) throw noSubscription();
  const sub = await viaStripe(() => stripe.subscriptions.retrieve(subscriptionId));
  // The id came from our own row, but a subscription is only ever changed for its own customer.
  if (idOf(sub.customer) !== row.stripeCustomerId || !LIVE_STATUSES.has(sub.status)) throw noSubscription();
  return sub;
}

function noSubscription(): DomainError {
  return new DomainError('no_subscription', 'This workspace has no active subscription. Start one with POST /api/billing/checkout.', {
    checkout: { method: 'POST', path: '/api/billing/checkout' },
  });
}

export async function changePlan(deps: BillingDeps, stripe: Stripe, row: TenantRow, to: { plan: PaidPlanId; interval: BillingInterval }, acting: Acting): Promise<Stripe.Subscription> {
  const price = priceFor(deps.config, to.plan, to.interval);
  if (!price) throw billingUnavailable(`The ${to.plan} plan (${to.interval}) is not on sale on this server: its Stripe price is not configured.`);
  const sub = await liveSubscription(stripe, row);
  const item = sub.items.data[0];
  if (!item) throw new DomainError('conflict', 'The subscription has no item to change; use the billing portal.');
  if (item.price.id === price) return sub;
  // The difference is invoiced at once, and the new price applies only if that invoice is paid
  // (a pending update otherwise, which Stripe drops when it expires): the webhook then reads the
  // old price until the money has moved, so an upgrade is never granted before payment.
  const updated = await viaStripe(() =>
    stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price }], proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete' }),
  );
  await recordBillingAction(deps.database, row.id, acting, 'billing.plan_change_requested', { plan: to.plan, interval: to.interval });
  return updated;
}

export async function setCancelAtPeriodEnd(deps: BillingDeps, stripe: Stripe, row: TenantRow, cancel: boolean, acting: Acting): Promise<Stripe.Subscription> {
  const sub = await liveSubscription(stripe, row);
  if (sub.cancel_at_period_end === cancel) return sub;
  const updated = await viaStripe(() => stripe.subscriptions.update(sub.id, { cancel_at_period_end: cancel }));
  await recordBillingAction(deps.database, row.id, acting, cancel ? 'billing.cancellation_requested' : 'billing.resume_requested', { cancelAtPeriodEnd: cancel });
  return updated;
}
