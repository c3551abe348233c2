import type { BillingInterval, PlanId } from '../db/schema';

/**
 * The plan catalogue: one place for what each plan allows. A limit of `null` means unlimited.
 * Per-tenant overrides (custom deals) come from the tenant row's `limits` and `features`.
 */
export const FEATURES = [
  'publicChannels',
  'privateChannels',
  'directMessages',
  'threads',
  'reactions',
  'fileUploads',
  'search',
  'analytics',
  'auditLog',
  'customBranding',
  'customDomains',
  'apiAccess',
  'sso',
  'prioritySupport',
] as const;
export type Feature = (typeof FEATURES)[number];

export const LIMIT_KEYS = ['users', 'channels', 'storageBytes', 'apiCallsPerMonth', 'requestsPerMinute', 'uploadBytes', 'customDomains'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];
export type Limits = Record<LimitKey, number | null>;

export interface Plan {
  id: PlanId;
  name: string;
  limits: Limits;
  features: Feature[];
  /** Prices in US cents; null: not sold through checkout. */
  priceMonthly: number | null;
  priceYearly: number | null;
}

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const BASIC: Feature[] = ['publicChannels', 'privateChannels', 'directMessages', 'threads', 'reactions', 'fileUploads'];
const PRO: Feature[] = [...BASIC, 'search', 'analytics', 'auditLog', 'customBranding', 'customDomains', 'apiAccess'];
const ENTERPRISE: Feature[] = [...PRO, 'sso', 'prioritySupport'];

export const PLANS: Record<PlanId, Plan> = {
  free: {
    id: 'free',
    name: 'Free',
    limits: { users: 10, channels: 5, storageBytes: 1 * GB, apiCallsPerMonth: 1_000, requestsPerMinute: 60, uploadBytes: 10 * MB, customDomains: 0 },
    features: BASIC,
    priceMonthly: 0,
    priceYearly: 0,
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    limits: { users: 100, channels: 50, storageBytes: 100 * GB, apiCallsPerMonth: 50_000, requestsPerMinute: 120, uploadBytes: 100 * MB, customDomains: 2 },
    features: PRO,
    priceMonthly: 1_500,
    priceYearly: 15_000,
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    limits: { users: null, channels: null, storageBytes: null, apiCallsPerMonth: null, requestsPerMinute: 300, uploadBytes: 1 * GB, customDomains: 20 },
    features: ENTERPRISE,
    priceMonthly: 9_900,
    priceYearly: 99_000,
  },
  // Custom deals start from enterprise; a platform admin sets the tenant's own limits/features.
  custom: {
    id: 'custom',
    name: 'Custom',
    limits: { users: null, channels: null, storageBytes: null, apiCallsPerMonth: null, requestsPerMinute: 300, uploadBytes: 1 * GB, customDomains: 20 },
    features: ENTERPRISE,
    priceMonthly: null,
    priceYearly: null,
  },
};

export interface Entitlements {
  limits: Limits;
  features: Record<Feature, boolean>;
}

/** The plan's limits and features with the tenant's own overrides applied. */
export function entitlements(plan: PlanId, limitOverrides: Partial<Record<string, number | null>> = {}, featureOverrides: Partial<Record<string, boolean>> = {}): Entitlements {
  const base = PLANS[plan];
  const limits = { ...base.limits };
  for (const key of LIMIT_KEYS) if (key in limitOverrides) limits[key] = limitOverrides[key] ?? null;
  const features = Object.fromEntries(FEATURES.map((f) => [f, featureOverrides[f] ?? base.features.includes(f)])) as Record<Feature, boolean>;
  return { limits, features };
}

/**
 * The plans sold through Stripe Checkout and their Stripe prices. Price ids come from
 * configuration (they differ between test and live mode); this is the one place that maps a
 * plan and interval to a price and a price back to a plan, so the webhook can tell which plan
 * a subscription pays for.
 */
export const PAID_PLANS = ['pro', 'enterprise'] as const;
export type PaidPlanId = (typeof PAID_PLANS)[number];
export const BILLING_INTERVALS = ['monthly', 'yearly'] as const;

export type PriceIds = Record<PaidPlanId, Record<BillingInterval, string | undefined>>;

export interface PriceConfig {
  STRIPE_PRICE_PRO_MONTHLY?: string;
  STRIPE_PRICE_PRO_YEARLY?: string;
  STRIPE_PRICE_ENTERPRISE_MONTHLY?: string;
  STRIPE_PRICE_ENTERPRISE_YEARLY?: string;
}

export function priceIds(config: PriceConfig): PriceIds {
  return {
    pro: { monthly: config.STRIPE_PRICE_PRO_MONTHLY, yearly: config.STRIPE_PRICE_PRO_YEARLY },
    enterprise: { monthly: config.STRIPE_PRICE_ENTERPRISE_MONTHLY, yearly: config.STRIPE_PRICE_ENTERPRISE_YEARLY },
  };
}

/** The Stripe price of a plan at an interval, or undefined when it is not configured. */
export function priceFor(config: PriceConfig, plan: PaidPlanId, interval: BillingInterval): string | undefined {
  return priceIds(config)[plan][interval];
}

/** Which plan and interval a Stripe price sells, or null for a price the catalogue does not know. */
export function planForPrice(config: PriceConfig, priceId: string): { plan: PaidPlanId; interval: BillingInterval } | null {
  const ids = priceIds(config);
  for (const plan of PAID_PLANS) {
    for (const interval of BILLING_INTERVALS) if (ids[plan][interval] === priceId) return { plan, interval };
  }
  return null;
}
