import type { TenantRow } from '../db/schema';
import { snapshotFromRow, publicTenantConfig } from './snapshot';

/** The workspace address, in the same scheme (and port, locally) the request came in on. */
export function workspaceUrl(requestUrl: string, hostHeader: string | undefined, slug: string, baseDomain: string): string {
  const url = new URL(requestUrl);
  const port = hostHeader?.match(/:(\d+)$/)?.[1];
  return `${url.protocol}//${slug}.${baseDomain}${port ? `:${port}` : ''}`;
}

/** A tenant as its owner sees it. */
export function ownerTenantView(row: TenantRow, now = Date.now()) {
  const config = publicTenantConfig(snapshotFromRow(row), now);
  return {
    ...config,
    ownerEmail: row.ownerEmail,
    ownerName: row.ownerName,
    currentPeriodEnd: row.currentPeriodEnd?.toISOString() ?? null,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    suspendedAt: row.suspendedAt?.toISOString() ?? null,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    deletionScheduledAt: row.deletionScheduledAt?.toISOString() ?? null,
  };
}

/** A tenant as a platform admin sees it: everything, including internal names and Stripe ids. */
export function adminTenantView(row: TenantRow, now = Date.now()) {
  return {
    ...ownerTenantView(row, now),
    ownerUserId: row.ownerUserId,
    schemaName: row.schemaName,
    roleName: row.roleName,
    schemaVersion: row.schemaVersion,
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    stripePriceId: row.stripePriceId,
    subscriptionStatus: row.subscriptionStatus,
    pastDueSince: row.pastDueSince?.toISOString() ?? null,
    billingSyncedAt: row.billingSyncedAt?.toISOString() ?? null,
    currentPeriodStart: row.currentPeriodStart?.toISOString() ?? null,
    lastPaymentAt: row.lastPaymentAt?.toISOString() ?? null,
    lastPaymentAmount: row.lastPaymentAmount,
    lastPaymentStatus: row.lastPaymentStatus,
    limitOverrides: row.limits,
    featureOverrides: row.features,
    metadata: row.metadata,
    suspendedReason: row.suspendedReason,
    version: row.version,
  };
}
