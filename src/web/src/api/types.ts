/**
 * The public API's shapes, as the web app sees them (README "API so far" and the contract the
 * Worker answers with). Written out here on purpose: the app never imports Worker code.
 */

export type Role = 'owner' | 'admin' | 'member' | 'guest';

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: string;
  avatarUrl: string | null;
  statusText: string | null;
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type FeatureName =
  | 'publicChannels'
  | 'privateChannels'
  | 'directMessages'
  | 'threads'
  | 'reactions'
  | 'fileUploads'
  | 'search'
  | 'analytics'
  | 'auditLog'
  | 'customBranding'
  | 'customDomains'
  | 'apiAccess'
  | 'sso'
  | 'prioritySupport';

export type LimitName = 'users' | 'channels' | 'storageBytes' | 'apiCallsPerMonth' | 'requestsPerMinute' | 'uploadBytes' | 'customDomains';

export interface Branding {
  appName?: string;
  logoUrl?: string;
  primaryColor?: string;
  accentColor?: string;
}

export type PlanId = 'free' | 'pro' | 'enterprise' | 'custom';
export type TenantStatus = 'pending' | 'trial' | 'active' | 'suspended' | 'cancelled';

export interface LimitUse {
  used: number;
  limit: number | null;
  percent: number | null;
  state: string;
}

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  branding: Branding;
  plan: PlanId;
  billingPlan: PlanId;
  billingInterval: 'monthly' | 'yearly' | null;
  trial: { endsAt: string; expired: boolean } | null;
  features: Record<FeatureName, boolean>;
  limits: Record<LimitName, number | null>;
  usage?: Record<string, LimitUse>;
  limitsExceeded?: { resource: string; used: number; limit: number }[];
}

export interface PlatformInfo {
  baseDomain: string;
  trialDays: number;
}

export type ChannelKind = 'public' | 'private' | 'direct';

export interface ChannelView {
  id: string;
  kind: ChannelKind;
  name: string;
  topic: string;
  description: string;
  createdBy: string | null;
  lastSeq: number;
  lastMessageAt: string | null;
  archivedAt: string | null;
  createdAt: string;
  isMember: boolean;
  memberRole: 'owner' | 'member' | null;
  lastReadSeq: number | null;
  unreadCount: number | null;
  dmWith?: { id: string; displayName: string } | null;
}

export interface SessionBootstrap {
  user: UserView;
  channels: ChannelView[];
}

/** GET /api/tenant?include=session: the platform host's answer, or a workspace's (session null when signed out). */
export type TenantResponse = { tenant: null; platform: PlatformInfo } | { tenant: Tenant; session: SessionBootstrap | null };

export interface AttachmentView {
  id: string;
  channelId: string;
  messageId: number | null;
  uploaderId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  url: string;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  users: string[];
}

export interface ChatMessage {
  id: number;
  channelId: string;
  seq: number;
  userId: string;
  parentId: number | null;
  text: string;
  clientId: string | null;
  replyCount: number;
  lastReplyAt: string | null;
  editedAt: string | null;
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  mentions: string[];
  reactions: ReactionSummary[];
  attachments: AttachmentView[];
}

export interface MessagePage {
  messages: ChatMessage[];
  hasMore: boolean;
  order: 'newest_first' | 'oldest_first';
}

export interface ThreadPage {
  parent: ChatMessage;
  replies: ChatMessage[];
  hasMore: boolean;
}

export interface SearchResult {
  message: ChatMessage;
  channelName: string | null;
  rank: number;
  highlight: string;
}

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  status: string;
  expiresAt: string;
}

export interface InvitationPreview {
  invitation: { email: string; role: Role; expiresAt: string };
  workspace: { name: string; slug: string };
}

export type SlugAvailability =
  | { slug: string; available: true }
  | { slug: string; available: false; reason: 'taken' | 'reserved' | 'invalid'; message: string };

export interface CreatedTenant {
  tenant: { id: string; slug: string; name: string };
  owner: UserView;
  token: string;
  url: string;
  handoffUrl?: string;
}

/** Frames a channel's room sends (docs/chat.md). */
export type RoomFrame =
  | { type: 'ready'; userId: string; lastSeq: number; online: string[] }
  | { type: 'message.created'; message: ChatMessage; replay?: true }
  | { type: 'message.updated'; message: ChatMessage }
  | { type: 'message.deleted'; messageId: number; seq: number; deletedAt: string }
  | { type: 'thread.reply'; parentId: number; replyCount: number; lastReplyAt: string | null; message: ChatMessage }
  | { type: 'reaction.added' | 'reaction.removed'; messageId: number; emoji: string; userId: string }
  | { type: 'typing'; userId: string }
  | { type: 'presence'; online: string[] }
  | { type: 'read'; userId: string; seq: number }
  | { type: 'replay.truncated'; fromSeq: number; toSeq: number }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string; details?: unknown; clientId?: string | null };

