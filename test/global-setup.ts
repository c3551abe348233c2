/**
 * Runs in Node before the suite (workerd runs the tests themselves). Starts the local database
 * gateway — PGlite in memory, or the PostgreSQL server named by DATABASE_URL — applies the
 * migrations through the same Neon driver path the Worker uses, and hands the gateway's URL to
 * the Worker's bindings (vitest.config.ts) and to tests (inject).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client';
import { describeBackend, openBackend, startGateway } from '../scripts/gateway';
import { migrateAll } from '../scripts/lib/migrate-all';
import { TEST_DATABASE_URL } from './support/constants';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    gatewayBackend: 'pglite' | 'postgres';
    /** Accepts connections and never answers: a database that hangs. */
    blackholeUrl: string;
    /** Nothing listens there: a database that refuses. */
    closedPortUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const choice = process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {};
  const gateway = await startGateway({ backend: await openBackend(choice) });
  console.log(`[test] database: ${describeBackend(choice)} via gateway ${gateway.url}`);

  await migrateAll(() => openDatabase({ DATABASE_URL: TEST_DATABASE_URL, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 60_000 }));

  const blackhole = await listen(createServer(() => {
    /* never respond */
  }));
  const closed = await listen(createServer());
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  project.provide('gatewayUrl', gateway.url);
  project.provide('gatewayBackend', gateway.backend.kind);
  project.provide('blackholeUrl', `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}`);
  project.provide('closedPortUrl', `http://127.0.0.1:${closedPort}`);

  return async () => {
    blackhole.closeAllConnections();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    await gateway.close();
  };
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
