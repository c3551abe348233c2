import { openDatabase, type Database } from '../../src/db/client';
import { LOCAL_CONNECTION_STRING, runningGateway, startLocalGateway } from './local-gateway';

export interface DatabaseTarget {
  database: () => Database;
  description: string;
  close(): Promise<void>;
}

const NEON_HOST = /\.neon\.(tech|build)$/;

/**
 * Where a command-line tool (migrate, seed, adopt) sends its SQL. It always goes through the
 * Neon HTTP driver, like the Worker:
 *  - NEON_FETCH_ENDPOINT set: that endpoint (a gateway someone else runs);
 *  - DATABASE_URL on Neon: Neon itself;
 *  - DATABASE_URL elsewhere: a gateway started here for that PostgreSQL server;
 *  - nothing: the running dev gateway, or PGlite under .data/ opened here.
 */
export async function openDatabaseTarget(env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget> {
  const timeout = { DB_QUERY_TIMEOUT_MS: 120_000 };
  const url = env.DATABASE_URL;
  if (env.NEON_FETCH_ENDPOINT) {
    const config = { DATABASE_URL: url ?? LOCAL_CONNECTION_STRING, NEON_FETCH_ENDPOINT: env.NEON_FETCH_ENDPOINT, ...timeout };
    return { database: () => openDatabase(config), description: `gateway at ${env.NEON_FETCH_ENDPOINT}`, close: async () => {} };
  }
  if (url && NEON_HOST.test(new URL(url).hostname)) {
    const config = { DATABASE_URL: url, NEON_FETCH_ENDPOINT: undefined, ...timeout };
    return { database: () => openDatabase(config), description: `Neon (${new URL(url).hostname})`, close: async () => {} };
  }
  if (!url) {
    const running = runningGateway();
    if (running) {
      const config = { DATABASE_URL: LOCAL_CONNECTION_STRING, NEON_FETCH_ENDPOINT: `${running.url}/sql`, ...timeout };
      return { database: () => openDatabase(config), description: `the running dev gateway (${running.url})`, close: async () => {} };
    }
  }
  const gateway = await startLocalGateway({ databaseUrl: url });
  const config = { DATABASE_URL: url ?? LOCAL_CONNECTION_STRING, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, ...timeout };
  return { database: () => openDatabase(config), description: gateway.description, close: () => gateway.close() };
}
