import { and, inArray, isNotNull, lte, notInArray } from 'drizzle-orm';
import { SYSTEM_CONTEXT } from '../audit/audit';
import { tenants, type TenantRow } from '../db/schema';
import { graceEndsAt, statusTowards } from './subscription-state';
import { writeBillingFresh, type BillingDeps } from './tenant-billing';

/**
 * The daily sweep: a subscription that went past due keeps its workspace running for
 * BILLING_GRACE_DAYS (Stripe retries the card meanwhile); after that the workspace is
 * suspended, as billing's suspension, which the next paid invoice lifts. Webhooks apply the
 * same rule when an event arrives after the grace period; the sweep covers the quiet days in
 * between, when Stripe sends nothing.
 */
export interface SweepResult {
  suspended: string[];
  failed: { id: string; error: string }[];
}

const BATCH = 100;

export async function suspendOverdueTenants(deps: BillingDeps, now = new Date(), options: { batchSize?: number } = {}): Promise<SweepResult> {
  const batchSize = options.batchSize ?? BATCH;
  const graceDays = deps.config.BILLING_GRACE_DAYS;
  const cutoff = new Date(now.getTime() - graceDays * 86_400_000);
  const result: SweepResult = { suspended: [], failed: [] };
  // Batch after batch until none is left; a tenant is looked at once per sweep, so one that
  // keeps failing does not hold back the ones after it.
  const seen: string[] = [];
  for (;;) {
    const due = await deps.database.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(
        and(
          isNotNull(tenants.pastDueSince),
          lte(tenants.pastDueSince, cutoff),
          inArray(tenants.status, ['active', 'trial']),
          inArray(tenants.subscriptionStatus, ['past_due', 'unpaid']),
          seen.length ? notInArray(tenants.id, seen) : undefined,
        ),
      )
      .orderBy(tenants.pastDueSince)
      .limit(batchSize);
    for (const { id } of due) {
      seen.push(id);
      try {
        const { changed } = await writeBillingFresh(
          deps,
          id,
          // Re-checked on the fresh row: a payment may have landed since the query above.
          (before) => (stillOverdue(before, graceDays, now) ? statusTowards(before, 'suspended', now) : {}),
          { actor: { type: 'system' }, context: SYSTEM_CONTEXT, subject: { type: 'tenant', id } },
        );
        if (changed.status === 'suspended') result.suspended.push(id);
      } catch (err) {
        result.failed.push({ id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (due.length < batchSize) return result;
  }
}

function stillOverdue(row: TenantRow, graceDays: number, now: Date): boolean {
  const pastDue = row.subscriptionStatus === 'past_due' || row.subscriptionStatus === 'unpaid';
  return pastDue && row.pastDueSince !== null && graceEndsAt(row.pastDueSince, graceDays) <= now;
}
