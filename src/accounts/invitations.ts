import { and, desc, eq, gt, isNotNull, isNull, lte, sql as dsql, type SQL } from 'drizzle-orm';
import type { RequestContext } from '../audit/audit';
import { hashPassword } from '../auth/password';
import { randomToken, sha256Hex } from '../auth/tokens';
import { passwordProblems } from '../auth/password-policy';
import { toIsoTimestamp, type Query } from '../db/client';
import { sqlState } from '../db/errors';
import { tenantInvitations, type UserRole } from '../db/schema';
import { DomainError } from '../domain/errors';
import { decodeCursor, pageOf } from '../http/cursor';
import type { TenantDb } from '../tenancy/tenant-db';
import { accountSettings, accountSettingsQuery } from './settings';
import { capExceeded, type Cap } from '../tenancy/entitlements';
import { auditInsertFrom, Params, type AuditSpec } from './sql';
import type { Acting } from './user-admin';
import { USER_SQL_COLUMNS, userFromSql, userView, type UserView } from './user-view';
import { isUuid, type AcceptInvitationInput, type CreateInvitationInput, type InvitableRole, type InvitationStatus, type ListInvitationsQuery } from './validation';

/**
 * Invitations to a workspace. The token is 32 random bytes (base64url) handed out once, in the
 * accept URL; the database keeps only its SHA-256, so a leaked table or backup cannot be turned
 * into working invitations. Invitations live in public.tenant_invitations, which row-level
 * security limits to the current workspace: a token of workspace A presented on workspace B's
 * host finds nothing.
 */

export const INVITATION_TTL_DAYS = 7;
const TOKEN_BYTES = 32;
/** 32 bytes in unpadded base64url. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function newInvitationToken(): string {
  return randomToken(TOKEN_BYTES);
}

export const tokenHash = sha256Hex;

export function acceptUrl(origin: string, token: string): string {
  return `${origin}/invite/${token}`;
}

type Timestamp = Date | string;

interface InvitationFields {
  id: string;
  email: string;
  role: InvitableRole;
  invitedBy: string | null;
  expiresAt: Timestamp;
  acceptedAt: Timestamp | null;
  acceptedUserId: string | null;
  revokedAt: Timestamp | null;
  createdAt: Timestamp;
}

export interface InvitationView {
  id: string;
  email: string;
  role: InvitableRole;
  status: InvitationStatus;
  invitedBy: string | null;
  expiresAt: string;
  acceptedAt: string | null;
  acceptedUserId: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function toDate(v: Timestamp): Date {
  return v instanceof Date ? v : new Date(toIsoTimestamp(v)!);
}

export function invitationStatus(i: Pick<InvitationFields, 'acceptedAt' | 'revokedAt' | 'expiresAt'>, now = Date.now()): InvitationStatus {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  return toDate(i.expiresAt).getTime() <= now ? 'expired' : 'pending';
}

/** Never the token hash. */
export function invitationView(i: InvitationFields): InvitationView {
  const iso = (v: Timestamp | null) => (v === null ? null : toDate(v).toISOString());
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: invitationStatus(i),
    invitedBy: i.invitedBy,
    expiresAt: iso(i.expiresAt)!,
    acceptedAt: iso(i.acceptedAt),
    acceptedUserId: i.acceptedUserId,
    revokedAt: iso(i.revokedAt),
    createdAt: iso(i.createdAt)!,
  };
}

const INVITATION_SQL_COLUMNS = 'id, email, role, invited_by, expires_at, accepted_at, accepted_user_id, revoked_at, created_at';

function invitationFromSql(row: Record<string, unknown>): InvitationFields {
  return {
    id: String(row.id),
    email: String(row.email),
    role: row.role as InvitableRole,
    invitedBy: (row.invited_by as string | null) ?? null,
    expiresAt: row.expires_at as Timestamp,
    acceptedAt: (row.accepted_at as Timestamp | null) ?? null,
    acceptedUserId: (row.accepted_user_id as string | null) ?? null,
    revokedAt: (row.revoked_at as Timestamp | null) ?? null,
    createdAt: row.created_at as Timestamp,
  };
}

const invitationColumns = {
  id: tenantInvitations.id,
  email: tenantInvitations.email,
  role: tenantInvitations.role,
  invitedBy: tenantInvitations.invitedBy,
  expiresAt: tenantInvitations.expiresAt,
  acceptedAt: tenantInvitations.acceptedAt,
  acceptedUserId: tenantInvitations.acceptedUserId,
  revokedAt: tenantInvitations.revokedAt,
  createdAt: tenantInvitations.createdAt,
};

