import type { MiddlewareHandler } from 'hono';
import { configFor } from '../config';
import type { AppEnv } from '../env';

/**
 * Puts the validated configuration on the context. A missing or malformed variable throws
 * ConfigError here, at the edge of the app, which `onError` turns into a 500 `config_error`
 * naming the variables, instead of an `undefined` deep inside a handler.
 *
 * @example
 * app.use(config())
 * app.get('/', (c) => c.text(c.get('config').BASE_DOMAIN))
 */
export function config(): MiddlewareHandler<AppEnv> {
  return async function configMiddleware(c, next) {
    c.set('config', configFor(c.env));
    await next();
  };
}
