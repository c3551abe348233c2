import type Stripe from 'stripe';
import type { Database, Query } from '../db/client';

/**
 * The record of Stripe events in `public.stripe_webhooks`: each verified event once, with what
 * became of it. Stripe delivers at least once, and retries for days after a non-2xx answer, so
 * the same event id can arrive many times; only its first successful processing has an effect.
 */

/**
 * Records the event, or claims it again for processing when an earlier attempt failed (or never
 * finished). Returns the attempt number, or null when it was already processed or ignored — a
 * duplicate delivery, answered 200 with no second effect.
 */
export async function claimEvent(database: Database, event: Stripe.Event, rawPayload: string): Promise<number | null> {
  const rows = (await database.sql`
    INSERT INTO public.stripe_webhooks (event_id, type, payload, status, attempts)
    VALUES (${event.id}, ${event.type}, ${rawPayload}::jsonb, 'received', 1)
    ON CONFLICT (event_id) DO UPDATE SET attempts = public.stripe_webhooks.attempts + 1, status = 'received'
      WHERE public.stripe_webhooks.status IN ('received', 'failed')
    RETURNING attempts`) as { attempts: number }[];
  return rows[0]?.attempts ?? null;
}

/** The workspace a processed event changed (null when it was ignored, or is not processed). */
export async function processedTenantOf(database: Database, eventId: string): Promise<string | null> {
  const rows = (await database.sql`
    SELECT tenant_id FROM public.stripe_webhooks WHERE event_id = ${eventId} AND status = 'processed'`) as { tenant_id: string | null }[];
  return rows[0]?.tenant_id ?? null;
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
