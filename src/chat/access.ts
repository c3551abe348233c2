import { and, eq } from 'drizzle-orm';
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
 * The channel and the caller's membership, in one transaction (which also re-checks the
 * session). A private or direct channel the caller is not in is reported as not found: its
 * existence is not the caller's business.
 */
export async function channelForUser(tdb: TenantDb, channelId: string, user: UserPrincipal): Promise<ChannelAccess> {
  if (!isUuid(channelId)) throw channelNotFound();
  const [rows] = await tdb.batch((db) => [
    db
      .select({ channel: nchatChannels, role: nchatChannelMembers.role, lastReadSeq: nchatChannelMembers.lastReadSeq })
      .from(nchatChannels)
      .leftJoin(nchatChannelMembers, and(eq(nchatChannelMembers.channelId, nchatChannels.id), eq(nchatChannelMembers.userId, user.userId)))
      .where(eq(nchatChannels.id, channelId))
      .limit(1),
  ]);
  const row = rows[0];
  if (!row) throw channelNotFound();
  const member = row.role ? { role: row.role, lastReadSeq: row.lastReadSeq ?? 0 } : null;
  if (row.channel.kind !== 'public' && !member) throw channelNotFound();
  return { channel: row.channel, member };
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
