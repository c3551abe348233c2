import type { Query } from '../db/client';
import { sqlState } from '../db/errors';
import type { ChannelRow } from '../db/schema';
import { toIsoTimestamp } from '../db/client';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { requireMember, requireNotArchived, type ChannelAccess } from './access';
import { broadcast, membershipEnded, membershipStarted, type AfterCommit } from './after-commit';
import { isUuid } from '../http/ids';
import { releaseChannelStorageQuery } from '../attachments/cleanup';
import { capExceeded, type Cap } from '../tenancy/entitlements';
import { markReadStatement } from './read-position';

/**
 * Channel use cases. Each takes the acting user, runs as one TenantDb transaction (which also
 * re-checks the user's session) and returns what the route sends back.
 */

export interface ChannelView {
  id: string;
  kind: ChannelRow['kind'];
  name: string | null;
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

const CHANNEL_COLUMNS = `c.id, c.kind, c.name, c.topic, c.description, c.created_by, c.last_seq, c.last_message_at, c.archived_at, c.created_at`;

export function channelViewFromRow(r: Record<string, unknown>): ChannelView {
  const isMember = r.member_role !== null && r.member_role !== undefined;
  const lastSeq = Number(r.last_seq ?? 0);
  const lastReadSeq = isMember ? Number(r.last_read_seq ?? 0) : null;
  const view: ChannelView = {
    id: String(r.id),
    kind: r.kind as ChannelRow['kind'],
    name: (r.name as string | null) ?? null,
    topic: String(r.topic ?? ''),
    description: String(r.description ?? ''),
    createdBy: (r.created_by as string | null) ?? null,
    lastSeq,
    lastMessageAt: toIsoTimestamp(r.last_message_at as string | null),
    archivedAt: toIsoTimestamp(r.archived_at as string | null),
    createdAt: toIsoTimestamp(r.created_at as string)!,
    isMember,
    memberRole: isMember ? (r.member_role as 'owner' | 'member') : null,
    lastReadSeq,
    unreadCount: lastReadSeq === null ? null : Math.max(0, lastSeq - lastReadSeq),
  };
  if (r.kind === 'direct') view.dmWith = r.dm_with_id ? { id: String(r.dm_with_id), displayName: String(r.dm_with_name) } : null;
  return view;
}

/** Owners and admins of the workspace, and the channel's own owner, manage a channel. */
export function canManage(access: ChannelAccess, user: UserPrincipal): boolean {
  return user.role === 'owner' || user.role === 'admin' || access.member?.role === 'owner';
}

export function requireManager(access: ChannelAccess, user: UserPrincipal): void {
  if (!canManage(access, user)) throw new DomainError('forbidden', 'Only the channel owner or a workspace admin may do this.');
}

function viewQuery(tdb: TenantDb, where: string, params: unknown[], userId: string): Query {
  return tdb.sql.query(
    `SELECT ${CHANNEL_COLUMNS}, m.role AS member_role, m.last_read_seq,
            other.id AS dm_with_id, other.display_name AS dm_with_name
     FROM nchat_channels c
     LEFT JOIN nchat_channel_members m ON m.channel_id = c.id AND m.user_id = $1
     LEFT JOIN LATERAL (
       SELECT u.id, u.display_name FROM nchat_channel_members om JOIN nchat_users u ON u.id = om.user_id
       WHERE c.kind = 'direct' AND om.channel_id = c.id AND om.user_id <> $1 LIMIT 1
     ) other ON true
     WHERE ${where}`,
    [userId, ...params],
  ) as Query;
}

function nameTaken(err: unknown, name: string | undefined): never {
  if (sqlState(err) === '23505') throw new DomainError('channel_name_taken', `A channel named "${name}" already exists.`);
  throw err;
}

/**
 * What the channel limit counts: public and private channels that are not archived, other than
 * the workspace's own auto-join channel (#general, which the product creates and everyone is
 * in): the plan's channels are the ones the team makes. Usage reports count the same
 * (src/usage/measure.ts).
 */
const COUNTED_CHANNELS_SQL = `SELECT count(*)::int AS used FROM nchat_channels WHERE kind <> 'direct' AND archived_at IS NULL AND NOT auto_join`;

/** Every change that adds a counted channel (create, unarchive) takes this lock first. */
function channelLimitLockQuery(tdb: TenantDb): Query {
  return tdb.sql.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${tdb.tenant.schemaName}:channel-limit`]) as Query;
}

/**
 * Creates a channel within the plan's channel limit (public and private channels that are not
 * archived; direct messages do not count). The limit holds under concurrency: creations take a
 * tenant-wide transaction lock, and the insert re-counts after getting it, so 30 parallel
 * attempts on a tenant with room for 2 create exactly 2.
 *
 * `memberIds` must all be active people of this workspace: an id that is not (unknown, of
 * another workspace, deactivated) refuses the whole creation with a field error, checked in the
 * insert itself, rather than a channel made without them.
 */
export async function createChannel(
  tdb: TenantDb,
  user: UserPrincipal,
  input: { name: string; kind: 'public' | 'private'; topic: string; description: string; memberIds: string[] },
  cap: Cap,
): Promise<{ channel: ChannelView; events: AfterCommit[] }> {
  const limit = cap.limit;
  if (user.role === 'guest') throw new DomainError('forbidden', 'Guests cannot create channels.');
  const id = crypto.randomUUID();
  const others = [...new Set(input.memberIds.filter((m) => m !== user.userId))];
  const statements: Query[] = [
    channelLimitLockQuery(tdb),
    tdb.sql.query(
      `INSERT INTO nchat_channels (id, kind, name, topic, description, created_by)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE ($7::int IS NULL OR (${COUNTED_CHANNELS_SQL}) < $7::int)
         AND (SELECT count(*) FROM nchat_users WHERE id = ANY($8::uuid[]) AND status = 'active') = cardinality($8::uuid[])
       RETURNING id`,
      [id, input.kind, input.name, input.topic, input.description, user.userId, limit, others],
    ) as Query,
    tdb.sql.query(`INSERT INTO nchat_channel_members (channel_id, user_id, role) SELECT id, $2, 'owner' FROM nchat_channels WHERE id = $1`, [id, user.userId]) as Query,
    tdb.sql.query(
      `INSERT INTO nchat_channel_members (channel_id, user_id) SELECT c.id, u.id FROM nchat_channels c, nchat_users u WHERE c.id = $1 AND u.id = ANY($2::uuid[])`,
      [id, others],
    ) as Query,
    viewQuery(tdb, 'c.id = $2', [id], user.userId),
    tdb.sql.query(COUNTED_CHANNELS_SQL) as Query,
    tdb.sql.query(`SELECT m AS id FROM unnest($1::uuid[]) AS m WHERE NOT EXISTS (SELECT 1 FROM nchat_users u WHERE u.id = m AND u.status = 'active')`, [others]) as Query,
  ];
  const results = await tdb.transaction(statements).catch((err: unknown) => nameTaken(err, input.name));
  const created = results[1]!.length > 0;
  if (!created) {
    const missing = new Set(results.at(-1)!.map((r) => String(r.id)));
    if (missing.size) {
      const issues = input.memberIds.flatMap((m, i) => (missing.has(m) ? [{ path: `memberIds.${i}`, message: 'is not an active member of this workspace' }] : []));
      throw new DomainError('validation_failed', 'The request is not valid.', { issues });
    }
    throw capExceeded(cap, Number(results.at(-2)![0]!.used));
  }
  // Everyone in it (the creator's other devices too) sees it appear.
  return { channel: channelViewFromRow(results.at(-3)![0]!), events: membershipStarted(id, [user.userId, ...others]) };
}

export async function listChannels(tdb: TenantDb, user: UserPrincipal, opts: { includeArchived: boolean }): Promise<ChannelView[]> {
  const [rows] = await tdb.transaction([
    viewQuery(
      tdb,
      `(c.kind = 'public' OR m.user_id IS NOT NULL) ${opts.includeArchived ? '' : 'AND c.archived_at IS NULL'}
       ORDER BY CASE c.kind WHEN 'direct' THEN 1 ELSE 0 END, lower(coalesce(c.name, other.display_name)), c.id`,
      [],
      user.userId,
    ),
  ]);
  return rows!.map(channelViewFromRow);
}

/** The ids of the channels `userId` is a member of (their stream listens to these rooms). */
export async function memberChannelIds(tdb: TenantDb, userId: string): Promise<string[]> {
  const [rows] = await tdb.transaction([tdb.sql.query('SELECT channel_id FROM nchat_channel_members WHERE user_id = $1', [userId]) as Query]);
  return (rows ?? []).map((r) => String(r.channel_id));
}

/** The channel as `userId` sees it, if they are a member (a person's stream reads it for them); null otherwise. */
export async function memberChannelView(tdb: TenantDb, userId: string, channelId: string): Promise<ChannelView | null> {
  const [rows] = await tdb.transaction([viewQuery(tdb, 'c.id = $2 AND m.user_id IS NOT NULL', [channelId], userId)]);
  const row = rows?.[0];
  return row ? channelViewFromRow(row) : null;
}

/** The statements behind `getChannel`, for a use case that answers with the channel from its own transaction. */
function channelViewQueries(tdb: TenantDb, userId: string, channelId: string): [Query, Query] {
  return [
    viewQuery(tdb, 'c.id = $2', [channelId], userId),
    tdb.sql.query('SELECT count(*)::int AS n FROM nchat_channel_members WHERE channel_id = $1', [channelId]) as Query,
  ];
}

function channelWithCount(view: Record<string, unknown>[] | undefined, count: Record<string, unknown>[] | undefined): ChannelView & { memberCount: number } {
  return { ...channelViewFromRow(view![0]!), memberCount: Number(count![0]!.n) };
}

export async function getChannel(tdb: TenantDb, user: UserPrincipal, channelId: string): Promise<ChannelView & { memberCount: number }> {
  const [rows, count] = await tdb.transaction(channelViewQueries(tdb, user.userId, channelId));
  return channelWithCount(rows, count);
}

/** A channel and the notice its members get (renamed, archived, ...): their sidebars follow. */
export interface ChannelChange {
  channel: ChannelView;
  events: AfterCommit[];
}

function changed(channel: ChannelView): ChannelChange {
  return { channel, events: [broadcast(channel.id, { type: 'channel.updated', channelId: channel.id })] };
}

export async function updateChannel(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess, patch: { name?: string; topic?: string; description?: string }): Promise<ChannelChange> {
  requireManager(access, user);
  if (access.channel.kind === 'direct' && patch.name !== undefined) throw new DomainError('validation_failed', 'Direct messages have no name.', { issues: [{ path: 'name', message: 'direct messages have no name' }] });
  const [, rows] = await tdb
    .transaction([
      tdb.sql.query(
        `UPDATE nchat_channels SET name = coalesce($2, name), topic = coalesce($3, topic), description = coalesce($4, description), updated_at = now() WHERE id = $1`,
        [access.channel.id, patch.name ?? null, patch.topic ?? null, patch.description ?? null],
      ) as Query,
      viewQuery(tdb, 'c.id = $2', [access.channel.id], user.userId),
    ])
    .catch((err: unknown) => nameTaken(err, patch.name));
  return changed(channelViewFromRow(rows![0]!));
}

export async function archiveChannel(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess): Promise<ChannelChange> {
  requireManager(access, user);
  const [, rows] = await tdb.transaction([
    tdb.sql.query(`UPDATE nchat_channels SET archived_at = coalesce(archived_at, now()), updated_at = now() WHERE id = $1`, [access.channel.id]) as Query,
    viewQuery(tdb, 'c.id = $2', [access.channel.id], user.userId),
  ]);
  return changed(channelViewFromRow(rows![0]!));
}

/**
 * Bringing a channel back counts against the channel limit like creating one: the same lock,
 * and the count re-checked in the UPDATE. Unarchiving a channel that is not archived is a no-op.
 */
export async function unarchiveChannel(
  tdb: TenantDb,
  user: UserPrincipal,
  access: ChannelAccess,
  channelCap: Cap,
): Promise<ChannelChange> {
  requireManager(access, user);
  // Direct messages and #general are not counted.
  const cap = access.channel.kind === 'direct' || access.channel.autoJoin ? null : channelCap.limit;
  const [, updated, rows, counted] = await tdb.transaction([
    channelLimitLockQuery(tdb),
    tdb.sql.query(
      `UPDATE nchat_channels SET archived_at = NULL, updated_at = now()
       WHERE id = $1 AND archived_at IS NOT NULL AND ($2::int IS NULL OR (${COUNTED_CHANNELS_SQL}) < $2::int)
       RETURNING id`,
      [access.channel.id, cap],
    ) as Query,
    viewQuery(tdb, 'c.id = $2', [access.channel.id], user.userId),
    tdb.sql.query(COUNTED_CHANNELS_SQL) as Query,
  ]);
  const channel = channelViewFromRow(rows![0]!);
  if (updated!.length === 0 && channel.archivedAt !== null && cap !== null) throw capExceeded(channelCap, Number(counted![0]!.used));
  return changed(channel);
}

/**
 * Deletes the channel with its messages and attachments, and gives their storage back to the
 * tenant's usage. After the commit its files go, and anyone still connected is told.
 */
export async function deleteChannel(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess): Promise<AfterCommit[]> {
  requireManager(access, user);
  await tdb.transaction([releaseChannelStorageQuery(tdb, access.channel.id), tdb.sql.query('DELETE FROM nchat_channels WHERE id = $1', [access.channel.id]) as Query]);
  return [
    { kind: 'delete_channel_files', channelId: access.channel.id },
    { kind: 'close_room', channelId: access.channel.id, reason: 'channel deleted' },
  ];
}

/**
 * The caller joins a public channel, and gets it back as they now see it (member count
 * included): the insert and the read are one transaction.
 */
export async function joinChannel(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess): Promise<{ channel: ChannelView & { memberCount: number }; events: AfterCommit[] }> {
  if (access.channel.kind !== 'public') throw new DomainError('forbidden', 'Only public channels can be joined; ask a member to add you.');
  if (user.role === 'guest') throw new DomainError('forbidden', 'Guests are added to channels by a member.');
  requireNotArchived(access);
  // Joining starts the read position at the current end: history is there, not "unread".
  const [, view, count] = await tdb.transaction([
    tdb.sql.query(
      `INSERT INTO nchat_channel_members (channel_id, user_id, last_read_seq) SELECT id, $2, last_seq FROM nchat_channels WHERE id = $1 ON CONFLICT DO NOTHING`,
      [access.channel.id, user.userId],
    ) as Query,
    ...channelViewQueries(tdb, user.userId, access.channel.id),
  ]);
  return { channel: channelWithCount(view, count), events: membershipStarted(access.channel.id, [user.userId]) };
}

async function deleteMembership(tdb: TenantDb, channelId: string, userId: string): Promise<boolean> {
  const [rows] = await tdb.transaction([tdb.sql.query('DELETE FROM nchat_channel_members WHERE channel_id = $1 AND user_id = $2 RETURNING user_id', [channelId, userId]) as Query]);
  return rows!.length > 0;
}

/** The caller leaves a channel (not a direct message); their sockets there close after the commit. */
export async function leaveChannel(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess): Promise<AfterCommit[]> {
  if (access.channel.kind === 'direct') throw new DomainError('bad_request', 'You cannot leave a direct message.');
  requireMember(access);
  await deleteMembership(tdb, access.channel.id, user.userId);
  return [membershipEnded(access.channel.id, user.userId, 'left the channel')];
}

/** Removes `targetId` from the channel (oneself, or anyone for its managers); removed means removed now: their sockets close. */
export async function removeMember(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess, targetId: string): Promise<AfterCommit[]> {
  if (access.channel.kind === 'direct') throw new DomainError('bad_request', 'Direct messages are between two people.');
  if (!isUuid(targetId)) throw notAMember();
  if (targetId !== user.userId) requireManager(access, user);
  if (!(await deleteMembership(tdb, access.channel.id, targetId))) throw notAMember();
  return [membershipEnded(access.channel.id, targetId, 'removed from the channel')];
}

function notAMember(): DomainError {
  return new DomainError('user_not_found', 'That user is not a member of this channel.');
}

/**
 * Adds `userId` (an active person of the workspace) to the channel, and answers with its
 * members as they are after it: the insert and the read are one transaction.
 */
export async function addMember(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess, userId: string): Promise<{ members: ChannelMember[]; events: AfterCommit[] }> {
  if (access.channel.kind === 'direct') throw new DomainError('bad_request', 'Direct messages are between two people.');
  if (access.channel.kind === 'private' ? !access.member : false) throw new DomainError('not_a_member', 'Only members can add people to a private channel.');
  if (access.channel.kind === 'public' && !access.member && !canManage(access, user)) throw new DomainError('not_a_member', 'Join the channel first.');
  if (user.role === 'guest') throw new DomainError('forbidden', 'Guests cannot add members.');
  const [added, target, members] = await tdb.transaction([
    tdb.sql.query(
      `INSERT INTO nchat_channel_members (channel_id, user_id, last_read_seq)
       SELECT c.id, u.id, c.last_seq FROM nchat_channels c, nchat_users u WHERE c.id = $1 AND u.id = $2 AND u.status = 'active'
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [access.channel.id, userId],
    ) as Query,
    tdb.sql.query(`SELECT status FROM nchat_users WHERE id = $1`, [userId]) as Query,
    membersQuery(tdb, access.channel.id),
  ]);
  const status = target![0]?.status;
  if (!status) throw new DomainError('user_not_found', 'No such user in this workspace.');
  if (status !== 'active') throw new DomainError('user_deactivated', 'That user is deactivated.');
  // Already a member: adding again changes nothing.
  return { members: members!.map(memberFromRow), events: added!.length ? membershipStarted(access.channel.id, [userId]) : [] };
}

