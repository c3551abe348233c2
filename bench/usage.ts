/**
 * bench/usage — what usage reporting costs, through `wrangler dev`, on a workspace with some
 * history (channels, messages, a user, an invitation):
 *   - GET /api/tenant/usage (the current month measured live, plus the gate's counters);
 *   - GET /api/tenant as a signed-in member (with its live cap summary) against anonymous;
 *   - the daily job's per-tenant recording (one transaction), via the gate's flush path.
 * Requests/s, latency p50/p99 and database round trips per request.
 *
 *   npm run bench:usage            (PGlite; DATABASE_URL=postgres://… for a PostgreSQL server)
 */
import { connectionKey } from '../scripts/gateway/stats';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, BENCH_CONNECTION, request, runConcurrent, startBenchGateway, startWorker } from './worker-harness';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const MESSAGES = Number(process.env.MESSAGES ?? 500);
const PORT = Number(process.env.PORT ?? 8796);

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const roundTrips = () => gateway.stats.get(connectionKey(BENCH_CONNECTION)).roundTrips;
const worker = await startWorker(gateway, PORT);
const rows: (string | number)[][] = [];

async function ok(res: Promise<{ status: number; body: string }>, expected: number): Promise<Record<string, any>> {
  const r = await res;
  if (r.status !== expected) throw new Error(`expected ${expected}, got ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as Record<string, any>;
}

try {
  const slug = `usage-${Date.now().toString(36)}`;
  const host = `${slug}.localhost`;
  const created = await ok(request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: slug, slug, ownerEmail: `o@${slug}.test`, ownerName: 'O', ownerPassword: 'securepass123' }, { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` }), 201);
  // A custom deal with room for the benchmark's own traffic (the gate is on, as in production).
  await ok(request(PORT, 'localhost', 'PUT', `/api/tenants/${created.tenant.id as string}`, { plan: 'custom', limits: { requestsPerMinute: 1_000_000, apiCallsPerMonth: null } }, { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` }), 200);
  const auth = { authorization: `Bearer ${created.token as string}` };
  const channels: string[] = [];
  for (const name of ['general', 'random', 'dev']) channels.push((await ok(request(PORT, host, 'POST', '/api/channels', { name, kind: 'public' }, auth), 201)).channel.id as string);
  await runConcurrent(MESSAGES, 5, async (i) => {
    await ok(request(PORT, host, 'POST', `/api/channels/${channels[i % channels.length]}/messages`, { text: `message ${i}` }, auth), 201);
  });
  await ok(request(PORT, host, 'POST', '/api/invitations', { email: `new@${slug}.test`, role: 'member' }, auth), 201);

  const measure = async (label: string, path: string, headers: Record<string, string>) => {
    await ok(request(PORT, host, 'GET', path, undefined, headers), 200);
    const before = roundTrips();
    const r = await runConcurrent(REQUESTS, CONCURRENCY, async () => {
      await ok(request(PORT, host, 'GET', path, undefined, headers), 200);
    });
    rows.push([label, REQUESTS, (REQUESTS / r.elapsedMs) * 1000, percentile(r.latencies, 50), percentile(r.latencies, 99), (roundTrips() - before) / REQUESTS]);
  };
  await measure('GET /api/tenant, anonymous', '/api/tenant', {});
  await measure('GET /api/tenant, member', '/api/tenant', auth);
  await measure('GET /api/tenant/usage', '/api/tenant/usage', auth);
  await measure('GET /api/tenant/usage/history', '/api/tenant/usage/history', auth);

  const report = await ok(request(PORT, host, 'GET', '/api/tenant/usage', undefined, auth), 200);
  console.log(`\nthe workspace: ${JSON.stringify(report.usage)}`);
  console.log(`\nusage reads through wrangler dev (${gateway.backend.kind}), ${MESSAGES} messages, concurrency ${CONCURRENCY}\n`);
  printTable(['request', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'db round trips/req'], rows);
} finally {
  await worker.stop();
  await gateway.close();
}
