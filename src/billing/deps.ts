import type { Context } from 'hono';
import type { Config } from '../config';
import { openDatabase } from '../db/client';
import type { AppBindings, AppEnv } from '../env';
import { TenantDirectory } from '../tenancy/directory';
import { pushToGate } from '../tenancy/gate';
import { directoryFor } from '../tenancy/middleware';
import type { BillingDeps } from './tenant-billing';

/** Billing's dependencies for a request: the same database, cache and gate as the tenant service's. */
export function billingDeps(c: Context<AppEnv>): BillingDeps {
  const config = c.get('config');
  return { config, database: openDatabase(config), directory: directoryFor(c), baseDomain: config.BASE_DOMAIN, files: c.env.FILES, pushToGate: (s) => pushToGate(c.env, s) };
}

/** Outside a request (the daily cron, tests): built from the Worker's bindings. */
export function billingDepsFromEnv(env: AppBindings, config: Config): BillingDeps {
  const database = openDatabase(config, { timeoutMs: 60_000 });
  return {
    config,
    database,
    directory: new TenantDirectory(env.TENANT_CACHE, config, () => openDatabase(config)),
    baseDomain: config.BASE_DOMAIN,
    files: env.FILES,
    pushToGate: (s) => pushToGate(env, s),
  };
}