export interface ChannelMember {
  id: string;
  displayName: string;
  avatarUrl: string | null;
  workspaceRole: string;
  status: string;
  channelRole: string;
  joinedAt: string | null;
}

function membersQuery(tdb: TenantDb, channelId: string): Query {
  return tdb.sql.query(
    `SELECT u.id, u.display_name, u.avatar_url, u.role AS workspace_role, u.status, m.role, m.joined_at
     FROM nchat_channel_members m JOIN nchat_users u ON u.id = m.user_id WHERE m.channel_id = $1 ORDER BY lower(u.display_name), u.id`,
    [channelId],
  ) as Query;
}

function memberFromRow(r: Record<string, unknown>): ChannelMember {
  return {
    id: String(r.id),
    displayName: String(r.display_name),
    avatarUrl: (r.avatar_url as string | null) ?? null,
    workspaceRole: String(r.workspace_role),
    status: String(r.status),
    channelRole: String(r.role),
    joinedAt: toIsoTimestamp(r.joined_at as string),
  };
}

export async function listMembers(tdb: TenantDb, channelId: string): Promise<ChannelMember[]> {
  const [rows] = await tdb.transaction([membersQuery(tdb, channelId)]);
  return rows!.map(memberFromRow);
}

/** The direct-message channel between the caller and `otherId`, created on first use. */
export async function openDirectChannel(tdb: TenantDb, user: UserPrincipal, otherId: string): Promise<{ channel: ChannelView; created: boolean; events: AfterCommit[] }> {
  if (otherId === user.userId) throw new DomainError('bad_request', 'A direct message needs another person.');
  const key = [user.userId, otherId].sort().join(':');
  const id = crypto.randomUUID();
  const results = await tdb.transaction([
    tdb.sql.query(`SELECT status FROM nchat_users WHERE id = $1`, [otherId]) as Query,
    tdb.sql.query(
      `WITH other AS (SELECT id FROM nchat_users WHERE id = $3 AND status = 'active'),
            ch AS (INSERT INTO nchat_channels (id, kind, dm_key, created_by) SELECT $1, 'direct', $2, $4 FROM other ON CONFLICT (dm_key) WHERE dm_key IS NOT NULL DO NOTHING RETURNING id)
       INSERT INTO nchat_channel_members (channel_id, user_id) SELECT ch.id, u FROM ch, unnest(ARRAY[$3::uuid, $4::uuid]) AS u RETURNING channel_id`,
      [id, key, otherId, user.userId],
    ) as Query,
    viewQuery(tdb, 'c.dm_key = $2', [key], user.userId),
  ]);
  const status = results[0]![0]?.status;
  if (!status) throw new DomainError('user_not_found', 'No such user in this workspace.');
  const row = results[2]![0];
  if (!row) throw new DomainError('user_deactivated', 'That user is deactivated.');
  const channel = channelViewFromRow(row);
  const created = results[1]!.length > 0;
  // A new DM appears in both people's sidebars at once.
  return { channel, created, events: created ? membershipStarted(channel.id, [user.userId, otherId]) : [] };
}

/** Moves the caller's read position forward; their other devices hear of it. */
export async function markRead(tdb: TenantDb, user: UserPrincipal, access: ChannelAccess, seq: number): Promise<{ lastReadSeq: number; unreadCount: number; events: AfterCommit[] }> {
  requireMember(access);
  const [rows] = await tdb.transaction([markReadStatement(tdb, access.channel.id, user.userId, seq)]);
  if (!rows![0]) throw new DomainError('not_a_member', 'Join the channel first.');
  const lastReadSeq = Number(rows![0].last_read_seq);
  return {
    lastReadSeq,
    unreadCount: Math.max(0, access.channel.lastSeq - lastReadSeq),
    events: [broadcast(access.channel.id, { type: 'read', userId: user.userId, seq: lastReadSeq })],
  };
}
