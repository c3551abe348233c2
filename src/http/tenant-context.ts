import type { Context } from 'hono';
import { requireTenantUser, type Principal } from '../auth/principal';
import { openDatabase } from '../db/client';
import type { UserRole } from '../db/schema';
import type { AppEnv } from '../env';
import { TenantDb, type SessionRef } from '../tenancy/tenant-db';
import { dispatchAfterCommit, type AfterCommit } from '../chat/after-commit';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/**
 * For routes that act as a signed-in user of the current workspace: the user (refused with
 * 401/403 if absent, of another tenant, or lacking one of `roles`), and a TenantDb whose every
 * transaction re-checks that user's session in the same round trip (a revoked session fails the
 * whole transaction with 401 session_revoked).
 *
 * The role checked here comes from the token; it is trustworthy because a role change bumps
 * the session version, which the transaction checks.
 */
export function asMember(c: Context<AppEnv>, roles?: readonly UserRole[]): { user: UserPrincipal; tdb: TenantDb } {
  const user = requireTenantUser(c, roles);
  const tdb = TenantDb.forSession(openDatabase(c.get('config')), c.get('tenant'), { userId: user.userId, sessionVersion: user.sessionVersion });
  return { user, tdb };
}

/** TenantDb bound to a session the request carries other than by its token (a redeemed handoff code). */
export function handedOffTenantDb(c: Context<AppEnv>, session: SessionRef): TenantDb {
  return TenantDb.forSession(openDatabase(c.get('config')), c.get('tenant'), session);
}

/** TenantDb without a session, for the two routes whose caller is not signed in yet: sign-in and invitation acceptance. */
export function signInTenantDb(c: Context<AppEnv>): TenantDb {
  return TenantDb.forSystemWork(openDatabase(c.get('config')), c.get('tenant'), 'sign-in');
}

export const MANAGER_ROLES = ['owner', 'admin'] as const satisfies readonly UserRole[];

/** After a route's commit: sends what the use case returned to the rooms (and R2); never fails the request. */
export function afterCommit(c: Context<AppEnv>, effects: readonly AfterCommit[]): Promise<void> {
  return dispatchAfterCommit({ env: c.env, tenant: c.get('tenant'), log: c.get('log') }, effects);
}
