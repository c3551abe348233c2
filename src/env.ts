import type { Principal } from './auth/principal';
import type { Config } from './config';
import type { Logger } from './http/logger';
import type { TenantSnapshot } from './tenancy/snapshot';

/**
 * Bindings the Worker receives. `Env` itself is generated from wrangler.toml by
 * `npm run types` (src/worker-configuration.d.ts; `npm test` fails when it is stale). Variables
 * that only local dev and tests set are added here.
 */
export type AppBindings = Env & {
  /** Local and test only: where the Neon driver sends SQL (the local database gateway). */
  NEON_FETCH_ENDPOINT?: string;
  DB_QUERY_TIMEOUT_MS?: string;
  HEALTH_DB_TIMEOUT_MS?: string;
};

/** Which site the request's Host names. */
/** `customHost`: the custom domain the request came on (absent on the workspace's own subdomain). */
export type Site = { kind: 'platform' } | { kind: 'tenant'; tenant: TenantSnapshot; customHost?: string };

/** Per-request values set by middleware. */
export interface AppVariables {
  requestId: string;
  config: Config;
  log: Logger;
  site: Site;
  /** Set on tenant hosts only (the resolved, active tenant). */
  tenant: TenantSnapshot;
  principal: Principal;
}

export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
