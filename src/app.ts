import { Hono } from 'hono';
import type { AppEnv } from './env';
import { config } from './http/config';
import { notFound, onError } from './http/errors';
import { requestLogger } from './http/logger';
import { requestId } from './http/request-id';
import { healthRoutes } from './routes/health';

/**
 * The Hono app. Middleware order matters: the request id comes first so every log line and
 * every error carries it, the logger wraps everything after it, and configuration is validated
 * before any route runs.
 */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId(), requestLogger(), config());
  app.route('/api', healthRoutes);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

export const app = createApp();
