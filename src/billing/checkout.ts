import type Stripe from 'stripe';
import type { BillingInterval, TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { priceFor, type PaidPlanId } from '../tenancy/plans';
import { recordBillingAction, type Acting } from './billing-actions';
import { ensureCustomer } from './customer';
import { billingUnavailable, isInvalidRequest, viaStripe } from './stripe-client';
import { LIVE_STATUSES } from './subscription-state';
import type { BillingDeps } from './tenant-billing';

/**
 * Starting to pay: a Stripe Checkout Session for a subscription, and the Billing Portal for
 * everything after (cards, invoices, cancellation). Neither changes the plan: the plan moves
 * when Stripe tells the webhook that money moved.
 */
export interface CheckoutRequest {
  plan: PaidPlanId;
  interval: BillingInterval;
  successUrl: string;
  cancelUrl: string;
}

/**
 * How long a Checkout Session can be paid. Stripe's default is 24 hours, and an abandoned
 * session paid hours later would start a second subscription beside the one bought since;
 * 30 minutes is Stripe's minimum, and the extra minute keeps clock skew and latency from pushing
 * the request under it.
 */
const SESSION_LIFETIME_S = 31 * 60;

/** Stripe refuses a trial_end less than 48 hours away. */
const MIN_TRIAL_LEFT_MS = 49 * 3_600_000;

export async function startCheckout(deps: BillingDeps, stripe: Stripe, row: TenantRow, req: CheckoutRequest, acting: Acting): Promise<{ id: string; url: string }> {
  const price = priceFor(deps.config, req.plan, req.interval);
  if (!price) throw billingUnavailable(`The ${req.plan} plan (${req.interval}) is not on sale on this server: its Stripe price is not configured.`);
  if (row.stripeSubscriptionId && row.subscriptionStatus && LIVE_STATUSES.has(row.subscriptionStatus)) throw subscriptionExists();

  const customer = await ensureCustomer(deps, stripe, row, acting);
  // First, so that no older session can still be paid once the check below has passed.
  await expireOpenSessions(stripe, customer);
  // The row can lag Stripe (a checkout completed whose webhook has not arrived yet): ask Stripe.
  const existing = await viaStripe(() => stripe.subscriptions.list({ customer, status: 'all', limit: 20 }));
  if (existing.data.some((s) => LIVE_STATUSES.has(s.status))) throw subscriptionExists();

  // A workspace in its free trial that buys the plan it is trying keeps the days it has left
  // (Stripe charges when they end). Buying another plan (Enterprise during a Pro trial) is not
  // covered by that trial: it is paid from the start.
  const trialLeft = row.status === 'trial' && req.plan === row.billingPlan && row.trialEndsAt && row.trialEndsAt.getTime() - Date.now() > MIN_TRIAL_LEFT_MS;
  const trialEnd = trialLeft && row.trialEndsAt ? Math.floor(row.trialEndsAt.getTime() / 1000) : undefined;
  const session = await viaStripe(() =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      expires_at: Math.floor(Date.now() / 1000) + SESSION_LIFETIME_S,
      client_reference_id: row.id,
      line_items: [{ price, quantity: 1 }],
      success_url: req.successUrl,
      cancel_url: req.cancelUrl,
      metadata: { tenant_id: row.id },
      subscription_data: { metadata: { tenant_id: row.id }, ...(trialEnd ? { trial_end: trialEnd } : {}) },
    }),
  );
  if (!session.url) throw new DomainError('stripe_error', 'Stripe created the checkout session without a URL.');
  await recordBillingAction(deps.database, row.id, acting, 'billing.checkout_started', { plan: req.plan, interval: req.interval });
  return { id: session.id, url: session.url };
}

/**
 * Expires the customer's open Checkout Sessions: each new checkout replaces the ones before it,
 * so only the newest can ever be paid. A customer has a few at most (each lives 31 minutes), so
 * one page is all of them. A session completed or expired meanwhile is no longer open: fine.
 */
async function expireOpenSessions(stripe: Stripe, customer: string): Promise<void> {
  const open = await viaStripe(() => stripe.checkout.sessions.list({ customer, status: 'open', limit: 100 }));
  for (const session of open.data) {
    await viaStripe(async () => {
      try {
        await stripe.checkout.sessions.expire(session.id);
      } catch (err) {
        if (!isInvalidRequest(err)) throw err;
      }
    });
  }
}

export async function openPortal(deps: BillingDeps, stripe: Stripe, row: TenantRow, returnUrl: string): Promise<{ url: string }> {
  if (!row.stripeCustomerId) throw new DomainError('no_billing_account', 'This workspace has no billing account yet. Start a subscription with POST /api/billing/checkout.');
  const customer = row.stripeCustomerId;
  const session = await viaStripe(() => stripe.billingPortal.sessions.create({ customer, return_url: returnUrl }));
  return { url: session.url };
}

export function subscriptionExists(): DomainError {
  return new DomainError('subscription_exists', 'This workspace already has a subscription. Change its plan with PUT /api/billing/subscription.', {
    changePlan: { method: 'PUT', path: '/api/billing/subscription' },
  });
}