/** Frames of the per-person stream (/api/me/stream): its events carry the stream's own seq. */
export type StreamFrame =
  | ({ seq: number } & (
      | { type: 'activity'; channelId: string; messageId: number; messageSeq: number; authorId: string; parentId: number | null; at: string; mention: boolean }
      | { type: 'channel.added'; channel: ChannelView }
      | { type: 'channel.updated'; channel: ChannelView }
      | { type: 'channel.removed'; channelId: string }
      | { type: 'read'; channelId: string; lastReadSeq: number }
      | { type: 'ready' }
      /** Away too long for the events since `?since=` to be kept: read the bootstrap again. */
      | { type: 'resync' }
    ))
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

/** A custom domain (GET /api/tenant/domains): where Cloudflare stands and what the customer must create. */
export interface DomainView {
  id: string;
  hostname: string;
  status: 'pending' | 'active' | 'failed';
  serving: boolean;
  cloudflareStatus: string | null;
  sslStatus: string | null;
  verificationErrors: string[];
  failureReason: string | null;
  dnsRecords: { type: 'CNAME' | 'TXT'; name: string; value: string; purpose: 'routing' | 'ownership' | 'certificate' }[];
  createdAt: string;
  verifiedAt: string | null;
  checkedAt: string | null;
  nextCheckAt: string | null;
}

export interface DomainList {
  domains: DomainView[];
  /** How many the plan allows (null: no cap). */
  limit: number | null;
  /** The CNAME target. */
  target: string;
}

/** One row of GET /api/tenant/audit-logs. */
export interface AuditEntry {
  id: number;
  action: string;
  actor: { type: 'user' | 'platform_admin' | 'system' | 'stripe'; id: string | null };
  resource: { type: string | null; id: string | null };
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: string;
}

export interface AuditFilters {
  action?: string;
  actorId?: string;
  from?: string;
  to?: string;
}

export type BillingInterval = 'monthly' | 'yearly';
export type PaidPlanId = 'pro' | 'enterprise';

/** GET /api/billing's `billing`: what the workspace pays for (src/billing/views.ts). */
export interface BillingView {
  plan: PlanId;
  interval: BillingInterval | null;
  /** Stripe's subscription status, or `none`. */
  status: string;
  workspaceStatus: TenantStatus;
  hasSubscription: boolean;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  trialEndsAt: string | null;
  pastDueSince: string | null;
  graceEndsAt: string | null;
  lastPayment: { at: string; amount: number | null; currency: string; status: string | null } | null;
  /** Stripe is configured on this server (a key is set). */
  checkoutAvailable: boolean;
}

/** A plan on sale (GET /api/billing's `plans`); amounts in US cents. */
export interface PlanOffer {
  id: PaidPlanId;
  name: string;
  limits: Record<LimitName, number | null>;
  features: FeatureName[];
  prices: Record<BillingInterval, { amount: number | null; currency: string; available: boolean }>;
}

/** A subscription as Stripe answered a change: what was asked for, before the webhook confirms it. */
export interface SubscriptionChange {
  plan: PaidPlanId | null;
  interval: BillingInterval | null;
  status: string;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
}

/** A month's figures (src/usage/report.ts UsageFigures). */
export interface UsageFigures {
  usersTotal: number;
  usersActive: number;
  invitationsPending: number;
  channels: number;
  messages: number;
  storageBytes: number;
  files: number;
  apiCalls: number;
  apiCallsByRoute: Record<string, number>;
}

export type CappedResource = 'users' | 'channels' | 'storageBytes' | 'apiCallsPerMonth';

/** GET /api/tenant/usage. */
export interface UsageReport {
  period: string;
  current: boolean;
  measuredAt: string;
  plan: PlanId;
  usage: UsageFigures;
  limits: Record<CappedResource, LimitUse>;
  exceeded: { resource: CappedResource; used: number; limit: number }[];
}

/** GET /api/tenant/usage/history: the last 12 months, oldest first. */
export interface UsageHistory {
  plan: PlanId;
  limits: Record<LimitName, number | null>;
  months: { period: string; current: boolean; usage: UsageFigures }[];
}
