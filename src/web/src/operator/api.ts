/**
 * The operator console's calls to the platform API and the shapes they answer (README
 * "Operator console"; src/tenancy/views.ts adminTenantView, src/usage/admin-report.ts,
 * src/routes/admin-domains.ts). Written out here like src/api/types.ts: the app never imports
 * Worker code. All of it goes through the app's one http client; the operator session is an
 * HttpOnly cookie the browser sends by itself, so nothing here ever holds a credential but the
 * token typed into the sign-in form, on its way to POST /api/admin/session.
 */
import { http, query, type RequestOptions } from '../api/client';
import type { PlanId, Tenant, TenantStatus, UsageReport } from '../api/types';

export interface OperatorSessionState {
  signedIn: boolean;
  /** null when signed in by other means (a bearer token), or signed out. */
  expiresAt: string | null;
}

/**
 * A tenant as a platform admin sees it (GET /api/tenants, GET /api/tenants/:id): what a workspace
 * says of itself (`plan` is what applies now, free after an expired trial; `billingPlan` what it
 * is subscribed to), and the owner, lifecycle and billing fields only operators see.
 */
export interface OperatorTenant extends Pick<Tenant, 'id' | 'name' | 'slug' | 'status' | 'plan' | 'billingPlan' | 'billingInterval' | 'trial'> {
  ownerEmail: string;
  ownerName: string;
  ownerUserId: string | null;
  createdAt: string;
  suspendedAt: string | null;
  suspendedReason: string | null;
  cancelledAt: string | null;
  deletionScheduledAt: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** Stripe's status of the subscription (active, trialing, past_due, unpaid, canceled, ...). */
  subscriptionStatus: string | null;
  pastDueSince: string | null;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  lastPaymentAt: string | null;
  /** In the currency's minor unit (cents). */
  lastPaymentAmount: number | null;
  lastPaymentStatus: string | null;
}

export interface TenantFilters {
  search?: string;
  status?: TenantStatus;
  plan?: PlanId;
}

export interface TenantPage {
  tenants: OperatorTenant[];
  nextCursor: string | null;
}

/** One custom domain of a tenant (GET /api/admin/domains). */
export interface OperatorDomain {
  id: string;
  hostname: string;
  status: 'pending' | 'active' | 'failed';
  serving: boolean;
  cloudflareStatus: string | null;
  sslStatus: string | null;
  failureReason: string | null;
  createdAt: string;
  verifiedAt: string | null;
  checkedAt: string | null;
}

/** The columns GET /api/admin/usage sorts by (src/usage/admin-report.ts SORT_KEYS). */
export type UsageSortKey = 'apiCalls' | 'storageBytes' | 'messages' | 'usersTotal' | 'usersActive' | 'channels' | 'files' | 'createdAt' | 'slug';
export type SortOrder = 'asc' | 'desc';

export interface TenantUsageRow {
  tenant: { id: string; slug: string; name: string; status: TenantStatus; plan: PlanId; billingPlan: PlanId; createdAt: string };
  usage: { usersTotal: number; usersActive: number; channels: number; messages: number; storageBytes: number; files: number; apiCalls: number };
  limits: UsageReport['limits'];
  exceeded: UsageReport['exceeded'];
  recordedAt: string | null;
}

export interface UsagePage {
  period: string;
  sort: UsageSortKey;
  order: SortOrder;
  tenants: TenantUsageRow[];
  nextCursor: string | null;
}

const PAGE = 25;

export const operatorApi = {
  session: (signal?: AbortSignal) => http.get<OperatorSessionState>('/api/admin/session', { signal }),
  signIn: (token: string) => http.post<OperatorSessionState>('/api/admin/session', { token }),
  signOut: () => http.delete<OperatorSessionState>('/api/admin/session'),

  tenants: (f: TenantFilters, cursor: string | null, options?: RequestOptions) =>
    http.get<TenantPage>(`/api/tenants${query({ search: f.search, status: f.status, plan: f.plan, limit: PAGE, cursor })}`, options),
  tenant: (id: string, signal?: AbortSignal) => http.get<{ tenant: OperatorTenant }>(`/api/tenants/${encodeURIComponent(id)}`, { signal }),
  tenantUsage: (id: string, signal?: AbortSignal) => http.get<UsagePage>(`/api/admin/usage${query({ tenantId: id, limit: 1 })}`, { signal }),
  tenantDomains: (id: string, signal?: AbortSignal) => http.get<{ domains: OperatorDomain[]; nextCursor: string | null }>(`/api/admin/domains${query({ tenantId: id, limit: 100 })}`, { signal }),

  suspend: (id: string, reason: string) => http.post<{ tenant: OperatorTenant }>(`/api/tenants/${encodeURIComponent(id)}/suspend`, reason ? { reason } : {}),
  unsuspend: (id: string) => http.post<{ tenant: OperatorTenant }>(`/api/tenants/${encodeURIComponent(id)}/unsuspend`),
  scheduleDeletion: (id: string) => http.delete<{ tenant: OperatorTenant; deletionScheduledAt: string | null }>(`/api/tenants/${encodeURIComponent(id)}`),
  restore: (id: string) => http.post<{ tenant: OperatorTenant }>(`/api/tenants/${encodeURIComponent(id)}/restore`),
  purge: (id: string) => http.delete<{ purged: true; id: string }>(`/api/tenants/${encodeURIComponent(id)}?purge=true`),

  usage: (sort: UsageSortKey, order: SortOrder, cursor: string | null, options?: RequestOptions) => http.get<UsagePage>(`/api/admin/usage${query({ sort, order, cursor, limit: 50 })}`, options),
};
