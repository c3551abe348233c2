import type { Limits } from '../tenancy/plans';
import type { MeasuredUsage } from './measure';

/**
 * A month's usage against the plan: the figures, and per capped resource how much of the cap
 * is used. Shared by the tenant's own report, its history, the platform admin's cross-tenant
 * view and GET /api/tenant's list of exceeded limits, so they all count the same way.
 */
export interface UsageFigures extends MeasuredUsage {
  storageBytes: number;
  files: number;
  apiCalls: number;
  apiCallsByRoute: Record<string, number>;
}

/** The resources with a monthly or standing cap, in the order reports list them. */
export const CAPPED_RESOURCES = ['users', 'channels', 'storageBytes', 'apiCallsPerMonth'] as const;
export type CappedResource = (typeof CAPPED_RESOURCES)[number];

/** Below 80%: ok; from 80%: near; at the cap: at_limit (nothing more can be added); past it: over. */
export type LimitState = 'ok' | 'near' | 'at_limit' | 'over';

export interface LimitUse {
  used: number;
  /** null: unlimited. */
  limit: number | null;
  /** Whole percent (rounded down), null when unlimited. */
  percent: number | null;
  state: LimitState;
}

export const ALERT_THRESHOLDS = [80, 100] as const;

/** What counts against each cap: seats are active users plus open invitations. */
export function usedOf(figures: UsageFigures, resource: CappedResource): number {
  switch (resource) {
    case 'users':
      return figures.usersTotal + figures.invitationsPending;
    case 'channels':
      return figures.channels;
    case 'storageBytes':
      return figures.storageBytes;
    case 'apiCallsPerMonth':
      return figures.apiCalls;
  }
}

export function limitUse(used: number, limit: number | null): LimitUse {
  if (limit === null) return { used, limit, percent: null, state: 'ok' };
  const percent = limit === 0 ? (used > 0 ? 100 : 0) : Math.floor((used * 100) / limit);
  const state: LimitState = used > limit ? 'over' : used === limit ? 'at_limit' : percent >= 80 ? 'near' : 'ok';
  return { used, limit, percent, state };
}

export function limitUses(figures: UsageFigures, limits: Limits): Record<CappedResource, LimitUse> {
  return Object.fromEntries(CAPPED_RESOURCES.map((r) => [r, limitUse(usedOf(figures, r), limits[r])])) as Record<CappedResource, LimitUse>;
}

export interface ExceededLimit {
  resource: CappedResource;
  used: number;
  limit: number;
}

/** Caps the tenant is past (after a downgrade or a trial's end): kept, but nothing more is added. */
export function exceededLimits(uses: Record<CappedResource, LimitUse>): ExceededLimit[] {
  return CAPPED_RESOURCES.flatMap((resource) => {
    const u = uses[resource];
    return u.state === 'over' && u.limit !== null ? [{ resource, used: u.used, limit: u.limit }] : [];
  });
}

export function emptyFigures(): UsageFigures {
  return { usersTotal: 0, usersActive: 0, invitationsPending: 0, channels: 0, messages: 0, storageBytes: 0, files: 0, apiCalls: 0, apiCallsByRoute: {} };
}

/** A public.tenant_usage row (raw SQL, snake_case) as figures. Open invitations are not stored. */
export function figuresFromUsageRow(row: Record<string, unknown> | undefined, invitationsPending = 0): UsageFigures {
  if (!row) return { ...emptyFigures(), invitationsPending };
  return {
    usersTotal: Number(row.users_total ?? 0),
    usersActive: Number(row.users_active ?? 0),
    invitationsPending,
    channels: Number(row.channels ?? 0),
    messages: Number(row.messages ?? 0),
    storageBytes: Number(row.storage_bytes ?? 0),
    files: Number(row.files ?? 0),
    apiCalls: Number(row.api_calls ?? 0),
    apiCallsByRoute: parseByRoute(row.api_calls_by_endpoint),
  };
}

function parseByRoute(value: unknown): Record<string, number> {
  const obj = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!obj || typeof obj !== 'object') return {};
  return Object.fromEntries(Object.entries(obj as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));
}
