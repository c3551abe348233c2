import { and, asc, eq, ilike, ne, or, sql as dsql, type SQL } from 'drizzle-orm';
import type { RequestContext } from '../audit/audit';
import type { Query } from '../db/client';
import { nchatUsers, type UserRole } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { SEATS_USED_SQL, seatLockQuery } from './invitations';
import { capExceeded, type Cap } from '../tenancy/entitlements';
import { closeUser, type AfterCommit } from '../chat/after-commit';
import { auditInsertFrom, Params, type AuditSpec } from './sql';
import { USER_SQL_COLUMNS, userColumns, userFromSql, userView, type UserView } from './user-view';
import { isUuid, type ListUsersQuery } from './validation';
import { containsPattern } from '../db/like';
import { decodeNameCursor, pageOf } from '../http/cursor';

/**
 * The people of a workspace: directory, roles, deactivation. One function per use case, taking
 * the acting user explicitly; each change, its session-version bump and its audit row commit in
 * one transaction.
 *
 * Two rules hold under concurrency, not just in the common case:
 *  - there is always at least one active owner. Every change that could remove one first locks
 *    the rows of all active owners (and the actor's) FOR UPDATE, in id order, in the same
 *    transaction; so such changes run one at a time, and the conditional UPDATE that follows
 *    (a new statement, hence a fresh snapshot under READ COMMITTED) sees the outcome of the one
 *    before. Without the lock two owners demoting each other at once would each still see the
 *    other as owner (write skew) and leave none.
 *  - the actor still holds their role when the change is made: after the locks, the actor's
 *    session is checked again, so an owner demoted a moment earlier cannot finish an owner's action.
 */

export interface Acting {
  user: UserPrincipal;
  tenantId: string;
  context: RequestContext;
}

export function userNotFound(): DomainError {
  return new DomainError('user_not_found', 'No such user in this workspace.');
}

function onlyOwners(what: string): DomainError {
  return new DomainError('forbidden', `Only an owner may ${what}.`);
}

function lastOwner(): DomainError {
  return new DomainError('last_owner', 'A workspace needs at least one active owner. Make someone else an owner first.');
}

function concurrentChange(): DomainError {
  return new DomainError('conflict', 'The user was changed at the same time by someone else. Reload and try again.');
}

function auditSpec(acting: Acting, action: string): AuditSpec {
  return { tenantId: acting.tenantId, actor: { type: 'user', id: acting.user.userId }, action, resourceType: 'user', context: acting.context };
}

// ---- Directory ---------------------------------------------------------------------------

export interface UserPage {
  users: UserView[];
  nextCursor: string | null;
}

/**
 * A (lower(display_name), id) cursor: the directory is sorted by name. Names are any Unicode,
 * so the JSON is encoded as UTF-8 before base64url (btoa alone only takes Latin-1).
 */
/**
 * GET /api/users: the workspace's people sorted by name, searchable by name or e-mail address,
 * active ones unless an owner or admin asks for deactivated (or all) ones.
 */
export async function listUsers(tdb: TenantDb, viewer: UserPrincipal, q: ListUsersQuery): Promise<UserPage> {
  if (q.status !== 'active' && viewer.role !== 'owner' && viewer.role !== 'admin') {
    throw new DomainError('forbidden', 'Only owners and admins may list deactivated users.');
  }
  const where: SQL[] = [];
  if (q.status !== 'all') where.push(eq(nchatUsers.status, q.status));
  if (q.search) {
    const pattern = containsPattern(q.search);
    where.push(or(ilike(nchatUsers.displayName, pattern), ilike(nchatUsers.email, pattern))!);
  }
  // The sort key comes from Postgres itself (and goes back into the cursor as it came), so
  // collation and case folding agree between pages.
  const sortKey = dsql<string>`lower(${nchatUsers.displayName})`;
  if (q.cursor) {
    const c = decodeNameCursor(q.cursor);
    where.push(dsql`(${sortKey}, ${nchatUsers.id}) > (${c.n}, ${c.id}::uuid)`);
  }
  const rows = await tdb.run((db) =>
    db
      .select({ ...userColumns, sortKey })
      .from(nchatUsers)
      .where(where.length ? and(...where) : undefined)
      .orderBy(asc(sortKey), asc(nchatUsers.id))
      .limit(q.limit + 1),
  );
  const page = pageOf(rows, q.limit, (last) => ({ n: last.sortKey, id: last.id }));
  return {
    users: page.items.map(userView),
    nextCursor: page.nextCursor,
  };
}

