/**
 * The real stack for browser tests and bench/web.ts, started the way `npm run dev` runs it, but
 * private to this run: free ports, a temp directory for everything it writes (the built app, the
 * Worker's local KV/Durable Object state), and nothing read from or written to the developer's
 * `.dev.vars`, `.data/` or `dist/web`.
 *
 *   1. the web app built once with src/web/vite.config.ts (Vite's JS API) into <tmp>/web;
 *   2. the database gateway (PGlite in memory, or the PostgreSQL server in DATABASE_URL) with the
 *      migrations applied (bench/worker-harness.ts startBenchGateway);
 *   3. the Stripe fake (scripts/stripe-fake), its webhook events sent to the Worker, and the
 *      Cloudflare fake (scripts/cloudflare-fake) for custom hostnames;
 *   4. `wrangler dev` with BASE_DOMAIN=localhost, fixed test secrets, the fakes' URLs and prices,
 *      and PLAN_LIMITS_ENFORCED left at its default (on: the product's real behaviour);
 *   5. ready once GET /api/health answers 200.
 * `stop()` ends wrangler's whole process group (wrangler and its workerd), then the fakes and the
 * gateway, and removes the temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_CONNECTION, startBenchGateway } from '../../../bench/worker-harness';
import { startWranglerDev } from '../../../scripts/lib/wrangler-dev';
import { openDatabase, type Database } from '../../../src/db/client';
import { dropStatements } from '../../../src/tenancy/schema-ops';
import { ROOT, STRIPE_FAKE_PRICE_VARS, readWranglerVars } from '../../../scripts/lib/dev-vars';
import { startStripeFake } from '../../../scripts/stripe-fake';
import { startCloudflareFake } from '../../../scripts/cloudflare-fake';
import type { Gateway } from '../../../scripts/gateway';
import {
  BROWSER_BASE_DOMAIN,
  BROWSER_CLOUDFLARE_API_TOKEN,
  BROWSER_CLOUDFLARE_ZONE_ID,
  BROWSER_PLATFORM_ADMIN_TOKEN,
  BROWSER_SESSION_SECRET,
  BROWSER_STRIPE_SECRET_KEY,
  BROWSER_STRIPE_WEBHOOK_SECRET,
} from './constants';
import type { StackInfo } from './stack-info';

export interface Stack {
  info: StackInfo;
  /** The gateway in this process (round-trip counters: gateway.stats). */
  gateway: Gateway;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Default: process.env.DATABASE_URL; absent means PGlite in memory. */
  databaseUrl?: string;
  log?: (line: string) => void;
  /** The Vite config to build the app with; default src/web/vite.config.ts (env NCHAT_WEB_VITE_CONFIG overrides). */
  webConfigFile?: string;
  /** How long `wrangler dev` may take to answer /api/health. */
  readyTimeoutMs?: number;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  const started = performance.now();
  const since = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const tmp = mkdtempSync(join(tmpdir(), 'nchat-browser-'));
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  // Should this process end without stop() (Ctrl-C in vitest), still leave no temp directory.
  process.once('exit', removeTmp);
  const cleanups: (() => Promise<unknown>)[] = [async () => (process.removeListener('exit', removeTmp), removeTmp())];
  const stopAll = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => log(`[stack] cleanup: ${(err as Error).message}`));
  };

  try {
    const webDir = join(tmp, 'web');
    await buildWeb(webDir, options.webConfigFile);
    log(`[stack] web app built into ${webDir} (${since()})`);

    const gateway = await startBenchGateway(databaseUrl ? { databaseUrl } : {});
    cleanups.push(() => gateway.close());
    const database = gateway.backend.kind === 'postgres' ? 'postgres' : 'pglite';
    const open = () => openDatabase({ DATABASE_URL: BENCH_CONNECTION, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 60_000 });
    if (database === 'postgres') {
      // Tenant roles are cluster-wide and outlive a database: drop the tenants this run made.
      const before = new Set(await tenantIds(open()));
      cleanups.push(() => dropTenantsExcept(open(), before));
    }
    log(`[stack] database: ${database === 'postgres' ? `PostgreSQL (${new URL(databaseUrl!).host})` : 'PGlite in memory'}, migrated, gateway ${gateway.url} (${since()})`);

    const port = await freePort();
    const stripeFake = await startStripeFake({
      webhookSecret: BROWSER_STRIPE_WEBHOOK_SECRET,
      webhookUrl: `http://localhost:${port}/api/billing/webhook`,
      log: (line) => log(`[stripe fake] ${line}`),
    });
    cleanups.push(() => stripeFake.close());
    const cloudflareFake = await startCloudflareFake({
      apiToken: BROWSER_CLOUDFLARE_API_TOKEN,
      zoneId: BROWSER_CLOUDFLARE_ZONE_ID,
      log: (line) => log(`[cloudflare fake] ${line}`),
    });
    cleanups.push(() => cloudflareFake.close());

    const worker = await startWranglerDev({
      port,
      dir: tmp,
      webDir,
      readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
      host: BROWSER_BASE_DOMAIN,
      showOutput: Boolean(process.env.NCHAT_BROWSER_WORKER_LOG),
      secrets: {
        DATABASE_URL: BENCH_CONNECTION,
        SESSION_SECRET: BROWSER_SESSION_SECRET,
        PLATFORM_ADMIN_TOKEN: BROWSER_PLATFORM_ADMIN_TOKEN,
        STRIPE_SECRET_KEY: BROWSER_STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: BROWSER_STRIPE_WEBHOOK_SECRET,
        CLOUDFLARE_API_TOKEN: BROWSER_CLOUDFLARE_API_TOKEN,
      },
      vars: {
        // wrangler.toml's own values first, so a .dev.vars override of one can never leak in.
        ...readWranglerVars(),
        BASE_DOMAIN: BROWSER_BASE_DOMAIN,
        LOG_LEVEL: 'warn',
        NEON_FETCH_ENDPOINT: gateway.sqlEndpoint,
        STRIPE_API_URL: stripeFake.url,
        ...STRIPE_FAKE_PRICE_VARS,
        CLOUDFLARE_API_URL: `${cloudflareFake.url}/client/v4`,
        CLOUDFLARE_ZONE_ID: BROWSER_CLOUDFLARE_ZONE_ID,
        CUSTOM_DOMAIN_TARGET: `customers.${BROWSER_BASE_DOMAIN}`,
      },
    });
    cleanups.push(() => worker.stop());
    log(`[stack] wrangler dev on port ${port}, /api/health 200 (${since()})`);

    return {
      gateway,
      info: {
        port,
        platformUrl: `http://${BROWSER_BASE_DOMAIN}:${port}`,
        baseDomain: BROWSER_BASE_DOMAIN,
        workspaceUrlPattern: `http://{slug}.${BROWSER_BASE_DOMAIN}:${port}`,
        adminToken: BROWSER_PLATFORM_ADMIN_TOKEN,
        stripeFakeUrl: stripeFake.url,
        cloudflareFakeUrl: cloudflareFake.url,
        database,
        webDir,
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `vite build` of src/web (its own vite.config.ts) into `outDir` instead of dist/web. */
export async function buildWeb(outDir: string, configFile = process.env.NCHAT_WEB_VITE_CONFIG || join(ROOT, 'src', 'web', 'vite.config.ts')): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function tenantIds(database: Database): Promise<string[]> {
  const rows = (await database.sql`SELECT id FROM public.tenants`) as { id: string }[];
  return rows.map((r) => String(r.id));
}

async function dropTenantsExcept(database: Database, keep: Set<string>): Promise<void> {
  const rows = (await database.sql`SELECT id, schema_name, role_name FROM public.tenants`) as { id: string; schema_name: string; role_name: string }[];
  for (const r of rows) {
    if (keep.has(String(r.id))) continue;
    await database.transaction(dropStatements(database, r.schema_name, r.role_name));
    await database.sql`DELETE FROM public.tenants WHERE id = ${r.id}`;
  }
}
