/**
 * bench/tenant-resolution — GET /api/tenant through `wrangler dev`:
 *   - requests/s, latency and database round trips per request with a warm cache;
 *   - the same with a cold cache (every request the first for its host, empty KV);
 *   - the same for a custom domain (added through the API, activated by the Cloudflare fake);
 *   - the time to provision one tenant, and 100 tenants.
 * A figure for issue notes, not a test. PGlite by default; DATABASE_URL for a PostgreSQL server.
 *
 *   npm run bench:tenants
 */
import { connectionKey } from '../scripts/gateway/stats';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, BENCH_CONNECTION, request, runConcurrent, startBenchGateway, startWorker } from './worker-harness';
import { startCloudflareFake } from '../scripts/cloudflare-fake';

// Resolution is measured here, not the TenantGate (bench:gate does that): its per-plan rate limit
// would refuse this many anonymous requests to one free workspace.
const NO_GATE = { PLAN_LIMITS_ENFORCED: 'false' };
const TENANTS = Number(process.env.TENANTS ?? 100);
const WARM_REQUESTS = Number(process.env.REQUESTS ?? 5000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 20);
const PORT = Number(process.env.PORT ?? 8797);

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const roundTrips = () => gateway.stats.get(connectionKey(BENCH_CONNECTION)).roundTrips;
// Custom domains: the Worker's Cloudflare SDK talks to the local fake.
const CF_TOKEN = 'cf-bench-token-0123456789';
const CF_ZONE = 'be0be0be0be0be0be0be0be0be0be0be';
const cloudflare = await startCloudflareFake({ port: 0, apiToken: CF_TOKEN, zoneId: CF_ZONE });
const VARS = { ...NO_GATE, CLOUDFLARE_API_URL: `${cloudflare.url}/client/v4`, CLOUDFLARE_API_TOKEN: CF_TOKEN, CLOUDFLARE_ZONE_ID: CF_ZONE };
let worker = await startWorker(gateway, PORT, VARS);
const rows: (string | number)[][] = [];
try {
  const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
  const create = async (slug: string, plan: { plan?: string; trial?: boolean } = {}): Promise<string> => {
    const res = await request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: `Bench ${slug}`, slug, ownerEmail: `owner@${slug}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', ...plan }, admin);
    if (res.status !== 201) throw new Error(`create ${slug}: ${res.status} ${res.body}`);
    return (JSON.parse(res.body) as { token: string }).token;
  };
  const run = Date.now().toString(36);
  // Warm-up the Worker's code paths once.
  await create(`warmup-${run}`);

  const one = performance.now();
  await create(`one-${run}`);
  const oneMs = performance.now() - one;

  const slugs = Array.from({ length: TENANTS }, (_, i) => `b${i}-${run}`);
  const many = await runConcurrent(TENANTS, 4, async (i) => { await create(slugs[i]!); });
  console.log(`provisioned 1 tenant in ${oneMs.toFixed(0)} ms; ${TENANTS} tenants in ${(many.elapsedMs / 1000).toFixed(2)} s (4 at a time; p50 ${percentile(many.latencies, 50).toFixed(0)} ms each)`);

  // Warm: one host, repeated. The first request may fill the cache; measure after it.
  const host = `${slugs[0]}.localhost`;
  await request(PORT, host, 'GET', '/api/tenant');
  const rtBefore = roundTrips();
  const warm = await runConcurrent(WARM_REQUESTS, CONCURRENCY, async () => {
    const res = await request(PORT, host, 'GET', '/api/tenant');
    if (res.status !== 200) throw new Error(`warm: ${res.status}`);
  });
  const warmRt = (roundTrips() - rtBefore) / WARM_REQUESTS;
  rows.push(['warm (1 host)', WARM_REQUESTS, (WARM_REQUESTS / warm.elapsedMs) * 1000, percentile(warm.latencies, 50), percentile(warm.latencies, 99), warmRt]);

  // A custom domain: added through the API, activated at the (fake) Cloudflare, refreshed.
  const customSlug = `dom-${run}`;
  const owner = { authorization: `Bearer ${await create(customSlug, { plan: 'pro', trial: true })}` };
  const customHost = `chat.${customSlug}.bench-customer.com`;
  const added = await request(PORT, `${customSlug}.localhost`, 'POST', '/api/tenant/domains', { hostname: customHost }, owner);
  if (added.status !== 201) throw new Error(`add domain: ${added.status} ${added.body}`);
  const domainId = (JSON.parse(added.body) as { domain: { id: string } }).domain.id;
  cloudflare.state.setState(customHost, 'active');
  const refreshed = await request(PORT, `${customSlug}.localhost`, 'POST', `/api/tenant/domains/${domainId}/refresh`, undefined, owner);
  if (!refreshed.body.includes('"status":"active"')) throw new Error(`refresh: ${refreshed.status} ${refreshed.body}`);
  const customFirst = roundTrips();
  if ((await request(PORT, customHost, 'GET', '/api/tenant')).status !== 200) throw new Error('custom domain does not serve');
  const customFirstRt = roundTrips() - customFirst;
  const rtCustom = roundTrips();
  const warmCustom = await runConcurrent(WARM_REQUESTS, CONCURRENCY, async () => {
    const res = await request(PORT, customHost, 'GET', '/api/tenant');
    if (res.status !== 200) throw new Error(`warm custom: ${res.status}`);
  });
  const customRt = (roundTrips() - rtCustom) / WARM_REQUESTS;
  rows.push(['warm (1 custom domain)', WARM_REQUESTS, (WARM_REQUESTS / warmCustom.elapsedMs) * 1000, percentile(warmCustom.latencies, 50), percentile(warmCustom.latencies, 99), customRt]);

  // Cold: a new Worker with empty KV and memory; each of the tenants' hosts asked once.
  await worker.stop();
  worker = await startWorker(gateway, PORT, VARS);
  const rtCold = roundTrips();
  const cold = await runConcurrent(TENANTS, CONCURRENCY, async (i) => {
    const res = await request(PORT, `${slugs[i]}.localhost`, 'GET', '/api/tenant');
    if (res.status !== 200) throw new Error(`cold: ${res.status}`);
  });
  const coldRt = (roundTrips() - rtCold) / TENANTS;
  rows.push([`cold (${TENANTS} hosts, empty KV)`, TENANTS, (TENANTS / cold.elapsedMs) * 1000, percentile(cold.latencies, 50), percentile(cold.latencies, 99), coldRt]);

  console.log(`\nGET /api/tenant through wrangler dev (${gateway.backend.kind}), concurrency ${CONCURRENCY}\n`);
  printTable(['cache', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'db round trips/req'], rows);
  console.log(`\ncustom domain ${customHost}: its first request after activation made ${customFirstRt} database round trip(s) (activation published the host to the cache)`);
} finally {
  await worker.stop();
  await cloudflare.close();
  await gateway.close();
}
