/**
 * bench/hot-paths — database round trips and latency of the requests people make all day, for
 * one warm tenant, through `wrangler dev` (the real path: HTTP in, Hono, KV, the TenantGate,
 * Durable Objects, the Neon driver, the gateway, Postgres). Round trips are counted with the
 * gateway's own statistics: one HTTP request from the driver is one round trip (a statement, or
 * a whole batch transaction). Each request is sent on its own, one after another, so what a row
 * counts is that request's work; the figure is the median over the samples (the mean, beside
 * it, shows background work such as a TenantGate flush landing in a sample). Each row says the
 * target it is held to (issue 14).
 *
 *   node --import tsx bench/hot-paths.ts          (PGlite; DATABASE_URL=postgres://… for a PostgreSQL server)
 *   ITERATIONS=50 WORKSPACES=10 node --import tsx bench/hot-paths.ts
 */
import WebSocket from 'ws';
import { STRIPE_FAKE_PRICE_VARS } from '../scripts/lib/dev-vars';
import { connectionKey } from '../scripts/gateway/stats';
import { startStripeFake } from '../scripts/stripe-fake';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, BENCH_CONNECTION, request, runConcurrent, startBenchGateway, startWorker } from './worker-harness';

const ITERATIONS = Number(process.env.ITERATIONS ?? 30);
const WARMUP = Number(process.env.WARMUP ?? 3);
/** Workspaces that each complete one checkout: their three events are the "first delivery" samples. */
const WORKSPACES = Number(process.env.WORKSPACES ?? 8);
const PORT = Number(process.env.PORT ?? 8799);
const WEBHOOK_SECRET = 'whsec_bench';
const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };

interface SignedEvent {
  id: string;
  type: string;
  payload: string;
  signature: string;
}

interface Sample {
  roundTrips: number;
  ms: number;
}

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET, log: () => undefined });
const worker = await startWorker(gateway, PORT, { STRIPE_API_URL: fake.url, ...STRIPE_FAKE_PRICE_VARS });
const roundTrips = () => gateway.stats.get(connectionKey(BENCH_CONNECTION)).roundTrips;
const rows: (string | number)[][] = [];
let missed = 0;

async function ok(res: Promise<{ status: number; body: string }>, expected: number, what: string): Promise<Record<string, any>> {
  const r = await res;
  if (r.status !== expected) throw new Error(`${what}: expected ${expected}, got ${r.status}: ${r.body}`);
  return r.body ? (JSON.parse(r.body) as Record<string, any>) : {};
}

