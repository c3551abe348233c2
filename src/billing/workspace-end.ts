import type { TenantRow } from '../db/schema';
import type { StripeConfig } from './stripe-client';
import { isMissingResource, stripeFor, viaStripe } from './stripe-client';

/**
 * A workspace that is deleted stops paying. When its deletion is scheduled, its subscription is
 * set to end with the period already paid for (a restore within the grace period can take that
 * back with POST /api/billing/subscription/resume); when it is purged, the subscription is
 * cancelled at once — and the purge waits for Stripe to confirm, so a purged workspace can never
 * go on being charged. A subscription Stripe no longer has counts as ended.
 */
export type SubscriptionEnding = 'period_end' | 'now';

export async function endSubscription(config: StripeConfig, row: Pick<TenantRow, 'stripeSubscriptionId'>, when: SubscriptionEnding): Promise<boolean> {
  const id = row.stripeSubscriptionId;
  if (!id) return false;
  const stripe = stripeFor(config);
  return viaStripe(async () => {
    try {
      if (when === 'now') await stripe.subscriptions.cancel(id);
      else await stripe.subscriptions.update(id, { cancel_at_period_end: true });
      return true;
    } catch (err) {
      if (isMissingResource(err)) return false;
      throw err;
    }
  });
}
