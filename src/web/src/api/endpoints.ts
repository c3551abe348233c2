import { http, query, type RequestOptions } from './client';
import type {
  AttachmentView,
  AuditEntry,
  AuditFilters,
  BillingInterval,
  BillingView,
  ChannelView,
  ChatMessage,
  CreatedTenant,
  DomainList,
  DomainView,
  InvitationPreview,
  InvitationView,
  MessagePage,
  PaidPlanId,
  PlanOffer,
  Role,
  SearchResult,
  SlugAvailability,
  SubscriptionChange,
  TenantResponse,
  ThreadPage,
  UsageHistory,
  UsageReport,
  UserView,
} from './types';

/** Typed calls, one per endpoint the app uses. Paths and bodies as in the README's API. */

const enc = encodeURIComponent;

export const api = {
  // ---- the workspace (or the platform) this host serves ----
  bootstrap: (options?: RequestOptions) => http.get<TenantResponse>('/api/tenant?include=session', options),

  // ---- sign-up (platform host) ----
  slugAvailability: (slug: string, signal?: AbortSignal) => http.get<SlugAvailability>(`/api/tenants/slug-availability${query({ slug })}`, { signal }),
  createTenant: (body: { name: string; slug: string; ownerEmail: string; ownerName: string; ownerPassword: string; plan: 'free' | 'pro'; trial: boolean }) =>
    http.post<CreatedTenant>('/api/tenants/create', body),

  // ---- sessions ----
  login: (email: string, password: string) => http.post<{ user: UserView }>('/api/auth/login', { email, password }),
  logout: () => http.post<void>('/api/auth/logout'),
  handoff: (code: string) => http.post<{ user: UserView }>('/api/auth/handoff', { code }),
  me: () => http.get<{ user: UserView }>('/api/me'),

  // ---- people ----
  users: (q: { search?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
    http.get<{ users: UserView[]; nextCursor: string | null }>(`/api/users${query(q)}`, { signal }),
  user: (id: string) => http.get<{ user: UserView }>(`/api/users/${enc(id)}`),

  // ---- invitations ----
  invite: (email: string, role: Role) => http.post<{ invitation: InvitationView; acceptUrl: string }>('/api/invitations', { email, role }),
  invitationPreview: (token: string) => http.get<InvitationPreview>(`/api/invitations/${enc(token)}/preview`),
  acceptInvitation: (token: string, displayName: string, password: string) =>
    http.post<{ user: UserView }>(`/api/invitations/${enc(token)}/accept`, { displayName, password }),

  // ---- channels ----
  channels: () => http.get<{ channels: ChannelView[] }>('/api/channels'),
  channel: (id: string) => http.get<{ channel: ChannelView }>(`/api/channels/${enc(id)}`),
  createChannel: (body: { name: string; kind: 'public' | 'private'; topic?: string; memberIds?: string[] }) => http.post<{ channel: ChannelView }>('/api/channels', body),
  updateChannel: (id: string, body: { name?: string; topic?: string; description?: string }) => http.patch<{ channel: ChannelView }>(`/api/channels/${enc(id)}`, body),
  joinChannel: (id: string) => http.post<{ channel: ChannelView }>(`/api/channels/${enc(id)}/join`),
  leaveChannel: (id: string) => http.post<{ left: true }>(`/api/channels/${enc(id)}/leave`),
  archiveChannel: (id: string) => http.post<{ channel: ChannelView }>(`/api/channels/${enc(id)}/archive`),
  unarchiveChannel: (id: string) => http.post<{ channel: ChannelView }>(`/api/channels/${enc(id)}/unarchive`),
  openDm: (userId: string) => http.post<{ channel: ChannelView }>('/api/dms', { userId }),

  // ---- messages ----
  messages: (channelId: string, before?: number, limit = 50, signal?: AbortSignal) =>
    http.get<MessagePage>(`/api/channels/${enc(channelId)}/messages${query({ before, limit })}`, { signal }),
  thread: (messageId: number, after?: number) => http.get<ThreadPage>(`/api/messages/${messageId}/thread${query({ after, limit: 100 })}`),
  editMessage: (id: number, text: string) => http.patch<{ message: ChatMessage }>(`/api/messages/${id}`, { text }),
  deleteMessage: (id: number) => http.delete<{ message: ChatMessage }>(`/api/messages/${id}`),
  addReaction: (id: number, emoji: string) => http.post<unknown>(`/api/messages/${id}/reactions`, { emoji }),
  removeReaction: (id: number, emoji: string) => http.delete<unknown>(`/api/messages/${id}/reactions/${enc(emoji)}`),
  search: (q: string, cursor?: string | null, signal?: AbortSignal) =>
    http.get<{ results: SearchResult[]; nextCursor: string | null }>(`/api/search${query({ q, limit: 20, cursor })}`, { signal }),

  // ---- members (owners and admins) ----
  members: (status: 'active' | 'deactivated' | 'all' = 'all', cursor?: string | null) =>
    http.get<{ users: UserView[]; nextCursor: string | null }>(`/api/users${query({ status, limit: 100, cursor })}`),
  setRole: (id: string, role: Role) => http.put<{ user: UserView }>(`/api/users/${enc(id)}/role`, { role }),
  deactivate: (id: string) => http.post<{ user: UserView }>(`/api/users/${enc(id)}/deactivate`),
  reactivate: (id: string) => http.post<{ user: UserView }>(`/api/users/${enc(id)}/reactivate`),
  invitations: () => http.get<{ invitations: InvitationView[]; nextCursor: string | null }>(`/api/invitations${query({ status: 'pending', limit: 100 })}`),
  resendInvitation: (id: string) => http.post<{ invitation: InvitationView; acceptUrl: string }>(`/api/invitations/${enc(id)}/resend`),
  revokeInvitation: (id: string) => http.delete<{ invitation: InvitationView }>(`/api/invitations/${enc(id)}`),
  /** The workspace's config with each cap's use (seats), as a member sees it. */
  tenantUsage: () => http.get<TenantResponse>('/api/tenant'),

  // ---- billing (owners and admins) ----
  billing: (signal?: AbortSignal) => http.get<{ billing: BillingView; plans: PlanOffer[] }>('/api/billing', { signal }),
  /** Starts a Stripe Checkout; the return URLs default to /billing?checkout=success|cancelled on this host. */
  checkout: (plan: PaidPlanId, interval: BillingInterval) => http.post<{ checkout: { id: string; url: string } }>('/api/billing/checkout', { plan, interval }),
  billingPortal: (returnUrl?: string) => http.post<{ portal: { url: string } }>('/api/billing/portal', returnUrl ? { returnUrl } : {}),
  changePlan: (plan: PaidPlanId, interval: BillingInterval) =>
    http.put<{ subscription: SubscriptionChange; plan: string; note: string }>('/api/billing/subscription', { plan, interval }),
  cancelSubscription: () => http.delete<{ subscription: SubscriptionChange }>('/api/billing/subscription'),
  resumeSubscription: () => http.post<{ subscription: SubscriptionChange }>('/api/billing/subscription/resume'),

  // ---- usage (owners and admins) ----
  usage: (period?: string, signal?: AbortSignal) => http.get<UsageReport>(`/api/tenant/usage${query({ period })}`, { signal }),
  usageHistory: (signal?: AbortSignal) => http.get<UsageHistory>('/api/tenant/usage/history', { signal }),

  // ---- audit log (owners and admins; plans with auditLog) ----
  auditLog: (f: AuditFilters, cursor?: string | null, limit = 50, signal?: AbortSignal) =>
    http.get<{ entries: AuditEntry[]; nextCursor: string | null }>(`/api/tenant/audit-logs${query({ ...f, cursor, limit })}`, { signal }),

  // ---- custom domains (owners and admins) ----
  domains: (signal?: AbortSignal) => http.get<DomainList>('/api/tenant/domains', { signal }),
  addDomain: (hostname: string) => http.post<{ domain: DomainView }>('/api/tenant/domains', { hostname }),
  refreshDomain: (id: string) => http.post<{ domain: DomainView }>(`/api/tenant/domains/${enc(id)}/refresh`),
  removeDomain: (id: string) => http.delete<{ removed: { id: string; hostname: string } }>(`/api/tenant/domains/${enc(id)}`),
};

export type { AttachmentView };
