import type Stripe from 'stripe';
import type { TenantRow } from '../db/schema';
import { BILLING_INTERVALS, PAID_PLANS, PLANS, planForPrice, priceFor, type PriceConfig } from '../tenancy/plans';
import { graceEndsAt, intervalOf, periodOf } from './subscription-state';

/**
 * What owners and admins see of billing. Deliberately without Stripe ids, secrets or anything
 * of another tenant: the plan, the subscription's state, and what can be bought.
 */
export function billingView(row: TenantRow, config: PriceConfig & { BILLING_GRACE_DAYS: number; STRIPE_SECRET_KEY?: string }) {
  return {
    plan: row.billingPlan,
    interval: row.billingInterval,
    status: row.subscriptionStatus ?? 'none',
    workspaceStatus: row.status,
    hasSubscription: row.stripeSubscriptionId !== null,
    currentPeriodEnd: row.currentPeriodEnd?.toISOString() ?? null,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    trialEndsAt: row.trialEndsAt?.toISOString() ?? null,
    pastDueSince: row.pastDueSince?.toISOString() ?? null,
    graceEndsAt: row.pastDueSince ? graceEndsAt(row.pastDueSince, config.BILLING_GRACE_DAYS).toISOString() : null,
    lastPayment: row.lastPaymentAt
      ? { at: row.lastPaymentAt.toISOString(), amount: row.lastPaymentAmount, currency: 'usd', status: row.lastPaymentStatus }
      : null,
    checkoutAvailable: Boolean(config.STRIPE_SECRET_KEY),
  };
}

/** The plans on sale, with prices (US cents) and whether each interval can be bought here. */
export function availablePlans(config: PriceConfig & { STRIPE_SECRET_KEY?: string }) {
  return PAID_PLANS.map((id) => {
    const plan = PLANS[id];
    const amount = { monthly: plan.priceMonthly, yearly: plan.priceYearly };
    return {
      id,
      name: plan.name,
      limits: plan.limits,
      features: plan.features,
      prices: Object.fromEntries(
        BILLING_INTERVALS.map((interval) => [interval, { amount: amount[interval], currency: 'usd', available: Boolean(config.STRIPE_SECRET_KEY && priceFor(config, id, interval)) }]),
      ),
    };
  });
}

/** A subscription as Stripe answered a change: what the owner asked for, not yet what the plan is. */
export function subscriptionView(sub: Stripe.Subscription, config: PriceConfig) {
  const price = sub.items.data[0]?.price;
  const sold = price ? planForPrice(config, price.id) : null;
  const period = periodOf(sub);
  return {
    plan: sold?.plan ?? null,
    interval: sold?.interval ?? intervalOf(price),
    status: sub.status,
    currentPeriodEnd: period.end?.toISOString() ?? null,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
  };
}
