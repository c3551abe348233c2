import type { Database, Query } from '../db/client';
import type { Limits } from '../tenancy/plans';
import { measureParams, measureSql } from './measure';
import { periodBounds } from './period';
import { ALERT_THRESHOLDS, CAPPED_RESOURCES } from './report';

/**
 * Writes a tenant's month to public.tenant_usage, on the platform connection (the TenantGate's
 * alarm and the daily job; no API request writes a usage row), and logs the caps the tenant has
 * come near (80%) or reached (100%) in its audit log, once per month and resource.
 *
 * What each column holds after it:
 *  - users_total, users_active, channels, messages: measured now from the tenant's tables;
 *  - storage_bytes, files: untouched when the row exists (uploads keep them); a month's first
 *    row starts from the latest earlier month (running totals carry over);
 *  - api_calls, api_calls_by_endpoint: the TenantGate's absolute counts when given (the larger
 *    of stored and given, so a late or retried flush never lowers or doubles them), else kept.
 */
export interface RecordUsageInput {
  tenantId: string;
  schemaName: string;
  period: string;
  limits: Limits;
  apiCalls?: { total: number; byRoute: Record<string, number> };
}

const THRESHOLDS_SQL = ALERT_THRESHOLDS.map((t) => `(${t})`).join(', ');

export function recordUsageQueries(database: Database, input: RecordUsageInput): Query[] {
  const bounds = periodBounds(input.period);
  const caps = Object.fromEntries(CAPPED_RESOURCES.map((r) => [r, input.limits[r]]));
  // $1 tenant, $2 start, $3 end (the measure's), $4 period, $5 API total, $6 by route, $7 caps.
  const text = `WITH m AS (${measureSql(input.schemaName)}),
    latest AS (
      SELECT storage_bytes, files FROM public.tenant_usage
      WHERE tenant_id = $1::uuid AND period <= $4::text ORDER BY period DESC LIMIT 1
    ),
    saved AS (
      INSERT INTO public.tenant_usage AS u (tenant_id, period, users_total, users_active, channels, messages, storage_bytes, files, api_calls, api_calls_by_endpoint, updated_at)
      SELECT $1::uuid, $4::text, m.users_total, m.users_active, m.channels, m.messages,
             coalesce((SELECT storage_bytes FROM latest), 0), coalesce((SELECT files FROM latest), 0),
             coalesce($5::int, 0), coalesce($6::jsonb, '{}'::jsonb), now()
      FROM m
      ON CONFLICT (tenant_id, period) DO UPDATE SET
        users_total = excluded.users_total, users_active = excluded.users_active,
        channels = excluded.channels, messages = excluded.messages,
        api_calls = CASE WHEN $5::int IS NULL THEN u.api_calls ELSE greatest(u.api_calls, $5::int) END,
        api_calls_by_endpoint = CASE WHEN $6::jsonb IS NULL THEN u.api_calls_by_endpoint ELSE $6::jsonb END,
        updated_at = now()
      RETURNING u.channels, u.storage_bytes, u.api_calls
    ),
    used AS (
      SELECT r.resource, r.used, ($7::jsonb ->> r.resource)::bigint AS cap
      FROM saved, m, LATERAL (VALUES
        ('users', (m.users_total + m.invitations_pending)::bigint),
        ('channels', saved.channels::bigint),
        ('storageBytes', saved.storage_bytes::bigint),
        ('apiCallsPerMonth', saved.api_calls::bigint)
      ) AS r(resource, used)
    ),
    crossed AS (
      SELECT used.resource, used.used, used.cap, t.threshold,
             CASE WHEN t.threshold >= 100 THEN 'usage.limit_reached' ELSE 'usage.limit_near' END AS action
      FROM used, (VALUES ${THRESHOLDS_SQL}) AS t(threshold)
      WHERE used.cap IS NOT NULL AND used.used * 100 >= used.cap * t.threshold
    ),
    alerts AS (
      INSERT INTO public.tenant_audit_logs (tenant_id, actor_type, action, resource_type, resource_id, new_values)
      SELECT $1::uuid, 'system', c.action, 'usage', $4::text || ':' || c.resource,
             jsonb_build_object('period', $4::text, 'resource', c.resource, 'used', c.used, 'limit', c.cap, 'threshold', c.threshold)
      FROM crossed c
      WHERE NOT EXISTS (
        SELECT 1 FROM public.tenant_audit_logs a
        WHERE a.tenant_id = $1::uuid AND a.resource_type = 'usage' AND a.action = c.action AND a.resource_id = $4::text || ':' || c.resource
      )
      RETURNING action, resource_id
    )
    SELECT (SELECT count(*) FROM alerts)::int AS alerts`;
  const params = [...measureParams(input.tenantId, bounds), input.period, input.apiCalls?.total ?? null, input.apiCalls ? JSON.stringify(input.apiCalls.byRoute) : null, JSON.stringify(caps)];
  return [
    // One writer per tenant at a time (gate alarm and daily job may meet): the "once per
    // month" check of the alerts must see the other's insert.
    database.sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`usage:${input.tenantId}`]) as Query,
    database.sql.query(text, params) as Query,
  ];
}