export function invitationNotFound(): DomainError {
  return new DomainError('invitation_not_found', 'No such invitation.');
}

function auditSpec(acting: Acting, action: string): AuditSpec {
  return { tenantId: acting.tenantId, actor: { type: 'user', id: acting.user.userId }, action, resourceType: 'invitation', context: acting.context };
}

/**
 * Serializes invitation writes for one address within the workspace (a transaction-scoped
 * advisory lock), so two admins inviting the same person at once get one invitation and one
 * already_invited. A unique index cannot express "one *unexpired* pending invitation".
 */
function emailLockSql(emailExpr: string, tenantP: string): string {
  return `pg_advisory_xact_lock(hashtextextended('nchat-invitation:' || ${tenantP}::text || ':' || lower(${emailExpr}), 0))`;
}

/** Why an address cannot be invited: it has an account, or a pending invitation (other than `exceptId`). */
function blockersSql(emailP: string, exceptIdP: string | null): string {
  return `SELECT 'user' AS kind, status AS detail FROM nchat_users WHERE lower(email) = lower(${emailP})
    UNION ALL
    SELECT 'invitation', id::text FROM public.tenant_invitations
      WHERE lower(email) = lower(${emailP}) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
      ${exceptIdP ? `AND id <> ${exceptIdP}::uuid` : ''}`;
}

function blockerError(blockers: Record<string, unknown>[]): DomainError | null {
  const user = blockers.find((b) => b.kind === 'user');
  if (user) {
    return user.detail === 'deactivated'
      ? new DomainError('user_deactivated', 'This address belongs to a deactivated user. Reactivate them instead.')
      : new DomainError('already_member', 'This address already belongs to a member of the workspace.');
  }
  if (blockers.some((b) => b.kind === 'invitation')) {
    return new DomainError('already_invited', 'This address already has a pending invitation. Resend it instead.');
  }
  return null;
}

export interface IssuedInvitation {
  invitation: InvitationView;
  /** The secret: goes into the accept URL, never into the database or a log. */
  token: string;
}

/**
 * Seats in use against the plan's user limit: active users plus invitations still open (so a
 * round of invitations cannot overshoot the limit when they are accepted).
 */
const ACTIVE_USERS_SQL = `(SELECT count(*) FROM nchat_users WHERE status = 'active')`;
export const SEATS_USED_SQL = `${ACTIVE_USERS_SQL}
  + (SELECT count(*) FROM public.tenant_invitations WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())`;

/**
 * Every change that adds an active user (invite, accept, reactivate) takes this lock first, so
 * the counts it checks cannot change under it until it commits.
 */
