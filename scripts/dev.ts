/**
 * npm run dev — the whole product locally with one command:
 *   1. .dev.vars (created from .dev.vars.example with random secrets on first run) and the
 *      configuration checked with the Worker's own schema, with a readable message if wrong;
 *   2. the local database gateway: PGlite under .data/pglite, or the PostgreSQL server named by
 *      DATABASE_URL in the shell;
 *   3. migrations applied;
 *   4. the local Stripe fake (scripts/stripe-fake) on STRIPE_FAKE_PORT (12111), sending its
 *      webhook events to the Worker, unless STRIPE_FAKE=false or .dev.vars points
 *      STRIPE_API_URL elsewhere;
 *   5. the local Cloudflare fake (scripts/cloudflare-fake, custom hostnames) on
 *      CLOUDFLARE_FAKE_PORT (12112), unless CLOUDFLARE_FAKE=false or .dev.vars configures the
 *      real Cloudflare API (a CLOUDFLARE_API_TOKEN without CLOUDFLARE_API_URL) or another URL;
 *   6. the web app (src/web) built into dist/web, then rebuilt on every change (`vite build --watch`);
 *   7. `wrangler dev` on PORT (default 8787), pointed at the gateway and the fakes, serving
 *      the app as static assets.
 * Ctrl-C or SIGTERM stops everything it started (wrangler and its workerd run in their own
 * process group, which is killed as a whole), leaving no orphan.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, formatConfigProblems, parseConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { ROOT, ensureDevVars, planCloudflareFake, planStripeFake, readDevVars, readWranglerVars } from './lib/dev-vars';
import { LOCAL_CONNECTION_STRING, startLocalGateway } from './lib/local-gateway';
import { migrateAll } from './lib/migrate-all';
import { startStripeFake, type StripeFake } from './stripe-fake';
import { startCloudflareFake, type CloudflareFake } from './cloudflare-fake';

const PORT = Number(process.env.PORT ?? 8787);
/** Local dev serves workspaces on <slug>.localhost, which browsers and curl resolve to loopback. */
const BASE_DOMAIN = process.env.BASE_DOMAIN ?? 'localhost';
const GATEWAY_PORT = Number(process.env.GATEWAY_PORT ?? 8790);
const READY_TIMEOUT_MS = 60_000;

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`\nnpm run dev: ${message}\n`);
  process.exit(1);
}

const devVars = ensureDevVars();
if (devVars.created) say(`Created ${devVars.path} from .dev.vars.example (random secrets).`);

// The database the gateway serves, and the connection string the Worker is given.
const serverUrl = process.env.DATABASE_URL;
const workerDatabaseUrl = serverUrl ?? readDevVars().DATABASE_URL ?? LOCAL_CONNECTION_STRING;
const gatewaySqlEndpoint = `http://127.0.0.1:${GATEWAY_PORT}/sql`;
// Stripe: the local fake unless configured otherwise; its URL and price ids become Worker vars.
const stripePlan = planStripeFake(readDevVars());
const stripeVars = stripePlan.use ? stripePlan.vars : {};
// Cloudflare for SaaS: the local fake unless configured otherwise; its URL (and a dev token, zone
// and CNAME target, unless .dev.vars has its own) become Worker vars.
const cloudflarePlan = planCloudflareFake(readDevVars());
const cloudflareVars = cloudflarePlan.use ? cloudflarePlan.vars : {};

// Validate exactly what the Worker will see, before starting anything.
try {
  parseConfig({
    ...readWranglerVars(),
    ...readDevVars(),
    BASE_DOMAIN,
    DATABASE_URL: workerDatabaseUrl,
    NEON_FETCH_ENDPOINT: gatewaySqlEndpoint,
    ...stripeVars,
    ...cloudflareVars,
  });
} catch (err) {
  if (err instanceof ConfigError) fail(`${formatConfigProblems(err)}\nFix .dev.vars or wrangler.toml [vars] and try again.`);
  throw err;
}

let gateway: Awaited<ReturnType<typeof startLocalGateway>>;
try {
  gateway = await startLocalGateway({ databaseUrl: serverUrl, port: GATEWAY_PORT });
} catch (err) {
  fail(`could not start the database gateway on port ${GATEWAY_PORT}: ${(err as Error).message}`);
}
say(`Database: ${gateway.description} (gateway ${gateway.url})`);

try {
  await migrateAll(() => openDatabase({ DATABASE_URL: workerDatabaseUrl, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 120_000 }), (l) => say(`  ${l}`));
} catch (err) {
  await gateway.close();
  fail(`migrations failed: ${(err as Error).message}`);
}

let stripeFake: StripeFake | undefined;
if (stripePlan.use) {
  try {
    stripeFake = await startStripeFake({
      port: stripePlan.port,
      webhookSecret: stripePlan.webhookSecret,
      webhookUrl: `http://localhost:${PORT}/api/billing/webhook`,
      log: (line) => say(`[stripe fake] ${line}`),
    });
  } catch (err) {
    await gateway.close();
    fail(`could not start the Stripe fake on port ${stripePlan.port}: ${(err as Error).message}\nSet STRIPE_FAKE_PORT to another port, or STRIPE_FAKE=false to run without it.`);
  }
  if (stripePlan.webhookSecretMissing) say('Note: .dev.vars has no STRIPE_WEBHOOK_SECRET; the Stripe fake signs with whsec_local, which the Worker cannot verify until you set it.');
}

