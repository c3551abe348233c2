import type { Query } from '../db/client';
import type { TenantDb } from '../tenancy/tenant-db';
import { BASE_CTES, usagePeriod } from './usage';

/**
 * Removing files in bulk, for the code that removes what they belong to. The key layout
 * `<tenantId>/<channelId>/<attachmentId>/<name>` makes a channel's or a tenant's files one R2
 * prefix.
 *
 *  - Deleting a channel (nchat_attachments rows cascade with it): put
 *    `releaseChannelStorageQuery(tdb, channelId)` in the same transaction, before the DELETE,
 *    so the tenant's storage totals drop by what the channel held; after the commit, call
 *    `deleteChannelFiles(bucket, tenantId, channelId)`.
 *  - Deleting a message: `releaseMessageStorageQuery(tdb, messageId)` in its transaction, then
 *    the returned `keys` deleted after the commit.
 *  - Purging a tenant: `deleteTenantFiles(bucket, tenantId)` (its usage rows go with the tenant).
 */

/**
 * One statement: soft-deletes the live attachments of a channel (or of one message) and
 * subtracts their bytes and count from the month's usage row (carrying the latest earlier row
 * forward if the month has none yet). Returns `files`, `bytes` and the R2 `keys` released (to
 * delete after the commit).
 */
const releaseSql = (owner: 'channel_id = $3::uuid' | 'message_id = $3::bigint') => `
WITH gone AS (
  UPDATE nchat_attachments SET deleted_at = now()
  WHERE ${owner} AND deleted_at IS NULL
  RETURNING size_bytes, r2_key
),
released AS (
  SELECT count(*)::int AS files, coalesce(sum(size_bytes), 0)::bigint AS bytes FROM gone
),${BASE_CTES},
counted AS (
  INSERT INTO public.tenant_usage AS u (tenant_id, period, storage_bytes, files, updated_at)
  SELECT $1::uuid, $2::text,
         greatest((SELECT storage_bytes FROM base) - released.bytes, 0),
         greatest((SELECT files FROM base) - released.files, 0),
         now()
  FROM released
  WHERE released.files > 0
  ON CONFLICT (tenant_id, period) DO UPDATE
    SET storage_bytes = greatest(u.storage_bytes - (SELECT bytes FROM released), 0),
        files = greatest(u.files - (SELECT files FROM released), 0),
        updated_at = now()
  RETURNING u.storage_bytes
)
SELECT files, bytes, coalesce((SELECT json_agg(r2_key) FROM gone), '[]'::json) AS keys FROM released`;

const RELEASE_CHANNEL_SQL = releaseSql('channel_id = $3::uuid');
const RELEASE_MESSAGE_SQL = releaseSql('message_id = $3::bigint');

export function releaseChannelStorageQuery(tdb: TenantDb, channelId: string, period = usagePeriod()): Query {
  return tdb.sql.query(RELEASE_CHANNEL_SQL, [tdb.tenant.id, period, channelId]) as Query;
}

/** The same for the files attached to one message (deleted with it). */
export function releaseMessageStorageQuery(tdb: TenantDb, messageId: number, period = usagePeriod()): Query {
  return tdb.sql.query(RELEASE_MESSAGE_SQL, [tdb.tenant.id, period, messageId]) as Query;
}

/**
 * Deletes every object under `prefix` (a folder: it must end in "/"), 1,000 keys a call (R2's
 * batch limit); each round lists afresh what is left, so it ends when nothing is. Returns the count.
 */
export async function deleteR2Prefix(bucket: R2Bucket, prefix: string): Promise<number> {
  if (!prefix.endsWith('/') || prefix === '/') throw new Error(`refusing to delete a prefix that is not a folder: ${prefix}`);
  let deleted = 0;
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000 });
    const keys = page.objects.map((o) => o.key);
    if (keys.length === 0) return deleted;
    await bucket.delete(keys);
    deleted += keys.length;
  }
}

export function deleteChannelFiles(bucket: R2Bucket, tenantId: string, channelId: string): Promise<number> {
  return deleteR2Prefix(bucket, `${tenantId}/${channelId}/`);
}

export function deleteTenantFiles(bucket: R2Bucket, tenantId: string): Promise<number> {
  return deleteR2Prefix(bucket, `${tenantId}/`);
}
