import { Hono } from 'hono';
import { authenticate } from './auth/principal';
import type { AppEnv } from './env';
import { config } from './http/config';
import { notFound, onError } from './http/errors';
import { requestLogger } from './http/logger';
import { requestId } from './http/request-id';
import { sameOriginWrites } from './http/same-origin';
import { saneRequest } from './http/input';
import { healthRoutes } from './routes/health';
import { tenantRoutes } from './routes/tenant';
import { tenantsRoutes } from './routes/tenants';
import { adminUsageRoutes, tenantUsageRoutes } from './routes/usage';
import { adminDomainRoutes } from './routes/admin-domains';
import { adminSessionRoutes } from './routes/admin-session';
import { domainRoutes } from './routes/domains';
import { attachmentsRoutes, channelAttachmentsRoutes } from './routes/attachments';
import { billingRoutes } from './routes/billing';
import { authRoutes, meRoutes } from './routes/auth';
import { channelsRoutes, dmRoutes } from './routes/channels';
import { invitationsRoutes } from './routes/invitations';
import { channelMessagesRoutes, messagesRoutes, searchRoutes } from './routes/messages';
import { usersRoutes } from './routes/users';
import { resolveSite } from './tenancy/middleware';
import { tenantGate } from './tenancy/gate';

/**
 * The Hono app. Middleware order matters: the request id comes first so every log line and
 * every error carries it, the logger wraps everything after it, configuration is validated
 * before anything uses it, text no route could use (NUL, malformed encoding) is refused at the
 * edge, the site (platform or tenant) is resolved from the Host before any
 * route runs, then the caller is identified, and cookie-borne writes from other origins refused.
 */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId(), requestLogger(), config(), saneRequest(), resolveSite(), authenticate(), sameOriginWrites(), tenantGate());
  app.route('/api', healthRoutes);
  app.route('/api/tenants', tenantsRoutes);
  app.route('/api/tenant/usage', tenantUsageRoutes);
  app.route('/api/tenant/domains', domainRoutes);
  app.route('/api/tenant', tenantRoutes);
  app.route('/api/admin/usage', adminUsageRoutes);
  app.route('/api/admin/domains', adminDomainRoutes);
  app.route('/api/admin/session', adminSessionRoutes);
  // Billing: owner routes on workspace hosts, Stripe's webhook on the platform host.
  app.route('/api/billing', billingRoutes);
  // Workspace hosts: accounts, people, chat. Each group's middleware covers its prefix only.
  app.route('/api/auth', authRoutes);
  app.route('/api/me', meRoutes);
  app.route('/api/users', usersRoutes);
  app.route('/api/invitations', invitationsRoutes);
  app.route('/api/channels', channelsRoutes);
  app.route('/api/channels', channelMessagesRoutes);
  app.route('/api/channels', channelAttachmentsRoutes);
  app.route('/api/dms', dmRoutes);
  app.route('/api/messages', messagesRoutes);
  app.route('/api/search', searchRoutes);
  app.route('/api/attachments', attachmentsRoutes);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

export const app = createApp();
