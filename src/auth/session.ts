import { sign, verify } from 'hono/jwt';
import type { UserRole } from '../db/schema';

/**
 * Session tokens: HS256 JWTs signed with SESSION_SECRET. They carry the tenant, the user, the
 * role and the user's session version; a token is only valid on its own tenant's hosts, and
 * bumping the user's session version (logout, password or role change, deactivation) ends
 * every token issued before.
 */
export interface SessionClaims {
  /** user id */
  sub: string;
  /** tenant id */
  tid: string;
  role: UserRole;
  /** session version of the user when the token was issued */
  sv: number;
  iat: number;
  exp: number;
}

export const SESSION_COOKIE = 'nchat_session';
export const DEFAULT_SESSION_MINUTES = 7 * 24 * 60;

export async function signSession(
  secret: string,
  claims: Omit<SessionClaims, 'iat' | 'exp'>,
  lifetimeMinutes = DEFAULT_SESSION_MINUTES,
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign({ ...claims, typ: 'session', iat, exp: iat + lifetimeMinutes * 60 }, secret, 'HS256');
}

/** The claims of a valid, unexpired session token, or null. Never throws on bad input. */
export async function verifySession(secret: string, token: string): Promise<SessionClaims | null> {
  try {
    const payload = await verify(token, secret, 'HS256');
    if (payload.typ !== 'session') return null;
    const { sub, tid, role, sv, iat, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof tid !== 'string' || typeof sv !== 'number' || typeof exp !== 'number' || typeof iat !== 'number') return null;
    if (role !== 'owner' && role !== 'admin' && role !== 'member' && role !== 'guest') return null;
    return { sub, tid, role, sv, iat, exp };
  } catch {
    return null;
  }
}