export function seatLockQuery(tdb: TenantDb): Query {
  return tdb.sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${tdb.tenant.schemaName}:user-limit`]) as Query;
}

/**
 * POST /api/invitations (owners and admins). `userLimit` (null: unlimited) is enforced in the
 * insert itself, after a tenant-wide lock, so concurrent invitations cannot pass it together.
 */
export async function createInvitation(tdb: TenantDb, acting: Acting, input: CreateInvitationInput, userCap: Cap): Promise<IssuedInvitation> {
  const userLimit = userCap.limit;
  const token = newInvitationToken();
  const p = new Params();
  const tenantP = p.add(acting.tenantId);
  const emailP = p.add(input.email);
  const limitP = p.add(userLimit);
  const lock = tdb.sql.query(`SELECT ${emailLockSql('$2::text', '$1')}`, [acting.tenantId, input.email]) as Query;
  const blockers = tdb.sql.query(blockersSql('$1::text', null), [input.email]) as Query;
  // The same condition again: the advisory lock makes it the same answer, and the insert
  // must not depend on the JavaScript having looked.
  const text = `WITH inv AS (
      INSERT INTO public.tenant_invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
      SELECT ${tenantP}::uuid, ${emailP}::text, ${p.add(input.role)}::text, ${p.add(await tokenHash(token))}::text, ${p.add(acting.user.userId)}::uuid,
             now() + make_interval(days => ${p.add(INVITATION_TTL_DAYS)}::int)
      WHERE NOT EXISTS (${blockersSql(`${emailP}::text`, null)})
        AND (${limitP}::int IS NULL OR ${SEATS_USED_SQL} < ${limitP}::int)
      RETURNING ${INVITATION_SQL_COLUMNS}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'invitation.created'), 'inv', {
        resourceId: 'inv.id::text',
        newValues: `jsonb_build_object('email', inv.email, 'role', inv.role, 'expiresAt', inv.expires_at)`,
      })}
    )
    SELECT * FROM inv`;
  const seats = tdb.sql.query(`SELECT ${SEATS_USED_SQL} AS used`) as Query;
  const [, , found, inserted, seatRows] = await tdb.transaction([seatLockQuery(tdb), lock, blockers, tdb.sql.query(text, p.values) as Query, seats]);
  const row = inserted?.[0];
  if (!row) {
    const blocked = blockerError(found ?? []);
    if (blocked) throw blocked;
    if (userLimit !== null) throw capExceeded(userCap, Number(seatRows?.[0]?.used ?? 0));
    throw new DomainError('conflict', 'The invitation could not be created. Try again.');
  }
  return { invitation: invitationView(invitationFromSql(row)), token };
}

export interface InvitationPage {
  invitations: InvitationView[];
  nextCursor: string | null;
}

/** GET /api/invitations (owners and admins): newest first, optionally by status. */
export async function listInvitations(tdb: TenantDb, q: ListInvitationsQuery): Promise<InvitationPage> {
  const t = tenantInvitations;
  const where: SQL[] = [];
  const open = [isNull(t.acceptedAt), isNull(t.revokedAt)];
  switch (q.status) {
    case 'pending':
      where.push(...open, gt(t.expiresAt, dsql`now()`));
      break;
    case 'expired':
      where.push(...open, lte(t.expiresAt, dsql`now()`));
      break;
    case 'accepted':
      where.push(isNotNull(t.acceptedAt));
      break;
    case 'revoked':
      where.push(isNull(t.acceptedAt), isNotNull(t.revokedAt));
      break;
  }
  // Millisecond precision: the precision the cursor carries.
  const createdMs = dsql`date_trunc('milliseconds', ${t.createdAt})`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(dsql`(${createdMs}, ${t.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await tdb.run((db) =>
    db
      .select(invitationColumns)
      .from(t)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(createdMs), desc(t.id))
      .limit(q.limit + 1),
  );
  const page = pageOf(rows, q.limit, (last) => ({ t: last.createdAt.toISOString(), id: last.id }));
  return { invitations: page.items.map(invitationView), nextCursor: page.nextCursor };
}

async function readInvitation(tdb: TenantDb, id: string): Promise<InvitationFields | undefined> {
  const [row] = await tdb.run((db) => db.select(invitationColumns).from(tenantInvitations).where(eq(tenantInvitations.id, id)));
  return row;
}

/**
 * POST /api/invitations/:id/resend: a new token and a new expiry for an invitation not yet
 * accepted or revoked (expired ones included: that is how they are renewed). The old token's
 * hash is overwritten, so it stops working in the same commit.
 */
export async function resendInvitation(tdb: TenantDb, acting: Acting, id: string, userCap: Cap): Promise<IssuedInvitation> {
  const userLimit = userCap.limit;
  if (!isUuid(id)) throw invitationNotFound();
  const token = newInvitationToken();
  const p = new Params();
  const idP = p.add(id);
  const tenantP = p.add(acting.tenantId);
  const limitP = p.add(userLimit);
  const lock = tdb.sql.query(`SELECT ${emailLockSql('email', '$2')} FROM public.tenant_invitations WHERE id = $1`, [id, acting.tenantId]) as Query;
  const blockers = tdb.sql.query(
    `SELECT b.* FROM public.tenant_invitations i, LATERAL (${blockersSql('i.email', '$1')}) b WHERE i.id = $1`,
    [id],
  ) as Query;
  const text = `WITH inv AS (
      UPDATE public.tenant_invitations i SET token_hash = ${p.add(await tokenHash(token))}::text, expires_at = now() + make_interval(days => ${p.add(INVITATION_TTL_DAYS)}::int)
      WHERE i.id = ${idP}::uuid AND i.tenant_id = ${tenantP}::uuid AND i.accepted_at IS NULL AND i.revoked_at IS NULL
        AND NOT EXISTS (${blockersSql('i.email', idP)})
        -- An open invitation keeps the seat it holds; an expired one takes a seat again.
        AND (i.expires_at > now() OR ${limitP}::int IS NULL OR ${SEATS_USED_SQL} < ${limitP}::int)
      RETURNING ${INVITATION_SQL_COLUMNS.split(', ').map((c) => `i.${c}`).join(', ')}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'invitation.resent'), 'inv', {
        resourceId: 'inv.id::text',
        newValues: `jsonb_build_object('expiresAt', inv.expires_at)`,
      })}
    )
    SELECT * FROM inv`;
  const seats = tdb.sql.query(`SELECT ${SEATS_USED_SQL} AS used`) as Query;
  const [, , found, updated, seatRows] = await tdb.transaction([seatLockQuery(tdb), lock, blockers, tdb.sql.query(text, p.values) as Query, seats]);
  const row = updated?.[0];
  if (row) return { invitation: invitationView(invitationFromSql(row)), token };
  const current = await readInvitation(tdb, id);
  if (!current) throw invitationNotFound();
  if (current.acceptedAt) throw new DomainError('invitation_already_accepted', 'The invitation has already been accepted.');
  if (current.revokedAt) throw new DomainError('invitation_already_revoked', 'The invitation has been revoked. Create a new one.');
  const blocked = blockerError(found ?? []);
  if (blocked) throw blocked;
  const used = Number(seatRows?.[0]?.used ?? 0);
  if (userLimit !== null && used >= userLimit) throw capExceeded(userCap, used);
  throw new DomainError('conflict', 'The invitation was changed at the same time. Try again.');
}

