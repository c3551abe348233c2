import { quoteIdent } from '../db/identifiers';
import type { PeriodBounds } from './period';

/**
 * What a tenant's own tables say about a month: people, channels and messages. Storage and
 * API calls are not measured here — they are running counters in public.tenant_usage (kept by
 * uploads and by the TenantGate).
 *
 *  - usersTotal: active accounts (what the user limit counts, with open invitations);
 *  - usersActive: people who signed in or posted during the month;
 *  - invitationsPending: open invitations (they hold seats);
 *  - channels: public and private channels not archived (what the channel limit counts);
 *  - messages: messages sent during the month (deleted ones included: they were sent).
 */
export interface MeasuredUsage {
  usersTotal: number;
  usersActive: number;
  invitationsPending: number;
  channels: number;
  messages: number;
}

/**
 * The measuring SELECT. `schema` null: unqualified names (a TenantDb transaction, whose
 * search_path is the tenant's schema); otherwise every table is qualified with it (the platform
 * connection, from the TenantGate's alarm or the daily job). Parameters: $1 tenant id,
 * $2 period start, $3 period end (`measureParams`).
 */
export function measureSql(schema: string | null, options: { activity: boolean } = { activity: true }): string {
  const t = (table: string) => (schema ? `${quoteIdent(schema)}.${table}` : table);
  // Without activity (what only the caps need: GET /api/tenant), the two month-bounded counts
  // are left out — they are the ones that scan the month's messages.
  const activity = options.activity
    ? `(SELECT count(*) FROM (
        -- Both sides are range scans on an index (created_at, user_id) / (last_seen_at); UNION
        -- removes the people who did both.
        SELECT user_id FROM ${t('nchat_messages')} WHERE created_at >= $2::timestamptz AND created_at < $3::timestamptz
        UNION
        SELECT id FROM ${t('nchat_users')} WHERE last_seen_at >= $2::timestamptz AND last_seen_at < $3::timestamptz
      ) AS active)::int AS users_active,
    (SELECT count(*) FROM ${t('nchat_messages')} WHERE created_at >= $2::timestamptz AND created_at < $3::timestamptz)::int AS messages`
    : `0 AS users_active, 0 AS messages`;
  return `SELECT
    (SELECT count(*) FROM ${t('nchat_users')} WHERE status = 'active')::int AS users_total,
    (SELECT count(*) FROM public.tenant_invitations
      WHERE tenant_id = $1::uuid AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())::int AS invitations_pending,
    (SELECT count(*) FROM ${t('nchat_channels')} WHERE kind <> 'direct' AND archived_at IS NULL AND NOT auto_join)::int AS channels,
    ${activity}`;
}

/** The parameters for `measureSql` with the same options (without activity there are no bounds). */
export function measureParams(tenantId: string, bounds: PeriodBounds, options: { activity: boolean } = { activity: true }): unknown[] {
  return options.activity ? [tenantId, bounds.start, bounds.end] : [tenantId];
}

export function measuredFromRow(row: Record<string, unknown> | undefined): MeasuredUsage {
  return {
    usersTotal: Number(row?.users_total ?? 0),
    usersActive: Number(row?.users_active ?? 0),
    invitationsPending: Number(row?.invitations_pending ?? 0),
    channels: Number(row?.channels ?? 0),
    messages: Number(row?.messages ?? 0),
  };
}
