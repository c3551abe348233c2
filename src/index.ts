import { app } from './app';
import { configFor } from './config';
import { openDatabase } from './db/client';
import { createLogger } from './http/logger';
import type { AppBindings } from './env';
import { TenantDirectory } from './tenancy/directory';
import { withoutTenantHeaders } from './tenancy/middleware';
import { purgeDueTenants } from './tenancy/service';
import { sweepOverdueSubscriptions } from './billing/cron';
import { customHostnamesFor } from './domains/cloudflare';
import { pollDueDomains } from './domains/service';
import { domainDeps, tenantServiceDeps } from './deps';
import { recordDailyUsage } from './usage/daily';

export { TenantGate } from '../durable-objects/tenant-gate';
export { ChatRoom } from '../durable-objects/chat-room';
export { RateLimiter } from '../durable-objects/rate-limiter';
export { PersonStream } from '../durable-objects/person-stream';

/** The daily trigger's schedule (wrangler.toml [triggers]); the other one polls custom domains. */
const DAILY_CRON = '17 3 * * *';

export default {
  // X-Tenant-* headers from clients are removed before the app sees the request: the tenant
  // comes from the Host header alone.
  fetch: (request: Request, env: AppBindings, ctx: ExecutionContext) => app.fetch(withoutTenantHeaders(request), env, ctx),

  /**
   * Cron triggers (wrangler.toml). Every five minutes: ask Cloudflare about custom domains that
   * are due a check (pending ones with backoff, active ones hourly). Daily (DAILY_CRON): purge
   * workspaces whose deletion grace period is over, suspend those past due beyond the billing
   * grace period, record every tenant's usage. Each step runs whatever happened to the one before.
   */
  async scheduled(controller, env, ctx) {
    const config = configFor(env);
    const log = createLogger(config.LOG_LEVEL, { cron: controller.cron });
    const now = new Date(controller.scheduledTime);
    const database = openDatabase(config, { timeoutMs: 60_000 });
    const directory = new TenantDirectory(env.TENANT_CACHE, config, () => openDatabase(config));
    const steps: [string, () => Promise<void>][] = [];
    if (customHostnamesFor(config)) {
      steps.push(['domains', async () => {
        const result = await pollDueDomains(domainDeps(env, config, directory, database), now.getTime());
        if (result.checked || result.failed.length) log.info('domains_checked', { checked: result.checked, failed: result.failed.length });
        for (const f of result.failed) log.error('domain_check_failed', { domainId: f.id, error: f.error });
      }]);
    }
    if (controller.cron === DAILY_CRON) {
      steps.push(
        ['purge', async () => {
          const result = await purgeDueTenants(tenantServiceDeps(env, config, directory, database), now);
          log.info('tenants_purged', { count: result.purged.length, tenantIds: result.purged });
          for (const f of result.failed) log.error('tenant_purge_failed', { tenantId: f.id, error: f.error });
        }],
        ['billing', () => sweepOverdueSubscriptions(env, config, now, log)],
        ['usage', async () => {
          const usage = await recordDailyUsage(database, now);
          log.info('usage_recorded', { tenants: usage.recorded, alerts: usage.alerts });
          for (const f of usage.failed) log.error('usage_record_failed', { tenantId: f.id, error: f.error });
        }],
      );
    }
    for (const [step, run] of steps) {
      try {
        await run();
      } catch (err) {
        log.error('cron_step_failed', { step, error: err instanceof Error ? err.message : String(err) });
      }
    }
    void ctx;
  },
} satisfies ExportedHandler<AppBindings>;
