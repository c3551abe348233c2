import { eq } from 'drizzle-orm';
import type { Actor, AuditEntry, RequestContext } from '../audit/audit';
import type { Config } from '../config';
import { asNeonQuery, type Query } from '../db/client';
import { sqlState } from '../db/errors';
import { tenants, type TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { findTenant, writeTenant, type TenantServiceDeps } from '../tenancy/service';
import type { BillingPatch } from './subscription-state';

/**
 * Billing's writes to the tenant row. They go through the tenancy service's `writeTenant`, so
 * they get what every tenant write gets: the version-guarded lock, the audit rows in the same
 * transaction, and the new snapshot pushed to the TenantGate and KV after the commit.
 */
export type BillingConfig = Pick<
  Config,
  | 'BASE_DOMAIN'
  | 'BILLING_GRACE_DAYS'
  | 'STRIPE_SECRET_KEY'
  | 'STRIPE_WEBHOOK_SECRET'
  | 'STRIPE_API_URL'
  | 'STRIPE_PRICE_PRO_MONTHLY'
  | 'STRIPE_PRICE_PRO_YEARLY'
  | 'STRIPE_PRICE_ENTERPRISE_MONTHLY'
  | 'STRIPE_PRICE_ENTERPRISE_YEARLY'
>;

export interface BillingDeps extends TenantServiceDeps {
  config: BillingConfig;
}

export interface BillingWrite {
  actor: Actor;
  context: RequestContext;
  /** What the change is about, for the audit row (a subscription, an invoice, a customer). */
  subject: { type: string; id: string | null };
  /** Statements that commit together with the change (the webhook's event row). */
  alongside?: Query[];
}

/** Only the fields of `patch` whose values differ from `before`. */
export function changedFields(before: TenantRow, patch: BillingPatch): BillingPatch {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!sameValue(before[key as keyof TenantRow], value)) out[key] = value;
  }
  return out as BillingPatch;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : false;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/**
 * Writes `patch` (what differs from `before`) with its audit rows, and the `alongside`
 * statements, in one transaction. Nothing differs: only `alongside` runs, and no audit row is
 * written, so a replayed event leaves no trace on the tenant. Returns the row after the write.
 *
 * `patch.billingSyncedAt` (when the subscription state in `patch` was fetched from Stripe) is
 * bookkeeping, not a change anyone sees: alone, it is moved forward without a version bump, an
 * audit row or a publish — but only on the row `patch` was computed from: under the row lock,
 * the version must still be `before`'s, or the write is refused as a conflict (the caller
 * re-reads the row), so a state that differs from what a concurrent write left is never taken
 * for "no change" and stamped onto it. With a real change, the transaction also checks, under
 * the row lock, that no newer sync was stored meanwhile — the stamp-only write above does not
 * bump the version, so the version lock alone would not see it — and is refused as a conflict
 * if one was (the caller re-reads the row, and finds its own state stale).
 */
export async function writeBilling(deps: BillingDeps, before: TenantRow, patch: BillingPatch, write: BillingWrite): Promise<{ row: TenantRow; changed: BillingPatch }> {
  const changed = changedFields(before, patch);
  const { billingSyncedAt: _stamp, ...visible } = changed;
  const syncedAt = patch.billingSyncedAt ?? null;
  if (!Object.keys(visible).length) {
    const stamp = syncedAt ? [deps.database.sql`SELECT public.nchat_lock_tenant(${before.id}, ${before.version})`, stampSync(deps, before.id, syncedAt)] : [];
    const statements = [...stamp, ...(write.alongside ?? [])];
    if (statements.length) {
      await deps.database.transaction(statements).catch((err: unknown) => {
        if (sqlState(err) === 'NC409') throw new DomainError('conflict', 'The workspace was changed by someone else meanwhile. Reload and try again.');
        throw err;
      });
    }
    return { row: before, changed: visible };
  }
  const guard = syncedAt ? [deps.database.sql`SELECT public.nchat_check_billing_sync(${before.id}::uuid, ${syncedAt.toISOString()}::timestamptz)`] : [];
  const update = asNeonQuery(deps.database, deps.database.db.update(tenants).set(changed).where(eq(tenants.id, before.id)));
  const row = await writeTenant(deps, before, [...guard, update, ...(write.alongside ?? [])], billingAudits(before, changed, write));
  return { row, changed };
}

