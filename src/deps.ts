import type { Config } from './config';
import { openDatabase, type Database } from './db/client';
import type { TenantRow } from './db/schema';
import type { AppBindings } from './env';
import { endSubscription } from './billing/workspace-end';
import { customHostnamesFor, requireCustomHostnames } from './domains/cloudflare';
import { customDomainTarget } from './domains/records';
import { removeTenantHostnames, type DomainDeps } from './domains/service';
import type { TenantDirectory } from './tenancy/directory';
import { pushToGate } from './tenancy/gate';
import type { TenantServiceDeps } from './tenancy/service';

/**
 * The platform use cases' dependencies, wired from the Worker's bindings in one place for every
 * entry point (the operator and owner routes, the scheduled handler): the platform database,
 * the host cache, the TenantGate, R2, and the outside services a tenant's end involves (Stripe
 * ends its subscription, Cloudflare drops its custom hostnames).
 */
export function tenantServiceDeps(env: AppBindings, config: Config, directory: TenantDirectory, database: Database = openDatabase(config)): TenantServiceDeps {
  return {
    database,
    directory,
    baseDomain: config.BASE_DOMAIN,
    files: env.FILES,
    pushToGate: (s) => pushToGate(env, s),
    endSubscription: (row, when) => endSubscription(config, row, when),
    removeHostnames: (row: TenantRow) => {
      // Without Cloudflare configured no hostname could have been created through it.
      const cloudflare = customHostnamesFor(config);
      return cloudflare ? removeTenantHostnames({ database, cloudflare }, row.id) : Promise.resolve(0);
    },
  };
}

/** The custom-domain use cases' dependencies; 503 domains_unavailable when Cloudflare is not configured. */
export function domainDeps(env: AppBindings, config: Config, directory: TenantDirectory, database?: Database): DomainDeps {
  return { ...tenantServiceDeps(env, config, directory, database), cloudflare: requireCustomHostnames(config), target: customDomainTarget(config) };
}
