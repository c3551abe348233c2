import { eq, sql as dsql } from 'drizzle-orm';
import { auditInsert, type RequestContext } from '../audit/audit';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password';
import { passwordProblems } from '../auth/password-policy';
import { nchatChannelMembers, nchatUsers, type UserRole } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import type { AttemptThrottle } from './attempt-throttle';
import { accountSettings, accountSettingsQuery } from './settings';
import { closeUser, type AfterCommit } from '../chat/after-commit';
import { userColumns, userView, type UserView } from './user-view';
import type { LoginInput, PasswordChange, ProfilePatch } from './validation';

/** Sign-in, sign-out and the signed-in user's own account. */

export interface SignedIn {
  user: UserView;
  session: { id: string; role: UserRole; sessionVersion: number };
  sessionTimeoutMinutes: number;
}

export interface PasswordChanged extends SignedIn {
  /** The sockets of the sessions that just ended are to be closed. */
  events: AfterCommit[];
}

function invalidCredentials(): DomainError {
  return new DomainError('invalid_credentials', 'The e-mail address or password is not correct.');
}

/**
 * Checks an e-mail and password against the workspace's users. Unknown addresses, wrong
 * passwords, deactivated accounts and accounts without a password all get the same 401, after
 * the same work: a PBKDF2 verification always runs (against a dummy hash when there is no
 * usable one), so the response time does not tell them apart either.
 */
export async function signIn(tdb: TenantDb, throttle: AttemptThrottle, input: LoginInput): Promise<SignedIn> {
  // Started before the lookup: the first call in an isolate derives the dummy hash, and that
  // cost should overlap the database round trip rather than single out unknown addresses.
  const dummy = dummyPasswordHash();
  await throttle.begin();
  const [users, settings] = await tdb.batch((db) => [
    db
      .select({ ...userColumns, passwordHash: nchatUsers.passwordHash, sessionVersion: nchatUsers.sessionVersion })
      .from(nchatUsers)
      .where(dsql`lower(${nchatUsers.email}) = ${input.email}`)
      .limit(1),
    accountSettingsQuery(db),
  ]);
  const user = users[0];
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummy));
  if (!ok || !user || !user.passwordHash || user.status !== 'active') throw invalidCredentials();
  // last_seen_at marks the user active this month (usage reports count active users).
  await Promise.all([throttle.succeeded(), tdb.run((db) => db.update(nchatUsers).set({ lastSeenAt: new Date() }).where(eq(nchatUsers.id, user.id)))]);
  return {
    user: userView(user),
    session: { id: user.id, role: user.role, sessionVersion: user.sessionVersion },
    sessionTimeoutMinutes: accountSettings(settings).sessionTimeoutMinutes,
  };
}

/**
 * Signs in the user a handoff code named (sign-up on the platform host → the new workspace).
 * `tdb` is bound to the session the code carries, so a session ended in between (an owner who
 * signed out or changed password within the minute) fails with NC401 like any other request.
 */
export async function continueSession(tdb: TenantDb, userId: string): Promise<SignedIn> {
  // last_seen_at: signing in this way counts as being active this month, like a sign-in.
  const [users, settings] = await tdb.batch((db) => [
    db.update(nchatUsers).set({ lastSeenAt: new Date() }).where(eq(nchatUsers.id, userId)).returning({ ...userColumns, sessionVersion: nchatUsers.sessionVersion }),
    accountSettingsQuery(db),
  ]);
  const user = users[0];
  if (!user) throw new DomainError('session_revoked', 'This session has ended. Sign in again.');
  return {
    user: userView(user),
    session: { id: user.id, role: user.role, sessionVersion: user.sessionVersion },
    sessionTimeoutMinutes: accountSettings(settings).sessionTimeoutMinutes,
  };
}

/**
 * Ends every session of the signed-in user, on every device: sessions are signed tokens with no
 * server-side record each, and the user's session version is the one thing all of them are
 * checked against. (Ending one device only would need a session table.) Returns the closing of
 * the sockets those sessions opened, for after the commit.
 */
