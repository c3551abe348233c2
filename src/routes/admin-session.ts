import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { operatorSignInThrottle } from '../accounts/attempt-throttle';
import { isPlatformAdminToken, OPERATOR_COOKIE, OPERATOR_COOKIE_PATH, OPERATOR_SESSION_HOURS, signOperatorSession } from '../auth/operator-session';
import { DomainError } from '../domain/errors';
import type { AppEnv } from '../env';
import { jsonBody } from '../http/body';
import { clientIp } from '../http/rate-limit';

/**
 * The operator console's sign-in, on the platform host: the platform admin token is exchanged
 * for a short-lived operator session in a cookie (src/auth/operator-session.ts), so the browser
 * never keeps the token itself.
 *
 *  - POST /api/admin/session {token}: 200 `{signedIn: true, expiresAt}` and the cookie; a wrong
 *    token is a 401 `invalid_credentials`; failures are throttled per client address (429).
 *  - GET /api/admin/session: `{signedIn, expiresAt}` (expiresAt is null for a bearer token).
 *  - DELETE /api/admin/session: clears the cookie.
 *
 * The cookie: HttpOnly (no script reads it), Secure (browsers treat http://localhost as secure,
 * so this holds in dev too), SameSite=Strict, host-only (no Domain: workspace subdomains never
 * get it), Path=/api. Writes it carries are refused from other origins (src/http/same-origin.ts).
 */
export const adminSessionRoutes = new Hono<AppEnv>();

/**
 * Only on the platform host, in single-tenant mode too (where platformOnly() lets the operator
 * API through on the workspace's host): the cookie is honoured on the platform host only, so
 * setting it anywhere else would be a sign-in that does nothing.
 */
function platformHostOnly(): MiddlewareHandler<AppEnv> {
  return async function platformHostOnlyMiddleware(c, next) {
    if (c.get('site').kind !== 'platform') throw new DomainError('not_found', `No route for ${c.req.method} ${c.req.path} here: the operator console is on the platform's own address.`);
    await next();
    // A session answer is about this browser, now: never cached by anyone.
    c.header('cache-control', 'no-store');
  };
}
adminSessionRoutes.use(platformHostOnly());

const signInSchema = z.object({ token: z.string().min(1, 'is required').max(1024, 'must be at most 1024 characters') }).strict();

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'Strict', path: OPERATOR_COOKIE_PATH } as const;

function sessionAnswer(c: Context<AppEnv>) {
  const principal = c.get('principal');
  if (principal.kind !== 'platform_admin') return { signedIn: false, expiresAt: null };
  return { signedIn: true, expiresAt: principal.operatorSession?.expiresAt.toISOString() ?? null };
}

adminSessionRoutes.post('/', async (c) => {
  const { token } = await jsonBody(c, signInSchema);
  const ip = clientIp(c);
  const throttle = operatorSignInThrottle(c.env, ip);
  await throttle.begin();
  const config = c.get('config');
  if (!(await isPlatformAdminToken(token, config))) {
    c.get('log').warn('operator_sign_in_failed', { ip });
    throw new DomainError('invalid_credentials', 'That is not the platform admin token.');
  }
  await throttle.succeeded();
  const { token: session, session: claims } = await signOperatorSession(config);
  setCookie(c, OPERATOR_COOKIE, session, { ...COOKIE_OPTIONS, maxAge: OPERATOR_SESSION_HOURS * 3600 });
  c.get('log').info('operator_signed_in', { ip, expiresAt: claims.expiresAt.toISOString() });
  return c.json({ signedIn: true, expiresAt: claims.expiresAt.toISOString() });
});

adminSessionRoutes.get('/', (c) => c.json(sessionAnswer(c)));

adminSessionRoutes.delete('/', (c) => {
  deleteCookie(c, OPERATOR_COOKIE, COOKIE_OPTIONS);
  return c.json({ signedIn: false, expiresAt: null });
});
