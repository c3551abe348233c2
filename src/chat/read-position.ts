import type { Query } from '../db/client';
import type { TenantDb } from '../tenancy/tenant-db';

/**
 * Moves a member's read position forward to `seq` (never back, never past the channel's last
 * message) and returns it; no row when the user is not a member. The one statement for the
 * REST route and a room's `read` frames.
 */
export function markReadStatement(tdb: TenantDb, channelId: string, userId: string, seq: number): Query {
  return tdb.sql.query(
    `UPDATE nchat_channel_members m SET last_read_seq = greatest(m.last_read_seq, least($3::bigint, c.last_seq)), last_read_at = now()
     FROM nchat_channels c WHERE c.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2 RETURNING m.last_read_seq`,
    [channelId, userId, seq],
  ) as Query;
}