export async function getUser(tdb: TenantDb, id: string): Promise<UserView> {
  if (!isUuid(id)) throw userNotFound();
  const [row] = await tdb.run((db) => db.select(userColumns).from(nchatUsers).where(eq(nchatUsers.id, id)));
  if (!row) throw userNotFound();
  return userView(row);
}

// ---- Changes -----------------------------------------------------------------------------

/** The target and whether another active owner exists, read together (one round trip). */
async function readTarget(tdb: TenantDb, id: string) {
  if (!isUuid(id)) throw userNotFound();
  const [targets, others] = await tdb.batch((db) => [
    db.select(userColumns).from(nchatUsers).where(eq(nchatUsers.id, id)),
    db
      .select({ id: nchatUsers.id })
      .from(nchatUsers)
      .where(and(eq(nchatUsers.role, 'owner'), eq(nchatUsers.status, 'active'), ne(nchatUsers.id, id)))
      .limit(1),
  ]);
  const target = targets[0];
  if (!target) throw userNotFound();
  return { target, otherOwnerExists: others.length > 0 };
}

/** The locks and re-check described at the top of this file. */
function ownerGuardQueries(tdb: TenantDb, acting: Acting): Query[] {
  return [
    tdb.sql.query(`SELECT id FROM nchat_users WHERE (role = 'owner' AND status = 'active') OR id = $1 ORDER BY id FOR UPDATE`, [acting.user.userId]) as Query,
    tdb.sql.query('SELECT nchat_check_session($1::uuid, $2::int)', [acting.user.userId, acting.user.sessionVersion]) as Query,
  ];
}

/** SQL: "this change leaves another active owner", for a target `$id` that is an owner. */
const OTHER_OWNER_SQL = (id: string) =>
  `EXISTS (SELECT 1 FROM nchat_users o WHERE o.role = 'owner' AND o.status = 'active' AND o.id <> ${id})`;

/**
 * PUT /api/users/:id/role. Owners and admins manage roles; only an owner may grant the owner
 * role or change an owner's role; the last active owner cannot be demoted. The change bumps the
 * user's session version: their tokens carry the role, so every one of them ends.
 */
export async function changeUserRole(tdb: TenantDb, acting: Acting, id: string, role: UserRole): Promise<UserChange> {
  const { target, otherOwnerExists } = await readTarget(tdb, id);
  if ((role === 'owner' || target.role === 'owner') && acting.user.role !== 'owner') throw onlyOwners('grant or remove the owner role');
  if (target.status !== 'active') throw new DomainError('user_deactivated', 'The user is deactivated. Reactivate them first.');
  if (target.role === role) return { user: userView(target), events: [] };
  if (target.role === 'owner' && !otherOwnerExists) throw lastOwner();

  const p = new Params();
  const idP = p.add(id);
  const fromP = p.add(target.role);
  const toP = p.add(role);
  const text = `WITH changed AS (
      UPDATE nchat_users SET role = ${toP}, session_version = session_version + 1, updated_at = now()
      WHERE id = ${idP} AND status = 'active' AND role = ${fromP}
        AND (${fromP} <> 'owner' OR ${OTHER_OWNER_SQL(idP)})
      RETURNING ${USER_SQL_COLUMNS}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'user.role_changed'), 'changed', {
        resourceId: 'changed.id::text',
        oldValues: `jsonb_build_object('role', ${fromP}::text)`,
        newValues: `jsonb_build_object('role', changed.role)`,
      })}
    )
    SELECT * FROM changed`;
  const results = await tdb.transaction([...ownerGuardQueries(tdb, acting), tdb.sql.query(text, p.values) as Query, channelsOfQuery(tdb, id)]);
  const row = results[2]?.[0];
  if (!row) throw target.role === 'owner' ? lastOwner() : concurrentChange();
  // Their tokens carried the old role and are dead now: so are the sockets those opened.
  return { user: userView(userFromSql(row)), events: closeUser(id, channelIdsOf(results[3]), 'role changed: sign in again') };
}

/** A change to a user, and what it still has to tell their sockets after the commit. */
export interface UserChange {
  user: UserView;
  events: AfterCommit[];
}

