import type { PlanId } from '../db/schema';
import { DomainError } from '../domain/errors';
import { FEATURES, PLANS, type Feature, type LimitKey } from './plans';
import { effectivePlan, tenantEntitlements, type TenantSnapshot } from './snapshot';

/**
 * What a tenant's plan lets it do, as errors: 403 feature_not_in_plan for a feature the plan
 * lacks, 402 plan_limit for a count the plan caps. Both name what to upgrade to.
 */
export function plansWith(feature: Feature): PlanId[] {
  return (Object.keys(PLANS) as PlanId[]).filter((p) => PLANS[p].features.includes(feature));
}

export function requireFeature(tenant: TenantSnapshot, feature: Feature, now = Date.now()): void {
  const refusal = featureRefusal(tenant, feature, now);
  if (refusal) throw refusal;
}

/** The refusal for a feature the tenant's plan lacks, or null when it has it. */
export function featureRefusal(tenant: TenantSnapshot, feature: Feature, now = Date.now()): DomainError | null {
  if (tenantEntitlements(tenant, now).features[feature]) return null;
  const plan = effectivePlan(tenant, now);
  return new DomainError('feature_not_in_plan', `${FEATURE_NAMES[feature]} is not part of the ${PLANS[plan].name} plan.`, {
    feature,
    plan,
    availableOn: plansWith(feature),
  });
}

/**
 * One of the plan's caps as a use case needs it: how many (null: unlimited), and the plan, to
 * say what to upgrade to. Use cases that add a counted thing take a Cap, enforce it inside their
 * own statement (under concurrency), and refuse with `capExceeded`: the one way a plan limit is
 * signalled, whatever the entry point.
 */
export interface Cap {
  key: LimitKey;
  limit: number | null;
  plan: PlanId;
}

export function capOf(tenant: TenantSnapshot, key: LimitKey, now = Date.now()): Cap {
  return { key, limit: tenantEntitlements(tenant, now).limits[key], plan: effectivePlan(tenant, now) };
}

/** The 402 plan_limit refusal: `used` of `cap.limit` are taken. */
export function capExceeded(cap: Cap, used: number, extra: Record<string, unknown> = {}): DomainError {
  return planLimitErrorFor(cap.plan, cap.key, cap.limit ?? 0, used, extra);
}

/** The same error when the effective plan is already known (e.g. an upload policy). */
export function planLimitErrorFor(plan: PlanId, key: LimitKey, limit: number, used: number, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError('plan_limit', `The ${PLANS[plan].name} plan allows ${limit} ${LIMIT_NAMES[key]}; ${upgradeAvailable(plan) ? 'upgrade for more' : 'contact us for more'}.`, {
    resource: key,
    limit,
    used,
    ...extra,
    plan,
    upgrade: upgradeAvailable(plan),
  });
}

/** Whether a higher plan can be bought through checkout (enterprise and custom deals are the top). */
export function upgradeAvailable(plan: PlanId): boolean {
  return plan !== 'enterprise' && plan !== 'custom';
}

const LIMIT_NAMES: Record<LimitKey, string> = {
  users: 'users',
  channels: 'channels',
  storageBytes: 'bytes of storage',
  apiCallsPerMonth: 'API calls a month',
  requestsPerMinute: 'requests a minute',
  uploadBytes: 'bytes per file',
  customDomains: 'custom domains',
};

const FEATURE_NAMES: Record<Feature, string> = Object.fromEntries(
  FEATURES.map((f) => [f, f.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase())]),
) as Record<Feature, string>;
