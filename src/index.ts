import { app } from './app';
import { configFor } from './config';
import { openDatabase } from './db/client';
import { createLogger } from './http/logger';
import type { AppBindings } from './env';
import { TenantDirectory } from './tenancy/directory';
import { withoutTenantHeaders } from './tenancy/middleware';
import { purgeDueTenants } from './tenancy/service';
import { pushToGate } from './tenancy/gate';
import { sweepOverdueSubscriptions } from './billing/cron';
import { recordDailyUsage } from './usage/daily';

export { TenantGate } from '../durable-objects/tenant-gate';
export { ChatRoom } from '../durable-objects/chat-room';
export { RateLimiter } from '../durable-objects/rate-limiter';

export default {
  // X-Tenant-* headers from clients are removed before the app sees the request: the tenant
  // comes from the Host header alone.
  fetch: (request: Request, env: AppBindings, ctx: ExecutionContext) => app.fetch(withoutTenantHeaders(request), env, ctx),

  /** Daily cron (wrangler.toml): purge workspaces whose deletion grace period is over, record every tenant's usage. */
  async scheduled(controller, env, ctx) {
    const config = configFor(env);
    const log = createLogger(config.LOG_LEVEL, { cron: controller.cron });
    const database = openDatabase(config, { timeoutMs: 60_000 });
    const directory = new TenantDirectory(env.TENANT_CACHE, config, () => openDatabase(config));
    const result = await purgeDueTenants({ database, directory, baseDomain: config.BASE_DOMAIN, files: env.FILES, pushToGate: (s) => pushToGate(env, s) }, new Date(controller.scheduledTime));
    log.info('tenants_purged', { count: result.purged.length, tenantIds: result.purged });
    for (const f of result.failed) log.error('tenant_purge_failed', { tenantId: f.id, error: f.error });
    await sweepOverdueSubscriptions(env, config, new Date(controller.scheduledTime), log);
    const usage = await recordDailyUsage(database, new Date(controller.scheduledTime));
    log.info('usage_recorded', { tenants: usage.recorded, alerts: usage.alerts });
    for (const f of usage.failed) log.error('usage_record_failed', { tenantId: f.id, error: f.error });
    void ctx;
  },
} satisfies ExportedHandler<AppBindings>;
