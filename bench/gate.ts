/**
 * bench/gate — what the TenantGate adds to a tenant API request, through `wrangler dev`:
 * anonymous GET /api/tenant (no database work of its own; signed-in members would also get a live
 * usage summary) with the gate on and off, latency p50/p99 and
 * requests/s at a fixed concurrency; then that a Pro tenant gets every one of its 120 requests
 * a minute (no false refusals) and the 121st is refused.
 *
 *   npm run bench:gate
 */
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, request, runConcurrent, startBenchGateway, startWorker, type RunningWorker } from './worker-harness';

const REQUESTS = Number(process.env.REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const PORT = Number(process.env.PORT ?? 8795);
const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const rows: (string | number)[][] = [];
let worker: RunningWorker | undefined;

async function tenant(slug: string, limits: Record<string, number | null>): Promise<{ host: string }> {
  const res = await request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: slug, slug, ownerEmail: `o@${slug}.test`, ownerName: 'O', ownerPassword: 'securepass123' }, admin);
  const body = JSON.parse(res.body) as { tenant: { id: string }; };
  await request(PORT, 'localhost', 'PUT', `/api/tenants/${body.tenant.id}`, { plan: 'pro', ...(Object.keys(limits).length ? { plan: 'custom', limits } : {}) }, admin);
  return { host: `${slug}.localhost` };
}

try {
  const run = Date.now().toString(36);
  for (const enforced of ['false', 'true']) {
    worker = await startWorker(gateway, PORT, { PLAN_LIMITS_ENFORCED: enforced });
    // A high custom limit so the measurement is of the gate's cost, not of refusals.
    const t = await tenant(`gate-${enforced}-${run}`, { requestsPerMinute: 1_000_000, apiCallsPerMonth: null });
    for (let i = 0; i < 200; i++) await request(PORT, t.host, 'GET', '/api/tenant');
    let refused = 0;
    const r = await runConcurrent(REQUESTS, CONCURRENCY, async () => {
      const res = await request(PORT, t.host, 'GET', '/api/tenant');
      if (res.status === 429) refused += 1;
      else if (res.status !== 200) throw new Error(`status ${res.status}`);
    });
    rows.push([enforced === 'true' ? 'gate on' : 'gate off', REQUESTS, (REQUESTS / r.elapsedMs) * 1000, percentile(r.latencies, 50), percentile(r.latencies, 99), refused]);
    if (enforced === 'true') {
      // The Pro plan's own limit: 120 a minute, all granted, then refused.
      const pro = await tenant(`gate-pro-${run}`, {});
      const statuses: number[] = [];
      for (let i = 0; i < 121; i++) statuses.push((await request(PORT, pro.host, 'GET', '/api/tenant')).status);
      const granted = statuses.filter((s) => s === 200).length;
      console.log(`pro plan, 121 sequential requests: ${granted} granted, ${statuses.length - granted} refused (expected 120 and 1 unless the minute turned during the run)`);
    }
    await worker.stop();
    worker = undefined;
  }
  console.log(`\nGET /api/tenant through wrangler dev (${gateway.backend.kind}), concurrency ${CONCURRENCY}\n`);
  printTable(['', 'requests', 'req/s', 'p50 ms', 'p99 ms', '429s'], rows);
} finally {
  await worker?.stop();
  await gateway.close();
}
