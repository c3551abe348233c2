import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { UserRole } from '../db/schema';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import { isPlatformAdminToken, OPERATOR_COOKIE, verifyOperatorSession, type OperatorSession } from './operator-session';
import { SESSION_COOKIE, verifySession, type SessionClaims } from './session';

/**
 * How a principal was authenticated: `bearer`, by a token in `Authorization: Bearer` (which a
 * page of another origin cannot send); `cookie`, by a cookie the browser attached (which it can
 * make the browser send: src/http/same-origin.ts checks where such writes come from).
 */
export type AuthenticatedVia = 'bearer' | 'cookie';

/** Who is calling. */
export type Principal =
  | { kind: 'anonymous' }
  /** `operatorSession`: signed in through the operator console's cookie (absent for the bearer token). */
  | { kind: 'platform_admin'; via: AuthenticatedVia; operatorSession?: OperatorSession }
  | { kind: 'user'; via: AuthenticatedVia; userId: string; tenantId: string; role: UserRole; sessionVersion: number; claims: SessionClaims };

function bearer(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('authorization');
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * Reads the caller from `Authorization: Bearer <token>` or a cookie: the platform admin token
 * (bearer only, compared in constant time), the operator console's session (its cookie, on the
 * platform host only), a valid session token, or nobody. A bearer token that is present but
 * invalid or expired is a 401 right away rather than a silent "anonymous". Any other
 * `Authorization` (Basic, a malformed Bearer) is no credential: the cookies decide, and the
 * principal says so (`via: 'cookie'`), so it gets the cookie's cross-origin check.
 *
 * @example
 * app.use('/api/*', authenticate())
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const config = c.get('config');
    const fromHeader = bearer(c);
    // The operator cookie is the platform admin's power: only the platform host honours it. A
    // workspace host serves its workspace's content (and in single-tenant mode the operator
    // API too), which must never act with it. An invalid or expired one counts as none.
    const operatorCookie = !fromHeader && c.get('site').kind === 'platform' ? getCookie(c, OPERATOR_COOKIE) : undefined;
    const operatorSession = operatorCookie ? await verifyOperatorSession(config, operatorCookie) : null;
    if (operatorSession) {
      c.set('principal', { kind: 'platform_admin', via: 'cookie', operatorSession });
      return next();
    }
    const token = fromHeader ?? getCookie(c, SESSION_COOKIE);
    if (!token) {
      c.set('principal', { kind: 'anonymous' });
      return next();
    }
    // The raw admin token counts in the Authorization header only, never from a cookie: a
    // browser signs in through the operator console, whose cookie holds a session instead.
    // Hashed before comparing, so the time taken says nothing of the token's length either.
    if (fromHeader && (await isPlatformAdminToken(token, config))) {
      c.set('principal', { kind: 'platform_admin', via: 'bearer' });
      return next();
    }
    const claims = await verifySession(config.SESSION_SECRET, token);
    if (!claims) {
      // A stale cookie (expired, or signed with a rotated secret) must not lock a browser out
      // of signing in again: it counts as no session. A bad bearer token is the caller's error.
      if (!fromHeader) {
        c.set('principal', { kind: 'anonymous' });
        return next();
      }
      throw new DomainError('invalid_session', 'The session token is invalid or has expired. Sign in again.');
    }
    c.set('principal', { kind: 'user', via: fromHeader ? 'bearer' : 'cookie', userId: claims.sub, tenantId: claims.tid, role: claims.role, sessionVersion: claims.sv, claims });
    return next();
  };
}

export function requirePlatformAdmin(c: Context<AppEnv>): void {
  const p = c.get('principal');
  if (p.kind === 'platform_admin') return;
  if (p.kind === 'anonymous') throw new DomainError('unauthorized', 'Platform admin credentials are required.');
  throw new DomainError('forbidden', 'Only a platform admin may do this.');
}

/**
 * On a tenant host: a signed-in user of *this* tenant, with one of `roles` if given. A session
 * of another tenant is refused as if it were no session at all.
 */
export function requireTenantUser(c: Context<AppEnv>, roles?: readonly UserRole[]): Extract<Principal, { kind: 'user' }> {
  const p = c.get('principal');
  const tenant = c.get('tenant');
  if (p.kind !== 'user') throw new DomainError('unauthorized', 'Sign in to continue.');
  if (p.tenantId !== tenant.id) throw new DomainError('invalid_session', 'This session belongs to another workspace. Sign in here.');
  if (roles && !roles.includes(p.role)) throw new DomainError('forbidden', `This requires one of the roles: ${roles.join(', ')}.`);
  return p;
}
