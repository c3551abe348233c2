/**
 * bench/billing — Stripe's webhook through `wrangler dev`, against the local Stripe fake:
 *   - the events of a checkout (checkout.session.completed, customer.subscription.created,
 *     invoice.paid) for many workspaces: events/s, latency, database round trips and Stripe
 *     calls per event (each handler reads the subscription's current state from Stripe);
 *   - the same events delivered again (Stripe's retries): answered as duplicates, no effect;
 *   - customer.subscription.updated events (a plan change confirmed).
 *
 *   npm run bench:billing          (PGlite; DATABASE_URL=postgres://… for a PostgreSQL server)
 */
import { STRIPE_FAKE_PRICE_VARS } from '../scripts/lib/dev-vars';
import { connectionKey } from '../scripts/gateway/stats';
import { startStripeFake } from '../scripts/stripe-fake';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, BENCH_CONNECTION, request, runConcurrent, startBenchGateway, startWorker } from './worker-harness';

const WORKSPACES = Number(process.env.WORKSPACES ?? 60);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const PORT = Number(process.env.PORT ?? 8798);
const WEBHOOK_SECRET = 'whsec_bench';

interface SignedEvent {
  id: string;
  type: string;
  payload: string;
  signature: string;
}

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET, log: () => undefined });
const worker = await startWorker(gateway, PORT, { STRIPE_API_URL: fake.url, ...STRIPE_FAKE_PRICE_VARS, PLAN_LIMITS_ENFORCED: 'false' });
const roundTrips = () => gateway.stats.get(connectionKey(BENCH_CONNECTION)).roundTrips;
const stripeCalls = async () => ((await (await fetch(`${fake.url}/_fake/requests`)).json()) as { requests: unknown[] }).requests.length;
const rows: (string | number)[][] = [];

async function ok(res: Promise<{ status: number; body: string }>, expected: number): Promise<Record<string, any>> {
  const r = await res;
  if (r.status !== expected) throw new Error(`expected ${expected}, got ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as Record<string, any>;
}

async function control(path: string, body: unknown): Promise<Record<string, any>> {
  const res = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}

async function measure(label: string, events: SignedEvent[]) {
  const rt = roundTrips();
  const calls = await stripeCalls();
  const r = await runConcurrent(events.length, CONCURRENCY, async (i) => {
    const e = events[i]!;
    const res = await rawPost(e);
    if (res.status !== 200) throw new Error(`${e.type}: ${res.status} ${res.body}`);
  });
  rows.push([label, events.length, (events.length / r.elapsedMs) * 1000, percentile(r.latencies, 50), percentile(r.latencies, 99), (roundTrips() - rt) / events.length, ((await stripeCalls()) - calls) / events.length]);
}

/** The event's exact bytes, as Stripe sends them. */
function rawPost(e: SignedEvent) {
  return request(PORT, 'localhost', 'POST', '/api/billing/webhook', e.payload, { 'stripe-signature': e.signature });
}

try {
  const run = Date.now().toString(36);
  const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
  const checkouts: SignedEvent[] = [];
  const subscriptions: string[] = [];
  await runConcurrent(WORKSPACES, 4, async (i) => {
    const slug = `bill${i}-${run}`;
    const created = await ok(request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: slug, slug, ownerEmail: `o@${slug}.test`, ownerName: 'O', ownerPassword: 'securepass123' }, admin), 201);
    const started = await ok(request(PORT, `${slug}.localhost`, 'POST', '/api/billing/checkout', { plan: 'pro', interval: 'monthly' }, { authorization: `Bearer ${created.token as string}` }), 201);
    const done = await control(`/_fake/checkout/${started.checkout.id as string}/complete`, {});
    checkouts.push(...(done.events as SignedEvent[]));
    subscriptions.push(done.subscription.id as string);
  });
  await measure('checkout events (first delivery)', checkouts);
  await measure('the same events again (duplicates)', checkouts);
  const updates: SignedEvent[] = [];
  for (const id of subscriptions) updates.push((await control('/_fake/events', { type: 'customer.subscription.updated', subscription: id })) as unknown as SignedEvent);
  await measure('customer.subscription.updated', updates);

  console.log(`\nPOST /api/billing/webhook through wrangler dev (${gateway.backend.kind}), ${WORKSPACES} workspaces, concurrency ${CONCURRENCY}\n`);
  printTable(['events', 'count', 'events/s', 'p50 ms', 'p99 ms', 'db round trips/event', 'Stripe calls/event'], rows);
} finally {
  await worker.stop();
  await fake.close();
  await gateway.close();
}
