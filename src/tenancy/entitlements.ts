import type { PlanId } from '../db/schema';
import { ApiError } from '../http/errors';
import { FEATURES, PLANS, type Feature, type LimitKey } from './plans';
import { effectivePlan, tenantEntitlements, type TenantSnapshot } from './snapshot';

/**
 * What a tenant's plan lets it do, as errors: 403 feature_not_in_plan for a feature the plan
 * lacks, 402 plan_limit for a count the plan caps. Both name what to upgrade to.
 */
export function plansWith(feature: Feature): PlanId[] {
  return (Object.keys(PLANS) as PlanId[]).filter((p) => PLANS[p].features.includes(feature));
}

export function requireFeature(tenant: TenantSnapshot, feature: Feature): void {
  if (tenantEntitlements(tenant).features[feature]) return;
  const plan = effectivePlan(tenant);
  throw new ApiError(403, 'feature_not_in_plan', `${FEATURE_NAMES[feature]} is not part of the ${PLANS[plan].name} plan.`, {
    feature,
    plan,
    availableOn: plansWith(feature),
  });
}

/** The plan's cap for `key` (null: unlimited). */
export function limitOf(tenant: TenantSnapshot, key: LimitKey): number | null {
  return tenantEntitlements(tenant).limits[key];
}

export function planLimitError(tenant: TenantSnapshot, key: LimitKey, limit: number, used: number, extra: Record<string, unknown> = {}): ApiError {
  return planLimitErrorFor(effectivePlan(tenant), key, limit, used, extra);
}

/** The same error when the effective plan is already known (e.g. an upload policy). */
export function planLimitErrorFor(plan: PlanId, key: LimitKey, limit: number, used: number, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(402, 'plan_limit', `The ${PLANS[plan].name} plan allows ${limit} ${LIMIT_NAMES[key]}; ${upgradeAvailable(plan) ? 'upgrade for more' : 'contact us for more'}.`, {
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
};

const FEATURE_NAMES: Record<Feature, string> = Object.fromEntries(
  FEATURES.map((f) => [f, f.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase())]),
) as Record<Feature, string>;