/** DELETE /api/invitations/:id: revokes a pending (or expired) invitation; revoking twice is a no-op. */
export async function revokeInvitation(tdb: TenantDb, acting: Acting, id: string): Promise<InvitationView> {
  if (!isUuid(id)) throw invitationNotFound();
  const p = new Params();
  const text = `WITH inv AS (
      UPDATE public.tenant_invitations SET revoked_at = now()
      WHERE id = ${p.add(id)}::uuid AND accepted_at IS NULL AND revoked_at IS NULL
      RETURNING ${INVITATION_SQL_COLUMNS}
    ), audit AS (
      ${auditInsertFrom(p, auditSpec(acting, 'invitation.revoked'), 'inv', {
        resourceId: 'inv.id::text',
        oldValues: `jsonb_build_object('email', inv.email, 'role', inv.role)`,
      })}
    )
    SELECT * FROM inv`;
  const [rows] = await tdb.transaction([tdb.sql.query(text, p.values) as Query]);
  const row = rows?.[0];
  if (row) return invitationView(invitationFromSql(row));
  const current = await readInvitation(tdb, id);
  if (!current) throw invitationNotFound();
  if (current.acceptedAt) throw new DomainError('invitation_already_accepted', 'The invitation has already been accepted; deactivate the user instead.');
  return invitationView(current);
}

// ---- Acceptance (no session: the invitee has no account yet) -------------------------------

function goneError(i: InvitationFields): DomainError | null {
  if (i.acceptedAt) return new DomainError('invitation_used', 'This invitation has already been used. Sign in instead.');
  if (i.revokedAt) return new DomainError('invitation_revoked', 'This invitation has been revoked. Ask for a new one.');
  if (toDate(i.expiresAt).getTime() <= Date.now()) return new DomainError('invitation_expired', 'This invitation has expired. Ask for a new one.');
  return null;
}

/**
 * GET /api/invitations/:token/preview (no session): what the invitee is accepting — the address
 * and role — so the accept page can say it. The same refusals as accepting: unknown (404),
 * used, revoked or expired (410).
 */
export async function previewInvitation(tdb: TenantDb, token: string): Promise<{ email: string; role: InvitableRole; expiresAt: string }> {
  if (!TOKEN_FORMAT.test(token)) throw invitationNotFound();
  const hash = await tokenHash(token);
  const [invitation] = await tdb.run((db) => db.select(invitationColumns).from(tenantInvitations).where(eq(tenantInvitations.tokenHash, hash)));
  if (!invitation) throw invitationNotFound();
  const gone = goneError(invitation);
  if (gone) throw gone;
  return { email: invitation.email, role: invitation.role, expiresAt: toDate(invitation.expiresAt).toISOString() };
}

export interface AcceptedInvitation {
  user: UserView;
  session: { id: string; role: UserRole; sessionVersion: number };
  sessionTimeoutMinutes: number;
}

