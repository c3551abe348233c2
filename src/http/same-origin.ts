import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';

/**
 * Refuses state-changing requests (and WebSocket upgrades) that a browser made on behalf of
 * another origin, unless the caller was authenticated by a bearer token (`principal.via`: an
 * `Authorization` header a page of another origin cannot add without a CORS preflight this app
 * never grants). Merely carrying an `Authorization` header is not enough: authenticate() honours
 * only `Bearer`, and with anything else (`Basic ...`) the request is authenticated by its cookies
 * like any other. SameSite=Lax keeps the session cookie off cross-site requests, but every
 * workspace subdomain of BASE_DOMAIN is the *same site* as every other: a page served from
 * evil.<base> could otherwise post a form to acme.<base> with acme's cookie (deactivate a user,
 * invite an address). Browsers say where a request comes from in Origin and Sec-Fetch-Site;
 * clients that send neither (curl, server-to-server) are not browsers and carry no ambient
 * credentials to abuse.
 *
 * @example
 * app.use(sameOriginWrites())
 */
export function sameOriginWrites(): MiddlewareHandler<AppEnv> {
  return async function sameOriginWritesMiddleware(c, next) {
    const method = c.req.method;
    // A WebSocket upgrade is a GET, but what it opens reads and writes (a room's messages, a
    // person's stream) with the cookie the browser attaches: another site's page must not open
    // one (cross-site WebSocket hijacking). Browsers always send Origin on the handshake.
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    if (!upgrade && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')) return next();
    const principal = c.get('principal');
    if (principal.kind !== 'anonymous' && principal.via === 'bearer') return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    if ((site && site !== 'same-origin' && site !== 'none') || (origin && origin !== new URL(c.req.url).origin)) {
      throw new DomainError('cross_origin_request', 'This request came from another site. Use the workspace\'s own address, or send the token in an Authorization header.');
    }
    // The operator console's cookie acts as the platform admin: a write it carries must also say
    // where it comes from. Every browser the console supports sends Origin on writes (and
    // Sec-Fetch-Site); a request with neither is refused rather than trusted.
    if (!site && !origin && principal.kind === 'platform_admin' && principal.operatorSession) {
      throw new DomainError('cross_origin_request', 'A change made with the operator console\'s session must come from the console itself (the request has no Origin). API clients send the admin token in an Authorization header.');
    }
    return next();
  };
}