let cloudflareFake: CloudflareFake | undefined;
if (cloudflarePlan.use) {
  try {
    cloudflareFake = await startCloudflareFake({
      port: cloudflarePlan.port,
      apiToken: cloudflarePlan.apiToken,
      zoneId: cloudflarePlan.zoneId,
      log: (line) => say(`[cloudflare fake] ${line}`),
    });
  } catch (err) {
    await stripeFake?.close().catch(() => undefined);
    await gateway.close();
    fail(`could not start the Cloudflare fake on port ${cloudflarePlan.port}: ${(err as Error).message}\nSet CLOUDFLARE_FAKE_PORT to another port, or CLOUDFLARE_FAKE=false to run without it.`);
  }
  say(`Cloudflare fake: ${cloudflareFake.url} (Worker: CLOUDFLARE_API_URL=${cloudflarePlan.apiUrl}, zone ${cloudflarePlan.zoneId})`);
  if (cloudflarePlan.tokenMissing) {
    say(`Note: .dev.vars has no CLOUDFLARE_API_TOKEN; the Worker gets the fake's dev token with --var (wrangler warns it is missing). Add CLOUDFLARE_API_TOKEN=${cloudflarePlan.apiToken} to .dev.vars to quiet it.`);
  }
}

// The web app: built once before wrangler starts (its [assets] directory must exist), then
// rebuilt on change; wrangler serves the new files on the next load.
say('Building the web app (src/web → dist/web)...');
const firstBuild = spawnSync(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
if (firstBuild.status !== 0) {
  await stripeFake?.close().catch(() => undefined);
  await cloudflareFake?.close().catch(() => undefined);
  await gateway.close();
  fail('the web app did not build; see the errors above.');
}
const webWatch: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'src/web/vite.config.ts', '--watch', '--logLevel', 'warn'], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
});

const wranglerArgs = [
  'dev',
  '--port', String(PORT),
  // Keep the real Host header (acme.localhost:8787) instead of rewriting it to the zone of the
  // production routes: tenant resolution depends on it.
  '--infer-origin-from-routes=false',
  '--var', `BASE_DOMAIN:${BASE_DOMAIN}`,
  '--var', `NEON_FETCH_ENDPOINT:${gateway.sqlEndpoint}`,
  '--show-interactive-dev-session=false',
];
if (serverUrl) wranglerArgs.push('--var', `DATABASE_URL:${serverUrl}`);
for (const [name, value] of Object.entries({ ...stripeVars, ...cloudflareVars })) wranglerArgs.push('--var', `${name}:${value}`);

const wrangler: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', 'wrangler'), wranglerArgs, {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true, // own process group: one kill reaches wrangler and every workerd it started
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
});

let stopping = false;
function killWrangler(signal: NodeJS.Signals): void {
  if (wrangler.pid === undefined || wrangler.exitCode !== null) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch {
    /* already gone */
  }
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    killWrangler('SIGTERM');
    const forced = setTimeout(() => killWrangler('SIGKILL'), 5_000);
    if (wrangler.exitCode === null && wrangler.signalCode === null) await new Promise((resolve) => wrangler.once('exit', resolve));
    clearTimeout(forced);
    killWrangler('SIGKILL'); // anything left in the group
    webWatch.kill('SIGTERM');
    await stripeFake?.close().catch(() => undefined);
    await cloudflareFake?.close().catch(() => undefined);
    await gateway.close().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));
process.on('SIGHUP', () => void stop(129));
// Last resort if this process dies some other way: never leave workerd behind.
process.on('exit', () => {
  killWrangler('SIGKILL');
  webWatch.kill('SIGKILL');
});
// If whoever started us (npm, a terminal, a CI step) goes away without a signal, we are
// re-parented; treat that as a stop too.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop(129);
}, 1_000).unref();
wrangler.on('exit', (code, signal) => {
  if (stopping) return;
  process.stderr.write(`\nwrangler dev exited (${signal ?? `code ${code}`}); stopping.\n`);
  void stop(code ?? 1);
});

// Announce the URLs once the Worker answers.
const base = `http://localhost:${PORT}`;
const deadline = Date.now() + READY_TIMEOUT_MS;
let ready = false;
while (!stopping && Date.now() < deadline) {
  try {
    const res = await fetch(`http://localhost:${PORT}/api/health`);
    if (res.status === 200) {
      ready = true;
      break;
    }
  } catch {
    /* not listening yet */
  }
  await new Promise((r) => setTimeout(r, 250));
}
if (ready) {
  say('');
  say('nchat is running:');
  say(`  Platform (sign up here):           ${base}`);
  say(`  Health:                            ${base}/api/health`);
  say(`  A workspace, e.g. slug "acme":     http://acme.${BASE_DOMAIN}:${PORT}`);
  say(`  Database gateway:                  ${gateway.url} (${gateway.description})`);
  if (stripeFake) say(`  Stripe (local fake):               ${stripeFake.url}; to pay a checkout, open its URL and press "Pay (test)", or npm run stripe:complete -- <checkout url>`);
  else if (!stripePlan.use) say(`  Stripe:                            not the local fake (${stripePlan.reason})`);
  if (cloudflareFake) say(`  Cloudflare (local fake):           ${cloudflareFake.url}/client/v4; to activate a custom domain, npm run cloudflare:activate -- <hostname>`);
  else if (!cloudflarePlan.use) say(`  Cloudflare:                        not the local fake (${cloudflarePlan.reason})`);
  say('Press Ctrl-C to stop.');
} else if (!stopping) {
  process.stderr.write(`\nThe Worker did not answer ${base}/api/health within ${READY_TIMEOUT_MS / 1000} s; see wrangler's output above.\n`);
}
