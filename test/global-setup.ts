/**
 * Runs in Node before the suite (workerd runs the tests themselves). Starts the local database
 * gateway — PGlite in memory, or the PostgreSQL server named by DATABASE_URL — applies the
 * migrations through the same Neon driver path the Worker uses, starts the Stripe and Cloudflare
 * fakes, and hands their URLs to the Worker's bindings (vitest.config.ts) and to tests (inject).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { readFileSync } from 'node:fs';
import { openDatabase, type Database } from '../src/db/client';
import { dropStatements } from '../src/tenancy/schema-ops';
import { readMigrationFiles } from '../scripts/lib/migration-files';
import { describeBackend, openBackend, startGateway } from '../scripts/gateway';
import { migrateAll } from '../scripts/lib/migrate-all';
import { TEST_CLOUDFLARE_API_TOKEN, TEST_CLOUDFLARE_ZONE_ID, TEST_DATABASE_URL, TEST_STRIPE_WEBHOOK_SECRET } from './support/constants';
import { startStripeFake } from '../scripts/stripe-fake';
import { startCloudflareFake } from '../scripts/cloudflare-fake';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    gatewayBackend: 'pglite' | 'postgres';
    /** Accepts connections and never answers: a database that hangs. */
    blackholeUrl: string;
    /** Nothing listens there: a database that refuses. */
    closedPortUrl: string;
    /** The local Stripe fake (scripts/stripe-fake): the Worker's STRIPE_API_URL; tests drive it with test/support/stripe.ts. */
    stripeFakeUrl: string;
    /**
     * The local Cloudflare fake (scripts/cloudflare-fake), e.g. `http://127.0.0.1:40124`: the Worker's
     * CLOUDFLARE_API_URL is this plus `/client/v4`; tests drive it with test/support/cloudflare.ts.
     */
    cloudflareFakeUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const choice = process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {};
  const gateway = await startGateway({ backend: await openBackend(choice) });
  console.log(`[test] database: ${describeBackend(choice)} via gateway ${gateway.url}`);

  assertTenantMigrationsBundled();
  const open = () => openDatabase({ DATABASE_URL: TEST_DATABASE_URL, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 60_000 });
  await migrateAll(open);

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

  // Signs events with the secret the Worker verifies them with (STRIPE_WEBHOOK_SECRET in vitest.config.ts).
  const stripeFake = await startStripeFake({ webhookSecret: TEST_STRIPE_WEBHOOK_SECRET });
  project.provide('stripeFakeUrl', stripeFake.url);

  // Cloudflare for SaaS: accepts the Worker's token only, and serves its zone only
  // (CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID in vitest.config.ts).
  const cloudflareFake = await startCloudflareFake({ apiToken: TEST_CLOUDFLARE_API_TOKEN, zoneId: TEST_CLOUDFLARE_ZONE_ID });
  project.provide('cloudflareFakeUrl', cloudflareFake.url);

  return async () => {
    // On a real server, tenant roles are cluster-wide and would outlive the test database:
    // drop every tenant's schema and role the run created.
    if (gateway.backend.kind === 'postgres') await dropTestTenants(open()).catch((err: unknown) => console.error('[test] cleanup:', err));
    await stripeFake.close();
    await cloudflareFake.close();
    blackhole.closeAllConnections();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    await gateway.close();
  };
}

/** src/db/migrations/bundled.ts must import every file in migrations/tenant (the Worker cannot list files). */
function assertTenantMigrationsBundled(): void {
  const bundled = readFileSync(new URL('../src/db/migrations/bundled.ts', import.meta.url), 'utf8');
  const missing = readMigrationFiles('tenant')
    .map((f) => `${f.version}_${f.name}.sql`)
    .filter((file) => !bundled.includes(`migrations/tenant/${file}`));
  if (missing.length) throw new Error(`src/db/migrations/bundled.ts does not import: ${missing.join(', ')}`);
}

async function dropTestTenants(database: Database): Promise<void> {
  const rows = (await database.sql`SELECT schema_name, role_name FROM public.tenants`) as { schema_name: string; role_name: string }[];
  for (const r of rows) await database.transaction(dropStatements(database, r.schema_name, r.role_name));
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