function channelsOfQuery(tdb: TenantDb, userId: string): Query {
  return tdb.sql.query('SELECT channel_id FROM nchat_channel_members WHERE user_id = $1', [userId]) as Query;
}

function channelIdsOf(rows: Record<string, unknown>[] | undefined): string[] {
  return (rows ?? []).map((r) => String(r.channel_id));
}

/**
 * POST /api/users/:id/deactivate. The account stays (messages keep their author) but cannot
 * sign in, and its session version is bumped so every token it holds stops working at once.
 * An admin cannot deactivate an owner; nobody can deactivate themselves or the last owner.
 * Already deactivated: answered as is (idempotent).
 */
export async function deactivateUser(tdb: TenantDb, acting: Acting, id: string): Promise<UserChange> {
  const { target, otherOwnerExists } = await readTarget(tdb, id);
  if (id === acting.user.userId) throw new DomainError('cannot_deactivate_self', 'You cannot deactivate your own account. Ask another owner or admin.');
  if (target.role === 'owner' && acting.user.role !== 'owner') throw onlyOwners('deactivate an owner');
  if (target.status === 'deactivated') return { user: userView(target), events: [] };
  if (target.role === 'owner' && !otherOwnerExists) throw lastOwner();

  const p = new Params();
  const idP = p.add(id);
  const roleP = p.add(target.role);
  const text = `WITH changed AS (
      UPDATE nchat_users SET status = 'deactivated', session_version = session_version + 1, updated_at = now()
      WHERE id = ${idP} AND status = 'active' AND role = ${roleP}
        AND (${roleP} <> 'owner' OR ${OTHER_OWNER_SQL(idP)})
      RETURNING ${USER_SQL_COLUMNS}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'user.deactivated'), 'changed', {
        resourceId: 'changed.id::text',
        oldValues: `jsonb_build_object('status', 'active')`,
        newValues: `jsonb_build_object('status', changed.status)`,
      })}
    )
    SELECT * FROM changed`;
  const results = await tdb.transaction([
    ...ownerGuardQueries(tdb, acting),
    tdb.sql.query(text, p.values) as Query,
    channelsOfQuery(tdb, id),
  ]);
  const row = results[2]?.[0];
  if (!row) throw target.role === 'owner' ? lastOwner() : concurrentChange();
  return { user: userView(userFromSql(row)), events: closeUser(id, channelIdsOf(results[3]), 'account deactivated') };
}

/**
 * POST /api/users/:id/reactivate. Only an owner may bring back an owner. The user signs in
 * again (their old tokens stay dead: deactivation bumped the version). Already active: as is.
 */
export async function reactivateUser(tdb: TenantDb, acting: Acting, id: string, userCap: Cap): Promise<UserView> {
  const userLimit = userCap.limit;
  const { target } = await readTarget(tdb, id);
  if (target.role === 'owner' && acting.user.role !== 'owner') throw onlyOwners('reactivate an owner');
  if (target.status === 'active') return userView(target);

  const p = new Params();
  const idP = p.add(id);
  const roleP = p.add(target.role);
  const limitP = p.add(userLimit);
  // Coming back takes a seat like an invitation does: active users plus open invitations.
  const text = `WITH changed AS (
      UPDATE nchat_users SET status = 'active', updated_at = now()
      WHERE id = ${idP} AND status = 'deactivated' AND role = ${roleP}
        AND (${limitP}::int IS NULL OR ${SEATS_USED_SQL} < ${limitP}::int)
      RETURNING ${USER_SQL_COLUMNS}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'user.reactivated'), 'changed', {
        resourceId: 'changed.id::text',
        oldValues: `jsonb_build_object('status', 'deactivated')`,
        newValues: `jsonb_build_object('status', changed.status)`,
      })}
    )
    SELECT * FROM changed`;
  const [, changed, seats] = await tdb.transaction([seatLockQuery(tdb), tdb.sql.query(text, p.values) as Query, tdb.sql.query(`SELECT ${SEATS_USED_SQL} AS used`) as Query]);
  const row = changed?.[0];
  if (row) return userView(userFromSql(row));
  const used = Number(seats?.[0]?.used ?? 0);
  if (userLimit !== null && used >= userLimit) throw capExceeded(userCap, used);
  throw concurrentChange();
}
