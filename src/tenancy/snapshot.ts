import type { Branding, BillingInterval, PlanId, TenantRow, TenantStatus } from '../db/schema';
import { entitlements, LIMIT_KEYS, type Entitlements } from './plans';

/**
 * What a request needs to know about its tenant, cached per host in the isolate and in KV.
 * Built from the tenant row; `version` increases with every write to the row.
 */
export interface TenantSnapshot {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  schemaName: string;
  roleName: string;
  billingPlan: PlanId;
  billingInterval: BillingInterval | null;
  trialEndsAt: string | null;
  limits: Record<string, number | null>;
  features: Record<string, boolean>;
  branding: Branding;
  version: number;
  cancelledAt: string | null;
  /** Why it is suspended (billing's own reason lets owners reach billing); absent in snapshots cached before it existed. */
  suspendedReason?: string | null;
  deletionScheduledAt: string | null;
  /**
   * The custom hostnames that serve it (active at Cloudflare). Requests on a custom host are
   * served only while the authoritative snapshot lists the host (src/domains/routing.ts); absent
   * in snapshots cached before custom domains existed, which therefore serve none.
   */
  customDomains?: string[];
}

export function snapshotFromRow(row: TenantRow): TenantSnapshot {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    schemaName: row.schemaName,
    roleName: row.roleName,
    billingPlan: row.billingPlan,
    billingInterval: row.billingInterval,
    trialEndsAt: row.trialEndsAt?.toISOString() ?? null,
    limits: row.limits,
    features: row.features,
    branding: row.branding,
    version: row.version,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    suspendedReason: row.suspendedReason,
    deletionScheduledAt: row.deletionScheduledAt?.toISOString() ?? null,
    customDomains: row.customDomains,
  };
}

export interface TrialState {
  endsAt: string;
  expired: boolean;
}

/** A trial that ended without a subscription falls back to the free plan; nothing is deleted. */
export function trialState(t: Pick<TenantSnapshot, 'status' | 'trialEndsAt'>, now = Date.now()): TrialState | null {
  if (t.status !== 'trial' || !t.trialEndsAt) return null;
  return { endsAt: t.trialEndsAt, expired: Date.parse(t.trialEndsAt) <= now };
}

export function effectivePlan(t: Pick<TenantSnapshot, 'status' | 'trialEndsAt' | 'billingPlan'>, now = Date.now()): PlanId {
  return trialState(t, now)?.expired ? 'free' : t.billingPlan;
}

export function tenantEntitlements(t: TenantSnapshot, now = Date.now()): Entitlements {
  const plan = effectivePlan(t, now);
  // Overrides are for custom deals; they apply to the plan the tenant actually pays for, not to
  // the free fallback after an expired trial.
  const useOverrides = plan === t.billingPlan;
  const limits = useOverrides ? pickLimits(t.limits) : {};
  return entitlements(plan, limits, useOverrides ? t.features : {});
}

function pickLimits(raw: Record<string, number | null>): Partial<Record<string, number | null>> {
  const out: Partial<Record<string, number | null>> = {};
  for (const k of LIMIT_KEYS) if (k in raw) out[k] = raw[k];
  return out;
}

/** GET /api/tenant: what a UI needs (useTenant / useTenantFeature). No internal names. */
export function publicTenantConfig(t: TenantSnapshot, now = Date.now()) {
  const ent = tenantEntitlements(t, now);
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    status: t.status,
    branding: t.branding,
    plan: effectivePlan(t, now),
    billingPlan: t.billingPlan,
    billingInterval: t.billingInterval,
    trial: trialState(t, now),
    features: ent.features,
    limits: ent.limits,
  };
}

/** Lookups by slug or domain for anyone: enough to render a login page, nothing more. */
export function publicTenantFields(t: Pick<TenantRow, 'id' | 'name' | 'slug' | 'status' | 'branding' | 'billingPlan'>) {
  return { id: t.id, name: t.name, slug: t.slug, status: t.status, branding: t.branding, plan: t.billingPlan };
}
