import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Drizzle } from '../db/client';
import { nchatChannelMembers, nchatChannels, type ChannelRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { isUuid } from '../http/ids';

export interface ChannelAccess {
  channel: ChannelRow;
  /** The caller's membership, if any. */
  member: { role: 'owner' | 'member'; lastReadSeq: number } | null;
}

/**
 * The read behind `channelForUser`: the channel and the caller's membership (one row, or none).
 * A use case that needs the answer and its own statements in one round trip puts this read in
 * its transaction and decides with `accessFrom`.
 */
export function channelAccessRead(db: Drizzle, channelId: string, userId: string) {
  return db
    .select({ channel: nchatChannels, role: nchatChannelMembers.role, lastReadSeq: nchatChannelMembers.lastReadSeq })
    .from(nchatChannels)
    .leftJoin(nchatChannelMembers, and(eq(nchatChannelMembers.channelId, nchatChannels.id), eq(nchatChannelMembers.userId, userId)))
    .where(eq(nchatChannels.id, channelId))
    .limit(1);
}

/**
 * Who may see a channel: anyone in the workspace a public one, its members a private or direct
 * one. A channel the caller may not see is reported as not found: its existence is not the
 * caller's business.
 */
export function accessFrom(rows: Awaited<ReturnType<typeof channelAccessRead>>): ChannelAccess {
  const row = rows[0];
  if (!row) throw channelNotFound();
  const member = row.role ? { role: row.role, lastReadSeq: row.lastReadSeq ?? 0 } : null;
  if (row.channel.kind !== 'public' && !member) throw channelNotFound();
  return { channel: row.channel, member };
}

/**
 * The same rule as `accessFrom`, as an SQL condition: for a statement that reads a channel's
 * content in the same transaction as `channelAccessRead`, so that none of it leaves the
 * database for a caller who may not see the channel (the answer is still `accessFrom`'s).
 */
export function visibleToUser(channelId: string, userId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM nchat_channels vc WHERE vc.id = ${channelId} AND (vc.kind = 'public' OR EXISTS (SELECT 1 FROM nchat_channel_members vm WHERE vm.channel_id = vc.id AND vm.user_id = ${userId})))`;
}

/**
 * The channel and the caller's membership, in one transaction (which also re-checks the
 * session); not found if the caller may not see it (`accessFrom`).
 */
export async function channelForUser(tdb: TenantDb, channelId: string, user: UserPrincipal): Promise<ChannelAccess> {
  if (!isUuid(channelId)) throw channelNotFound();
  const [rows] = await tdb.batch((db) => [channelAccessRead(db, channelId, user.userId)]);
  return accessFrom(rows);
}

export function channelNotFound(): DomainError {
  return new DomainError('channel_not_found', 'No such channel, or you are not a member of it.');
}

/** Posting, uploading, subscribing: members only (public channels: join first). */
export function requireMember(access: ChannelAccess): NonNullable<ChannelAccess['member']> {
  if (!access.member) throw new DomainError('not_a_member', 'Join the channel first.');
  return access.member;
}

export function requireNotArchived(access: ChannelAccess): void {
  if (access.channel.archivedAt) throw new DomainError('channel_archived', 'The channel is archived.');
}
