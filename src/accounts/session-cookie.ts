import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { SESSION_COOKIE, signSession } from '../auth/session';
import type { UserRole } from '../db/schema';
import type { AppEnv } from '../env';

/**
 * Signs a session for `user` on the current workspace, valid for the workspace's session
 * timeout, and sets it as the session cookie (HttpOnly: scripts cannot read it; Secure; SameSite
 * Lax: other sites' forms and fetches do not carry it; host-only: no Domain attribute, so other
 * workspaces' subdomains never see it). Returns the token for API clients (Authorization: Bearer).
 */
export async function startSession(
  c: Context<AppEnv>,
  user: { id: string; role: UserRole; sessionVersion: number },
  timeoutMinutes: number,
): Promise<string> {
  const token = await signSession(c.get('config').SESSION_SECRET, { sub: user.id, tid: c.get('tenant').id, role: user.role, sv: user.sessionVersion }, timeoutMinutes);
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: timeoutMinutes * 60 });
  return token;
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
}