export async function signOut(tdb: TenantDb, me: UserPrincipal): Promise<AfterCommit[]> {
  const [, channels] = await tdb.batch((db) => [
    db
      .update(nchatUsers)
      .set({ sessionVersion: dsql`${nchatUsers.sessionVersion} + 1` })
      .where(eq(nchatUsers.id, me.userId)),
    db.select({ id: nchatChannelMembers.channelId }).from(nchatChannelMembers).where(eq(nchatChannelMembers.userId, me.userId)),
  ]);
  return closeUser(me.userId, channels.map((r) => r.id), 'signed out');
}

export async function getOwnAccount(tdb: TenantDb, me: UserPrincipal): Promise<UserView> {
  const [row] = await tdb.run((db) => db.select(userColumns).from(nchatUsers).where(eq(nchatUsers.id, me.userId)));
  // The transaction's session check has just seen this user; a missing row means it went since.
  if (!row) throw new DomainError('session_revoked', 'This session has ended. Sign in again.');
  return userView(row);
}

export async function updateProfile(tdb: TenantDb, me: UserPrincipal, patch: ProfilePatch): Promise<UserView> {
  const [row] = await tdb.run((db) =>
    db
      .update(nchatUsers)
      .set({ ...patch, updatedAt: dsql`now()` })
      .where(eq(nchatUsers.id, me.userId))
      .returning(userColumns),
  );
  if (!row) throw new DomainError('session_revoked', 'This session has ended. Sign in again.');
  return userView(row);
}

/**
 * PUT /api/me/password: the current password (throttled like sign-in, per user, so a stolen
 * session cannot be used to guess it), the workspace's password policy, then the new hash and a
 * session-version bump in one transaction with the audit row. Every existing session ends (a
 * password change is what people do when they fear a session was stolen); the caller gets a
 * fresh one.
 */
export async function changePassword(
  tdb: TenantDb,
  throttle: AttemptThrottle,
  me: UserPrincipal,
  input: PasswordChange,
  audit: { tenantId: string; context: RequestContext },
): Promise<PasswordChanged> {
  const [users, settingsRows] = await tdb.batch((db) => [
    db.select({ passwordHash: nchatUsers.passwordHash }).from(nchatUsers).where(eq(nchatUsers.id, me.userId)),
    accountSettingsQuery(db),
  ]);
  const settings = accountSettings(settingsRows);
  await throttle.begin();
  const ok = await verifyPassword(input.currentPassword, users[0]?.passwordHash ?? (await dummyPasswordHash()));
  if (!ok) throw new DomainError('wrong_password', 'The current password is not correct.');
  await throttle.succeeded();
  const problems = passwordProblems(input.newPassword, settings.policy);
  if (input.newPassword === input.currentPassword) problems.push('must differ from the current password');
  if (problems.length) {
    throw new DomainError('validation_failed', 'The request is not valid.', { issues: problems.map((message) => ({ path: 'newPassword', message })) });
  }
  const passwordHash = await hashPassword(input.newPassword);
  const [updated, , channels] = await tdb.batch((db) => [
    db
      .update(nchatUsers)
      .set({ passwordHash, sessionVersion: dsql`${nchatUsers.sessionVersion} + 1`, updatedAt: dsql`now()` })
      .where(eq(nchatUsers.id, me.userId))
      .returning({ ...userColumns, sessionVersion: nchatUsers.sessionVersion }),
    auditInsert(db, {
      tenantId: audit.tenantId,
      actor: { type: 'user', id: me.userId },
      action: 'user.password_changed',
      resourceType: 'user',
      resourceId: me.userId,
      context: audit.context,
    }),
    db.select({ id: nchatChannelMembers.channelId }).from(nchatChannelMembers).where(eq(nchatChannelMembers.userId, me.userId)),
  ]);
  const user = updated[0];
  if (!user) throw new DomainError('session_revoked', 'This session has ended. Sign in again.');
  return {
    user: userView(user),
    session: { id: user.id, role: user.role, sessionVersion: user.sessionVersion },
    sessionTimeoutMinutes: settings.sessionTimeoutMinutes,
    events: closeUser(me.userId, channels.map((r) => r.id), 'password changed'),
  };
}
