import { bigint, boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Drizzle table definitions. The SQL in migrations/ is the source of truth for the database;
 * these describe it for typed queries. Public tables are schema-qualified; tenant tables
 * (below) are not: TenantDb sets search_path to the tenant's schema for each transaction.
 */
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const schemaMigrations = pgTable('schema_migrations', {
  version: text('version').primaryKey(),
  name: text('name').notNull(),
  checksum: text('checksum').notNull(),
  appliedAt: ts('applied_at').notNull().defaultNow(),
});

export type TenantStatus = 'pending' | 'trial' | 'active' | 'suspended' | 'cancelled';
export type PlanId = 'free' | 'pro' | 'enterprise' | 'custom';
export type BillingInterval = 'monthly' | 'yearly';

export interface Branding {
  appName?: string;
  primaryColor?: string;
  accentColor?: string;
  logoUrl?: string;
}

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull(),
  status: text('status').$type<TenantStatus>().notNull(),
  ownerEmail: text('owner_email').notNull(),
  ownerName: text('owner_name').notNull(),
  ownerUserId: uuid('owner_user_id'),
  schemaName: text('schema_name').notNull(),
  roleName: text('role_name').notNull(),
  schemaVersion: text('schema_version'),
  billingPlan: text('billing_plan').$type<PlanId>().notNull(),
  billingInterval: text('billing_interval').$type<BillingInterval>(),
  stripeCustomerId: text('stripe_customer_id'),
  stripeSubscriptionId: text('stripe_subscription_id'),
  stripePriceId: text('stripe_price_id'),
  currentPeriodStart: ts('current_period_start'),
  currentPeriodEnd: ts('current_period_end'),
  cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull(),
  trialEndsAt: ts('trial_ends_at'),
  lastPaymentAt: ts('last_payment_at'),
  lastPaymentAmount: integer('last_payment_amount'),
  lastPaymentStatus: text('last_payment_status'),
  /** Stripe's status of the subscription (migration 0003); null without one. */
  subscriptionStatus: text('subscription_status'),
  /** When the subscription went past due; the grace period counts from here (migration 0003). */
  pastDueSince: ts('past_due_since'),
  /** When the subscription state the row holds was fetched from Stripe; an older fetch never overwrites it (migration 0005). */
  billingSyncedAt: ts('billing_synced_at'),
  limits: jsonb('limits').$type<Record<string, number | null>>().notNull(),
  features: jsonb('features').$type<Record<string, boolean>>().notNull(),
  branding: jsonb('branding').$type<Branding>().notNull(),
  /** Active custom hostnames serving the workspace (migration 0006; src/domains/). */
  customDomains: text('custom_domains').array().notNull().default([]),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  version: integer('version').notNull(),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
  suspendedAt: ts('suspended_at'),
  suspendedReason: text('suspended_reason'),
  cancelledAt: ts('cancelled_at'),
  deletionScheduledAt: ts('deletion_scheduled_at'),
  deletedAt: ts('deleted_at'),
});
export type TenantRow = typeof tenants.$inferSelect;

export const tenantDomains = pgTable('tenant_domains', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  hostname: text('hostname').notNull(),
  status: text('status').$type<DomainStatus>().notNull(),
  verification: jsonb('verification').$type<Record<string, unknown>>().notNull(),
  cloudflareHostnameId: text('cloudflare_hostname_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  verifiedAt: ts('verified_at'),
  /** Cloudflare's words (migration 0006): the custom hostname's status and its certificate's. */
  cloudflareStatus: text('cloudflare_status'),
  sslStatus: text('ssl_status'),
  verificationErrors: jsonb('verification_errors').$type<string[]>().notNull().default([]),
  /** The records the customer must create (src/domains/records.ts). */
  dnsRecords: jsonb('dns_records').$type<DnsRecord[]>().notNull().default([]),
  failureReason: text('failure_reason'),
  checkedAt: ts('checked_at'),
  /** When the scheduled handler asks Cloudflare again; null: never (failed for good). */
  nextCheckAt: ts('next_check_at'),
  checkCount: integer('check_count').notNull().default(0),
});

export type DomainStatus = 'pending' | 'active' | 'failed' | 'removed';
export interface DnsRecord {
  type: 'CNAME' | 'TXT';
  name: string;
  value: string;
  /** routing: where traffic goes; ownership: proves the domain is the customer's; certificate: lets the CA issue it. */
  purpose: 'routing' | 'ownership' | 'certificate';
}
export type TenantDomainRow = typeof tenantDomains.$inferSelect;

export const tenantUsage = pgTable(
  'tenant_usage',
  {
    tenantId: uuid('tenant_id').notNull(),
    period: text('period').notNull(),
    usersTotal: integer('users_total').notNull().default(0),
    usersActive: integer('users_active').notNull().default(0),
    channels: integer('channels').notNull().default(0),
    messages: integer('messages').notNull().default(0),
    storageBytes: bigint('storage_bytes', { mode: 'number' }).notNull().default(0),
    files: integer('files').notNull().default(0),
    apiCalls: integer('api_calls').notNull().default(0),
    apiCallsByEndpoint: jsonb('api_calls_by_endpoint').$type<Record<string, number>>().notNull().default({}),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** When the month was measured for the last time, after it ended (null: not yet). */
    finalizedAt: ts('finalized_at'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.period] })],
);