/** Records one month for one tenant in its own transaction; returns how many alerts were logged. */
export async function recordUsage(database: Database, input: RecordUsageInput): Promise<number> {
  const results = await database.transaction(recordUsageQueries(database, input));
  return Number(results[1]?.[0]?.alerts ?? 0);
}

/**
 * The month just ended, measured once more after its end: messages sent and people active
 * are bounded by the month, so its last days are counted. The standing counts (users,
 * channels) keep their last value from within the month. Once per month (finalized_at); a
 * month without a row (a tenant nobody used or measured then) gets one.
 */
export function finalizePeriodQuery(database: Database, tenantId: string, schemaName: string, period: string): Query {
  const bounds = periodBounds(period);
  return database.sql.query(
    `WITH m AS (${measureSql(schemaName)}),
     latest AS (
       SELECT storage_bytes, files FROM public.tenant_usage
       WHERE tenant_id = $1::uuid AND period <= $4::text ORDER BY period DESC LIMIT 1
     )
     INSERT INTO public.tenant_usage AS u (tenant_id, period, users_total, channels, messages, users_active, storage_bytes, files, finalized_at)
     SELECT $1::uuid, $4::text, m.users_total, m.channels, m.messages, m.users_active,
            coalesce((SELECT storage_bytes FROM latest), 0), coalesce((SELECT files FROM latest), 0), now()
     FROM m
     -- Not for months before the workspace existed.
     WHERE EXISTS (SELECT 1 FROM public.tenants WHERE id = $1::uuid AND created_at < $3::timestamptz)
     ON CONFLICT (tenant_id, period) DO UPDATE SET messages = excluded.messages, users_active = excluded.users_active, finalized_at = now(), updated_at = now()
       WHERE u.finalized_at IS NULL
     RETURNING u.period`,
    [...measureParams(tenantId, bounds), period],
  ) as Query;
}

/**
 * Only the API-call counts of a month (a month that is over, or when measuring failed): the
 * same absolute-value rule; a month's first row carries storage forward like any other.
 */
export function recordApiCallsQuery(database: Database, tenantId: string, period: string, apiCalls: { total: number; byRoute: Record<string, number> }): Query {
  return database.sql.query(
    `INSERT INTO public.tenant_usage AS u (tenant_id, period, api_calls, api_calls_by_endpoint, storage_bytes, files)
     SELECT $1::uuid, $2::text, $3::int, $4::jsonb,
       coalesce((SELECT storage_bytes FROM public.tenant_usage WHERE tenant_id = $1::uuid AND period < $2::text ORDER BY period DESC LIMIT 1), 0),
       coalesce((SELECT files FROM public.tenant_usage WHERE tenant_id = $1::uuid AND period < $2::text ORDER BY period DESC LIMIT 1), 0)
     ON CONFLICT (tenant_id, period) DO UPDATE SET api_calls = greatest(u.api_calls, excluded.api_calls),
       api_calls_by_endpoint = excluded.api_calls_by_endpoint, updated_at = now()`,
    [tenantId, period, apiCalls.total, JSON.stringify(apiCalls.byRoute)],
  ) as Query;
}
