import { and, eq, or, sql as dsql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Database, Query } from '../db/client';
import { stripeWebhooks, tenants, type TenantRow } from '../db/schema';
import { isUuid } from '../http/ids';

/**
 * The record of Stripe events in `public.stripe_webhooks`: each verified event once, with what
 * became of it. Stripe delivers at least once, and retries for days after a non-2xx answer, so
 * the same event id can arrive many times; only its first successful processing has an effect.
 */

/**
 * Records the event, or claims it again for processing when an earlier attempt failed (or never
 * finished); RETURNING the attempt number, no row when it was already processed or ignored — a
 * duplicate delivery, answered 200 with no second effect.
 */
function claimStatement(database: Database, event: Stripe.Event, rawPayload: string) {
  return database.db.execute<{ attempts: number }>(dsql`
    INSERT INTO public.stripe_webhooks (event_id, type, payload, status, attempts)
    VALUES (${event.id}, ${event.type}, ${rawPayload}::jsonb, 'received', 1)
    ON CONFLICT (event_id) DO UPDATE SET attempts = public.stripe_webhooks.attempts + 1, status = 'received'
      WHERE public.stripe_webhooks.status IN ('received', 'failed')
    RETURNING attempts`);
}

function attemptsOf(result: { rows: { attempts: number }[] }): number | null {
  const attempts = result.rows[0]?.attempts;
  return attempts === undefined ? null : Number(attempts);
}

/** What the first round trip of a delivery learns (see claimDelivery). */
export interface ClaimedDelivery {
  /** The attempt number, or null for a duplicate delivery. */
  attempts: number | null;
  /** Tenant rows the event may concern: the one with its Stripe customer, the one it names. */
  candidates: TenantRow[];
  /** A duplicate of a processed event: the tenant that event changed, as it is now. */
  processedTenant: TenantRow | null;
}

/**
 * Claims the event (claimStatement) and, in the same transaction, reads what either outcome
 * needs next: the tenant rows the event may concern (by `lookup`'s customer and tenant id), and
 * for an event processed before, the tenant it changed. One round trip, whatever follows.
 */
export async function claimDelivery(
  database: Database,
  event: Stripe.Event,
  rawPayload: string,
  lookup: { customerId: string | null; tenantId: string | null },
): Promise<ClaimedDelivery> {
  const { db } = database;
  const by = [
    ...(lookup.customerId ? [eq(tenants.stripeCustomerId, lookup.customerId)] : []),
    ...(lookup.tenantId && isUuid(lookup.tenantId) ? [eq(tenants.id, lookup.tenantId)] : []),
  ];
  const [claimed, candidates, processed] = await db.batch([
    claimStatement(database, event, rawPayload),
    db.select().from(tenants).where(by.length ? or(...by) : dsql`false`),
    // Read after the claim: a claimed event is 'received' here, so this finds only a duplicate's tenant.
    db
      .select({ tenant: tenants })
      .from(stripeWebhooks)
      .innerJoin(tenants, eq(tenants.id, stripeWebhooks.tenantId))
      .where(and(eq(stripeWebhooks.eventId, event.id), eq(stripeWebhooks.status, 'processed')))
      .limit(1),
  ]);
  return { attempts: attemptsOf(claimed), candidates, processedTenant: processed[0]?.tenant ?? null };
}

/** Marks the event processed; placed in the same transaction as the tenant change it made. */
export function markProcessed(database: Database, eventId: string, tenantId: string | null): Query {
  return database.sql`
    UPDATE public.stripe_webhooks SET status = 'processed', tenant_id = ${tenantId}, error = NULL, processed_at = now()
    WHERE event_id = ${eventId}`;
}

/** Verified, but not ours to act on: an event type we do not handle, or a customer we do not know. */
export async function markIgnored(database: Database, eventId: string, tenantId: string | null, reason: string): Promise<void> {
  await database.sql`
    UPDATE public.stripe_webhooks SET status = 'ignored', tenant_id = ${tenantId}, error = ${reason}, processed_at = now()
    WHERE event_id = ${eventId}`;
}

/**
 * Processing failed: the error (already free of secrets) is kept for operators, and Stripe
 * retries. A concurrent delivery of the same event that succeeded meanwhile is not undone.
 */
export async function markFailed(database: Database, eventId: string, tenantId: string | null, error: string): Promise<void> {
  await database.sql`
    UPDATE public.stripe_webhooks SET status = 'failed', tenant_id = coalesce(${tenantId}::uuid, tenant_id), error = ${error}
    WHERE event_id = ${eventId} AND status <> 'processed'`;
}
