import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

/**
 * Gives every request an id and returns it as `X-Request-Id`. In production it is Cloudflare's
 * `cf-ray` (so a log line can be matched with Cloudflare's own logs); elsewhere a random UUID.
 * A client-sent X-Request-Id is ignored: ids in our logs are ours.
 *
 * @example
 * app.use(requestId())
 * app.get('/', (c) => c.text(c.get('requestId')))
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const ray = c.req.header('cf-ray');
    const id = ray && /^[\w-]{1,64}$/.test(ray) ? ray : crypto.randomUUID();
    c.set('requestId', id);
    await next();
    c.header('X-Request-Id', id);
  };
}