/** Moves the sync time forward, never back (a concurrent newer stamp stays). */
function stampSync(deps: BillingDeps, tenantId: string, at: Date): Query {
  const iso = at.toISOString();
  return deps.database.sql`
    UPDATE public.tenants SET billing_synced_at = ${iso}::timestamptz
    WHERE id = ${tenantId}::uuid AND (billing_synced_at IS NULL OR billing_synced_at < ${iso}::timestamptz)`;
}

/**
 * `writeBilling` against the tenant's current row, re-read and re-computed when a concurrent
 * write moved its version (two deliveries at once, an owner's edit): `compute` gets the fresh
 * row each time, so the result is what it would have been had the writes not overlapped.
 * `options.known` is a row the caller has just read: the first attempt uses it instead of
 * reading it again (its writes are guarded by its version, so a stale one is a conflict and
 * the next attempt reads the row).
 */
export async function writeBillingFresh(
  deps: BillingDeps,
  tenantId: string,
  compute: (before: TenantRow) => BillingPatch,
  write: BillingWrite | ((before: TenantRow) => BillingWrite),
  options: { attempts?: number; known?: TenantRow } = {},
): Promise<{ row: TenantRow; changed: BillingPatch }> {
  const attempts = options.attempts ?? 3;
  let known = options.known?.id === tenantId ? options.known : undefined;
  for (let attempt = 1; ; attempt++) {
    const before = known ?? (await findTenant(deps.database, tenantId));
    known = undefined;
    if (!before) throw new DomainError('not_found', 'The workspace no longer exists.');
    try {
      return await writeBilling(deps, before, compute(before), typeof write === 'function' ? write(before) : write);
    } catch (err) {
      if (attempt >= attempts || !(err instanceof DomainError && err.code === 'conflict')) throw err;
    }
  }
}

/** Fields shown in audit rows (not metadata: it holds internal bookkeeping). */
const AUDITED: (keyof BillingPatch)[] = [
  'billingPlan',
  'billingInterval',
  'stripeCustomerId',
  'stripeSubscriptionId',
  'stripePriceId',
  'currentPeriodStart',
  'currentPeriodEnd',
  'cancelAtPeriodEnd',
  'trialEndsAt',
  'subscriptionStatus',
  'pastDueSince',
  'lastPaymentAt',
  'lastPaymentAmount',
  'lastPaymentStatus',
  'status',
  'suspendedReason',
];

function auditValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v ?? null;
}

export function billingAudits(before: TenantRow, changed: BillingPatch, write: BillingWrite): AuditEntry[] {
  const base = { tenantId: before.id, actor: write.actor, context: write.context };
  const oldValues: Record<string, unknown> = {};
  const newValues: Record<string, unknown> = {};
  for (const key of AUDITED) {
    if (!(key in changed)) continue;
    oldValues[key] = auditValue(before[key]);
    newValues[key] = auditValue(changed[key]);
  }
  const audits: AuditEntry[] = [];
  if (Object.keys(newValues).length) {
    audits.push({ ...base, action: 'billing.updated', resourceType: write.subject.type, resourceId: write.subject.id, oldValues, newValues });
  }
  if (changed.billingPlan !== undefined) {
    audits.push({ ...base, action: 'tenant.plan_changed', resourceType: 'tenant', resourceId: before.id, oldValues: { plan: before.billingPlan }, newValues: { plan: changed.billingPlan } });
  }
  if (changed.status !== undefined) {
    const action = changed.status === 'suspended' ? 'tenant.suspended' : before.status === 'suspended' ? 'tenant.unsuspended' : 'tenant.status_changed';
    audits.push({
      ...base,
      action,
      resourceType: 'tenant',
      resourceId: before.id,
      oldValues: { status: before.status },
      newValues: { status: changed.status, ...(changed.status === 'suspended' ? { reason: changed.suspendedReason ?? null } : {}) },
    });
  }
  return audits;
}