/**
 * POST /api/invitations/:token/accept. The invitation is claimed and the user created by ONE
 * statement: the UPDATE claims the invitation only if it is still open, and the INSERT takes
 * its e-mail and role FROM that claim. Two concurrent accepts of one token meet at the
 * invitation's row lock; the second re-checks `accepted_at IS NULL` after the first commits,
 * claims nothing and so inserts nothing. Exactly one user is created.
 */
export async function acceptInvitation(tdb: TenantDb, token: string, input: AcceptInvitationInput, context: RequestContext, userCap: Cap): Promise<AcceptedInvitation> {
  const userLimit = userCap.limit;
  if (!TOKEN_FORMAT.test(token)) throw invitationNotFound();
  const hash = await tokenHash(token);
  const [found, settingsRows] = await tdb.batch((db) => [
    db.select(invitationColumns).from(tenantInvitations).where(eq(tenantInvitations.tokenHash, hash)),
    accountSettingsQuery(db),
  ]);
  const invitation = found[0];
  if (!invitation) throw invitationNotFound();
  const gone = goneError(invitation);
  if (gone) throw gone;
  const settings = accountSettings(settingsRows);
  const problems = passwordProblems(input.password, settings.policy);
  if (problems.length) {
    throw new DomainError('validation_failed', 'The request is not valid.', { issues: problems.map((message) => ({ path: 'password', message })) });
  }
  // Hashed only now: a random token costs no PBKDF2 work.
  const passwordHash = await hashPassword(input.password);
  const userId = crypto.randomUUID();
  const p = new Params();
  const userP = p.add(userId);
  const limitP = p.add(userLimit);
  const spec: AuditSpec = { tenantId: tdb.tenant.id, actor: { type: 'user', id: userId }, action: 'invitation.accepted', resourceType: 'invitation', context };
  const text = `WITH inv AS (
      UPDATE public.tenant_invitations SET accepted_at = now(), accepted_user_id = ${userP}::uuid
      WHERE token_hash = ${p.add(hash)}::text AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        -- The invitation held a seat, but the plan may have been lowered since: the new user
        -- must still fit among the active users.
        AND (${limitP}::int IS NULL OR ${ACTIVE_USERS_SQL} < ${limitP}::int)
      RETURNING id, email, role
    ), u AS (
      INSERT INTO nchat_users (id, email, display_name, password_hash, role)
      SELECT ${userP}::uuid, inv.email, ${p.add(input.displayName)}::text, ${p.add(passwordHash)}::text, inv.role FROM inv
      RETURNING ${USER_SQL_COLUMNS}
    ), joined AS (
      -- The workspace's auto-join channels (#general): history there is read, not unread.
      INSERT INTO nchat_channel_members (channel_id, user_id, last_read_seq)
      SELECT c.id, u.id, c.last_seq FROM nchat_channels c, u WHERE c.auto_join AND c.archived_at IS NULL
      ON CONFLICT DO NOTHING
    ), audit AS (
      ${auditInsertFrom(p, spec, 'inv, u', {
        resourceId: 'inv.id::text',
        newValues: `jsonb_build_object('userId', u.id, 'email', u.email, 'role', u.role)`,
      })}
    )
    SELECT * FROM u`;
  let rows: Record<string, unknown>[] | undefined;
  let activeRows: Record<string, unknown>[] | undefined;
  try {
    [, rows, activeRows] = await tdb.transaction([seatLockQuery(tdb), tdb.sql.query(text, p.values) as Query, tdb.sql.query(`SELECT ${ACTIVE_USERS_SQL} AS used`) as Query]);
  } catch (err) {
    // nchat_users_email_key: someone got an account with this address since the invitation.
    if (sqlState(err) === '23505') throw new DomainError('already_member', 'An account with this e-mail address already exists. Sign in instead.');
    throw err;
  }
  const row = rows?.[0];
  if (!row) {
    // Lost a race (accepted, revoked or expired in between): say which.
    const [again] = await tdb.run((db) => db.select(invitationColumns).from(tenantInvitations).where(eq(tenantInvitations.tokenHash, hash)));
    if (!again) throw invitationNotFound();
    const gone = goneError(again);
    if (gone) throw gone;
    if (userLimit !== null) throw capExceeded(userCap, Number(activeRows?.[0]?.used ?? 0));
    throw invitationNotFound();
  }
  const user = userFromSql(row);
  return { user: userView(user), session: { id: user.id, role: user.role, sessionVersion: user.sessionVersion }, sessionTimeoutMinutes: settings.sessionTimeoutMinutes };
}
