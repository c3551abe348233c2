import { DomainError } from '../domain/errors';
import type { TenantSnapshot } from './snapshot';

/**
 * Suspensions come in two kinds. An operator's (abuse, a request from the owner, ...) closes the
 * workspace completely. Billing's (a subscription past its grace period, or unpaid) closes it
 * too — except for what its owners need to pay: signing in, their own account, the workspace's
 * public configuration and the billing routes. Otherwise a workspace suspended for an expired
 * card could never be brought back from inside it.
 */

/** The suspended_reason billing writes; an operator's suspension carries their own reason (or none). */
export const BILLING_SUSPENSION_REASON = 'billing: the subscription is not paid';

export function isBillingSuspension(t: { status: string; suspendedReason?: string | null }): boolean {
  return t.status === 'suspended' && t.suspendedReason === BILLING_SUSPENSION_REASON;
}

const PAYMENT_RECOVERY_PATHS = [/^\/api\/billing(\/.*)?$/, /^\/api\/auth\/(login|logout)$/, /^\/api\/me$/, /^\/api\/tenant$/];

/** Whether `path` stays open on this (suspended) workspace so that it can be paid for. */
export function servedWhileSuspended(t: Pick<TenantSnapshot, 'status'> & { suspendedReason?: string | null }, path: string): boolean {
  return isBillingSuspension(t) && PAYMENT_RECOVERY_PATHS.some((p) => p.test(path));
}

/**
 * Why this workspace may not serve `path` (suspended, cancelled, pending), or null when it may.
 * `path` may stay open while it is suspended for billing. The one rule for every entry point:
 * HTTP middleware, and the chat rooms for frames on sockets opened before a change
 * (they pass a path no suspension leaves open).
 */
export function tenantRefusal(tenant: TenantSnapshot, path: string): DomainError | null {
  switch (tenant.status) {
    case 'suspended':
      return servedWhileSuspended(tenant, path) ? null : suspendedError(tenant);
    case 'cancelled':
      return new DomainError('tenant_cancelled', `The workspace "${tenant.name}" has been cancelled.`, { deletionScheduledAt: tenant.deletionScheduledAt });
    case 'pending':
      return new DomainError('tenant_pending', `The workspace "${tenant.name}" is not active yet.`);
    default:
      return null;
  }
}

/** Throws the refusal of `tenantRefusal`, if any. */
export function assertTenantUsable(tenant: TenantSnapshot, path: string): void {
  const refusal = tenantRefusal(tenant, path);
  if (refusal) throw refusal;
}

/** The refusal of a suspended workspace, saying what its kind of suspension leaves its people to do. */
export function suspendedError(tenant: Pick<TenantSnapshot, 'name' | 'status' | 'suspendedReason'>): DomainError {
  if (isBillingSuspension(tenant)) {
    return new DomainError(
      'tenant_suspended',
      `The workspace "${tenant.name}" is suspended because its subscription is not paid. An owner or admin can sign in and pay (GET /api/billing, POST /api/billing/portal).`,
      { reason: 'billing' },
    );
  }
  return new DomainError('tenant_suspended', `The workspace "${tenant.name}" is suspended. Its owner can contact support.`);
}
