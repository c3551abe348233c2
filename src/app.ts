import { Hono } from 'hono';
import { authenticate } from './auth/principal';
import type { AppEnv } from './env';
import { config } from './http/config';
import { notFound, onError } from './http/errors';
import { requestLogger } from './http/logger';
import { requestId } from './http/request-id';
import { healthRoutes } from './routes/health';
import { tenantRoutes } from './routes/tenant';
import { tenantsRoutes } from './routes/tenants';
import { resolveSite } from './tenancy/middleware';

/**
 * The Hono app. Middleware order matters: the request id comes first so every log line and
 * every error carries it, the logger wraps everything after it, configuration is validated
 * before anything uses it, the site (platform or tenant) is resolved from the Host before any
 * route runs, and the caller is identified last.
 */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId(), requestLogger(), config(), resolveSite(), authenticate());
  app.route('/api', healthRoutes);
  app.route('/api/tenants', tenantsRoutes);
  app.route('/api/tenant', tenantRoutes);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

export const app = createApp();