/** One sample: the round trips and time between sending `fn`'s request(s) and their answers. */
async function sample(fn: () => Promise<unknown>): Promise<Sample> {
  const rt = roundTrips();
  const t = performance.now();
  await fn();
  return { ms: performance.now() - t, roundTrips: roundTrips() - rt };
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Runs `fn(i)` WARMUP times unmeasured (i < 0), then ITERATIONS times measured, and adds the row. */
async function measure(label: string, target: { roundTrips: number; note?: string }, fn: (i: number) => Promise<unknown>, iterations = ITERATIONS): Promise<void> {
  for (let i = -WARMUP; i < 0; i++) await fn(i);
  const samples: Sample[] = [];
  for (let i = 0; i < iterations; i++) samples.push(await sample(() => fn(i)));
  addRow(label, target, samples);
}

function addRow(label: string, target: { roundTrips: number; note?: string }, samples: Sample[]): void {
  const rts = samples.map((s) => s.roundTrips);
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const med = median(rts);
  const meets = med <= target.roundTrips;
  if (!meets) missed += 1;
  rows.push([
    label,
    String(samples.length),
    String(med),
    rts.reduce((a, b) => a + b, 0) / samples.length,
    `≤ ${target.roundTrips}${target.note ? ` (${target.note})` : ''}`,
    meets ? 'yes' : 'NO',
    percentile(ms, 50),
    percentile(ms, 99),
  ]);
}

/** Opens the channel's socket with a ticket (no credentials), waits for `ready`, closes it. */
function socketWithTicket(host: string, channelId: string, ticket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${PORT}/api/channels/${channelId}/ws?ticket=${encodeURIComponent(ticket)}`, { headers: { host: `${host}:${PORT}` }, perMessageDeflate: false });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === 'ready') {
        ws.close();
        resolve();
      } else if (frame.type === 'error') {
        ws.close();
        reject(new Error(`socket: ${String(data)}`));
      }
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`socket upgrade: ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

try {
  const run = Date.now().toString(36);

  // ---- the warm tenant: owner, two more people, limits high enough that nothing is refused ----
  const slug = `hot-${run}`;
  const host = `${slug}.localhost`;
  const created = await ok(request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: 'Hot', slug, ownerEmail: `owner@${slug}.test`, ownerName: 'Owner', ownerPassword: 'securepass123' }, admin), 201, 'tenant');
  await ok(request(PORT, 'localhost', 'PUT', `/api/tenants/${created.tenant.id as string}`, { plan: 'custom', limits: { requestsPerMinute: 1_000_000, apiCallsPerMonth: null, channels: null, users: null } }, admin), 200, 'limits');
  const owner = { authorization: `Bearer ${created.token as string}` };
  async function person(name: string): Promise<{ id: string; auth: Record<string, string> }> {
    const invited = await ok(request(PORT, host, 'POST', '/api/invitations', { email: `${name}@${slug}.test`, role: 'member' }, owner), 201, 'invite');
    const token = String(invited.acceptUrl).split('/invite/')[1]!;
    const accepted = await ok(request(PORT, host, 'POST', `/api/invitations/${token}/accept`, { displayName: name, password: 'a-good-password-1' }), 201, 'accept');
    return { id: accepted.user.id as string, auth: { authorization: `Bearer ${accepted.token as string}` } };
  }
  const joiner = await person('joiner');
  const added = await person('added');
  const channel = async (name: string) => (await ok(request(PORT, host, 'POST', '/api/channels', { name }, owner), 201, 'channel')).channel.id as string;
  const hot = await channel(`hot-${run}`);
  // One fresh channel per join and per add (joining or adding twice is a no-op, not the path).
  const toJoin: string[] = [];
  const toAdd: string[] = [];
  for (let i = 0; i < ITERATIONS + WARMUP; i++) {
    toJoin.push(await channel(`join-${i}`));
    toAdd.push(await channel(`add-${i}`));
  }

  // ---- Stripe: workspaces that each completed a checkout (the events are signed now; delivered below, within Stripe's 5 minutes) ----
  const checkoutEvents: SignedEvent[] = [];
  await runConcurrent(WORKSPACES, 4, async (i) => {
    const s = `hotbill${i}-${run}`;
    const t = await ok(request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: s, slug: s, ownerEmail: `o@${s}.test`, ownerName: 'O', ownerPassword: 'securepass123' }, admin), 201, 'billing tenant');
    const started = await ok(request(PORT, `${s}.localhost`, 'POST', '/api/billing/checkout', { plan: 'pro', interval: 'monthly' }, { authorization: `Bearer ${t.token as string}` }), 201, 'checkout');
    const res = await fetch(`${fake.url}/_fake/checkout/${started.checkout.id as string}/complete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!res.ok) throw new Error(`complete checkout: ${res.status} ${await res.text()}`);
    checkoutEvents.push(...((await res.json()) as { events: SignedEvent[] }).events);
  });

  // ---- the paths ----
  await measure('POST /api/channels/:id/messages (REST)', { roundTrips: 1 }, (i) => ok(request(PORT, host, 'POST', `/api/channels/${hot}/messages`, { text: `hello ${i}` }, owner), 201, 'post'));
  await measure('GET /api/channels/:id/messages', { roundTrips: 1 }, () => ok(request(PORT, host, 'GET', `/api/channels/${hot}/messages?limit=50`, undefined, owner), 200, 'list'));
  await measure('POST /api/channels/:id/join', { roundTrips: 2 }, (i) => ok(request(PORT, host, 'POST', `/api/channels/${toJoin[i + WARMUP]!}/join`, undefined, joiner.auth), 200, 'join'));
  await measure('POST /api/channels/:id/members (add)', { roundTrips: 2 }, (i) => ok(request(PORT, host, 'POST', `/api/channels/${toAdd[i + WARMUP]!}/members`, { userId: added.id }, owner), 201, 'add'));

  // The ticket and the upgrade, together and the upgrade alone (the redeem's target is 0).
  for (let i = 0; i < WARMUP; i++) {
    const { ticket } = await ok(request(PORT, host, 'POST', `/api/channels/${hot}/ws-ticket`, undefined, owner), 201, 'ticket');
    await socketWithTicket(host, hot, ticket as string);
  }
  const both: Sample[] = [];
  const redeem: Sample[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    let ticket = '';
    const issue = await sample(async () => (ticket = (await ok(request(PORT, host, 'POST', `/api/channels/${hot}/ws-ticket`, undefined, owner), 201, 'ticket')).ticket as string));
    const upgrade = await sample(() => socketWithTicket(host, hot, ticket));
    redeem.push(upgrade);
    both.push({ roundTrips: issue.roundTrips + upgrade.roundTrips, ms: issue.ms + upgrade.ms });
  }
  addRow('POST ws-ticket + upgrade ?ticket=', { roundTrips: 1, note: 'ticket 1, redeem 0' }, both);
  addRow('  of which the upgrade ?ticket=', { roundTrips: 0 }, redeem);

  // Sequentially, one event at a time; every one is its first delivery.
  const deliveries: Sample[] = [];
  const byType = new Map<string, Sample[]>();
  for (const e of checkoutEvents) {
    const s = await sample(() => ok(request(PORT, 'localhost', 'POST', '/api/billing/webhook', e.payload, { 'stripe-signature': e.signature }), 200, e.type));
    deliveries.push(s);
    byType.set(e.type, [...(byType.get(e.type) ?? []), s]);
  }
  addRow('Stripe webhook, first delivery (all)', { roundTrips: 3 }, deliveries);
  for (const [type, samples] of byType) addRow(`  ${type}`, { roundTrips: 3 }, samples);

  await measure('GET /api/tenant (warm, anonymous)', { roundTrips: 0 }, () => ok(request(PORT, host, 'GET', '/api/tenant'), 200, 'tenant'));

  console.log(`\nHot paths through wrangler dev (${gateway.backend.kind}), ${ITERATIONS} samples each (after ${WARMUP} warm-up), one request at a time; ${WORKSPACES} checkouts for the webhook\n`);
  printTable(['path', 'samples', 'db round trips (median)', 'mean', 'target', 'meets', 'p50 ms', 'p99 ms'], rows);
  if (missed) console.log(`\n${missed} row(s) above their target.`);
} finally {
  await worker.stop();
  await fake.close();
  await gateway.close();
}
