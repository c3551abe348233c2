import { and, desc, eq, lte } from 'drizzle-orm';
import type { Query } from '../db/client';
import { tenantUsage } from '../db/schema';
import type { TenantDb } from '../tenancy/tenant-db';

/**
 * The tenant's stored-file totals in public.tenant_usage: `storage_bytes` and `files` are running
 * totals (what is stored now), kept in the row of the current period ('YYYY-MM', UTC). When the
 * month's row does not exist yet, the first change of the month starts from the latest earlier
 * row, so the totals carry over from month to month. Row-level security limits the tenant's
 * role to its own rows; the tenant id is still named in every statement, so a policy mistake
 * would make a statement fail instead of touching another tenant's row.
 */

export function usagePeriod(now = new Date()): string {
  return now.toISOString().slice(0, 7);
}

export interface StorageUsage {
  storageBytes: number;
  files: number;
}

/** What the tenant stores now: the latest row up to `period` (zero before the first upload). */
export async function readStorageUsage(tdb: TenantDb, period = usagePeriod()): Promise<StorageUsage> {
  const rows = await tdb.run((db) =>
    db
      .select({ storageBytes: tenantUsage.storageBytes, files: tenantUsage.files })
      .from(tenantUsage)
      .where(and(eq(tenantUsage.tenantId, tdb.tenant.id), lte(tenantUsage.period, period)))
      .orderBy(desc(tenantUsage.period))
      .limit(1),
  );
  return { storageBytes: Number(rows[0]?.storageBytes ?? 0), files: Number(rows[0]?.files ?? 0) };
}

// The starting point for a month's row: the latest row up to this period (which is the month's
// own row when it exists). $1 tenant id, $2 period.
export const BASE_CTES = `
  latest AS (
    SELECT storage_bytes, files FROM public.tenant_usage
    WHERE tenant_id = $1::uuid AND period <= $2::text
    ORDER BY period DESC
    LIMIT 1
  ),
  base AS (
    SELECT coalesce((SELECT storage_bytes FROM latest), 0)::bigint AS storage_bytes,
           coalesce((SELECT files FROM latest), 0)::int AS files
  )`;

/**
 * One statement that records an upload, or records nothing:
 *  - the uploader must (still) be a member of the channel, and the channel not archived;
 *  - the tenant's stored bytes plus this file must stay within `limit` (null: no limit). The
 *    check and the increment are one INSERT ... ON CONFLICT DO UPDATE ... WHERE on the month's
 *    row, which Postgres locks, so concurrent uploads cannot both slip under the limit;
 *  - only then is the attachment row inserted (it selects from the usage row's RETURNING).
 * It always returns one row: `open`/`member` (null when the channel is gone), `used` (the
 * stored bytes the check started from) and the new attachment's `id`/`created_at`, null when
 * nothing was recorded.
 */
const RECORD_UPLOAD_SQL = `
WITH access AS (
  SELECT ch.archived_at IS NULL AS open, m.user_id IS NOT NULL AS member
  FROM nchat_channels ch
  LEFT JOIN nchat_channel_members m ON m.channel_id = ch.id AND m.user_id = $7::uuid
  WHERE ch.id = $6::uuid
),${BASE_CTES},
counted AS (
  INSERT INTO public.tenant_usage AS u (tenant_id, period, storage_bytes, files, updated_at)
  SELECT $1::uuid, $2::text, base.storage_bytes + $3::bigint, base.files + 1, now()
  FROM base
  WHERE EXISTS (SELECT 1 FROM access WHERE open AND member)
    AND ($4::bigint IS NULL OR base.storage_bytes + $3::bigint <= $4::bigint)
  ON CONFLICT (tenant_id, period) DO UPDATE
    SET storage_bytes = u.storage_bytes + $3::bigint, files = u.files + 1, updated_at = now()
    WHERE $4::bigint IS NULL OR u.storage_bytes + $3::bigint <= $4::bigint
  RETURNING u.storage_bytes
),
inserted AS (
  INSERT INTO nchat_attachments (id, channel_id, uploader_id, r2_key, filename, content_type, size_bytes)
  SELECT $5::uuid, $6::uuid, $7::uuid, $8::text, $9::text, $10::text, $3::bigint FROM counted
  RETURNING id, created_at
)
SELECT (SELECT open FROM access) AS open,
       (SELECT member FROM access) AS member,
       (SELECT storage_bytes FROM base) AS used,
       inserted.id,
       inserted.created_at
FROM (SELECT 1) AS one
LEFT JOIN inserted ON true`;

export interface RecordUploadInput {
  period: string;
  limitBytes: number | null;
  attachmentId: string;
  channelId: string;
  uploaderId: string;
  r2Key: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
}

export interface RecordUploadResult {
  /** null: the channel no longer exists. */
  open: boolean | null;
  member: boolean | null;
  used: number;
  /** Set when the attachment was recorded. */
  created: { id: string; createdAt: string } | null;
}

export function recordUploadQuery(tdb: TenantDb, u: RecordUploadInput): Query {
  return tdb.sql.query(RECORD_UPLOAD_SQL, [
    tdb.tenant.id,
    u.period,
    u.sizeBytes,
    u.limitBytes,
    u.attachmentId,
    u.channelId,
    u.uploaderId,
    u.r2Key,
    u.filename,
    u.contentType,
  ]) as Query;
}

export function readRecordUploadResult(rows: Record<string, unknown>[]): RecordUploadResult {
  const row = rows[0] ?? {};
  return {
    open: bool(row.open),
    member: bool(row.member),
    used: Number(row.used ?? 0),
    created: row.id ? { id: String(row.id), createdAt: String(row.created_at) } : null,
  };
}

/**
 * One statement that soft-deletes an attachment and gives its bytes and its file back to the
 * tenant's totals — only if this statement is the one that deleted it, so a repeated or
 * concurrent delete frees the storage once. Returns `deleted` (0 or 1).
 */
const RECORD_DELETE_SQL = `
WITH gone AS (
  UPDATE nchat_attachments SET deleted_at = now()
  WHERE id = $4::uuid AND deleted_at IS NULL
  RETURNING id
),${BASE_CTES},
counted AS (
  INSERT INTO public.tenant_usage AS u (tenant_id, period, storage_bytes, files, updated_at)
  SELECT $1::uuid, $2::text, greatest(base.storage_bytes - $3::bigint, 0), greatest(base.files - 1, 0), now()
  FROM base
  WHERE EXISTS (SELECT 1 FROM gone)
  ON CONFLICT (tenant_id, period) DO UPDATE
    SET storage_bytes = greatest(u.storage_bytes - $3::bigint, 0), files = greatest(u.files - 1, 0), updated_at = now()
  RETURNING u.storage_bytes
)
SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM counted)::int AS counted`;

export function recordDeleteQuery(tdb: TenantDb, d: { period: string; attachmentId: string; sizeBytes: number }): Query {
  return tdb.sql.query(RECORD_DELETE_SQL, [tdb.tenant.id, d.period, d.sizeBytes, d.attachmentId]) as Query;
}

function bool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  return v === true || v === 't' || v === 'true';
}
