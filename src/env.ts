import type { Config } from './config';
import type { Logger } from './http/logger';

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

/** Per-request values set by middleware. */
export interface AppVariables {
  requestId: string;
  config: Config;
  log: Logger;
}

export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