export const tenantSettings = pgTable('tenant_settings', {
  tenantId: uuid('tenant_id').primaryKey(),
  timezone: text('timezone').notNull(),
  language: text('language').notNull(),
  passwordMinLength: integer('password_min_length').notNull(),
  passwordRequireMixed: boolean('password_require_mixed').notNull(),
  passwordRequireDigit: boolean('password_require_digit').notNull(),
  sessionTimeoutMinutes: integer('session_timeout_minutes').notNull(),
  messageRetentionDays: integer('message_retention_days'),
  fileRetentionDays: integer('file_retention_days'),
  auditRetentionDays: integer('audit_retention_days').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
export type TenantSettingsRow = typeof tenantSettings.$inferSelect;

export const tenantInvitations = pgTable('tenant_invitations', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  email: text('email').notNull(),
  role: text('role').$type<'admin' | 'member' | 'guest'>().notNull(),
  tokenHash: text('token_hash').notNull(),
  invitedBy: uuid('invited_by'),
  expiresAt: ts('expires_at').notNull(),
  acceptedAt: ts('accepted_at'),
  acceptedUserId: uuid('accepted_user_id'),
  revokedAt: ts('revoked_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export type ActorType = 'user' | 'platform_admin' | 'system' | 'stripe';

export const tenantAuditLogs = pgTable('tenant_audit_logs', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  tenantId: uuid('tenant_id').notNull(),
  actorId: text('actor_id'),
  actorType: text('actor_type').$type<ActorType>().notNull(),
  action: text('action').notNull(),
  resourceType: text('resource_type').notNull(),
  resourceId: text('resource_id'),
  oldValues: jsonb('old_values').$type<Record<string, unknown> | null>(),
  newValues: jsonb('new_values').$type<Record<string, unknown> | null>(),
  ipAddress: text('ip_address'),
  userAgent: text('user_agent'),
  requestId: text('request_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
});
export type AuditLogRow = typeof tenantAuditLogs.$inferSelect;

export const stripeWebhooks = pgTable('stripe_webhooks', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  tenantId: uuid('tenant_id'),
  payload: jsonb('payload').notNull(),
  status: text('status').$type<'received' | 'processed' | 'failed' | 'ignored'>().notNull(),
  error: text('error'),
  attempts: integer('attempts').notNull().default(0),
  receivedAt: ts('received_at').notNull().defaultNow(),
  processedAt: ts('processed_at'),
});

// ---- Tenant schema tables (unqualified: resolved through the tenant's search_path) ----

export type UserRole = 'owner' | 'admin' | 'member' | 'guest';

export const nchatUsers = pgTable('nchat_users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  displayName: text('display_name').notNull(),
  passwordHash: text('password_hash'),
  role: text('role').$type<UserRole>().notNull(),
  status: text('status').$type<'active' | 'deactivated'>().notNull(),
  avatarUrl: text('avatar_url'),
  statusText: text('status_text'),
  sessionVersion: integer('session_version').notNull(),
  lastSeenAt: ts('last_seen_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
export type UserRow = typeof nchatUsers.$inferSelect;

export const platformAuditLogs = pgTable('platform_audit_logs', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  tenantId: uuid('tenant_id'),
  tenantSlug: text('tenant_slug'),
  actorType: text('actor_type').$type<ActorType>().notNull(),
  actorId: text('actor_id'),
  action: text('action').notNull(),
  details: jsonb('details').$type<Record<string, unknown>>(),
  requestId: text('request_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export type ChannelKind = 'public' | 'private' | 'direct';

export const nchatChannels = pgTable('nchat_channels', {
  id: uuid('id').primaryKey().defaultRandom(),
  kind: text('kind').$type<ChannelKind>().notNull(),
  name: text('name'),
  topic: text('topic').notNull().default(''),
  description: text('description').notNull().default(''),
  dmKey: text('dm_key'),
  createdBy: uuid('created_by'),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
  lastMessageAt: ts('last_message_at'),
  archivedAt: ts('archived_at'),
  /** Joined by every new member on accepting an invitation (a new workspace's #general). */
  autoJoin: boolean('auto_join').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
export type ChannelRow = typeof nchatChannels.$inferSelect;

export const nchatChannelMembers = pgTable(
  'nchat_channel_members',
  {
    channelId: uuid('channel_id').notNull(),
    userId: uuid('user_id').notNull(),
    role: text('role').$type<'owner' | 'member'>().notNull().default('member'),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull().default(0),
    lastReadAt: ts('last_read_at'),
    joinedAt: ts('joined_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] })],
);

export const nchatMessages = pgTable('nchat_messages', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  channelId: uuid('channel_id').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  userId: uuid('user_id').notNull(),
  parentId: bigint('parent_id', { mode: 'number' }),
  text: text('text').notNull(),
  clientId: text('client_id'),
  replyCount: integer('reply_count').notNull().default(0),
  lastReplyAt: ts('last_reply_at'),
  editedAt: ts('edited_at'),
  deletedAt: ts('deleted_at'),
  deletedBy: uuid('deleted_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
});
export type MessageRow = typeof nchatMessages.$inferSelect;

export const nchatMentions = pgTable(
  'nchat_mentions',
  { messageId: bigint('message_id', { mode: 'number' }).notNull(), userId: uuid('user_id').notNull() },
  (t) => [primaryKey({ columns: [t.messageId, t.userId] })],
);

export const nchatReactions = pgTable(
  'nchat_reactions',
  {
    messageId: bigint('message_id', { mode: 'number' }).notNull(),
    userId: uuid('user_id').notNull(),
    emoji: text('emoji').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.emoji, t.userId] })],
);

export const nchatAttachments = pgTable('nchat_attachments', {
  id: uuid('id').primaryKey().defaultRandom(),
  channelId: uuid('channel_id').notNull(),
  messageId: bigint('message_id', { mode: 'number' }),
  uploaderId: uuid('uploader_id').notNull(),
  r2Key: text('r2_key').notNull(),
  filename: text('filename').notNull(),
  contentType: text('content_type').notNull(),
  sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  deletedAt: ts('deleted_at'),
});
export type AttachmentRow = typeof nchatAttachments.$inferSelect;
