import type Stripe from 'stripe';
import type { TenantRow } from '../db/schema';
import { viaStripe } from './stripe-client';
import { writeBillingFresh, type BillingDeps, type BillingWrite } from './tenant-billing';

/**
 * The tenant's Stripe customer, created the first time it is needed and stored on the tenant.
 *
 * Two checkouts at once must not leave two customers: the create carries an idempotency key
 * derived from the tenant id, so Stripe answers both with the same customer (for 24 hours,
 * which covers any race), and the store is a versioned tenant write that keeps whichever id
 * was stored first (the loser re-reads the row and finds it set).
 */
export async function ensureCustomer(deps: BillingDeps, stripe: Stripe, row: TenantRow, acting: Pick<BillingWrite, 'actor' | 'context'>): Promise<string> {
  if (row.stripeCustomerId) return row.stripeCustomerId;
  const customer = await viaStripe(() =>
    stripe.customers.create(
      { name: row.name, email: row.ownerEmail, metadata: { tenant_id: row.id, tenant_slug: row.slug } },
      { idempotencyKey: customerIdempotencyKey(row.id) },
    ),
  );
  const { row: after } = await writeBillingFresh(deps, row.id, (before) => (before.stripeCustomerId ? {} : { stripeCustomerId: customer.id }), {
    ...acting,
    subject: { type: 'customer', id: customer.id },
  });
  return after.stripeCustomerId ?? customer.id;
}

export function customerIdempotencyKey(tenantId: string): string {
  return `nchat-customer-${tenantId}`;
}
