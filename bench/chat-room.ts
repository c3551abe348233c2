/**
 * bench/chat-room — WebSocket clients in chat rooms through `wrangler dev` (the real path:
 * Worker → ChatRoom Durable Object → the room's log and the write-behind through the Neon
 * driver → gateway → Postgres → broadcast), in three write modes, interleaved in one run:
 *
 *   behind    nchat as it ships: durable in the room's SQLite log, then broadcast; Postgres behind
 *   through   every message in Postgres before it is broadcast (the design before the log)
 *   baseline  bench only: the same room with the Postgres write switched off (messages kept in
 *             the room only) — what a room costs without a database
 *
 * Loads: paced (open loop at RATE msgs/s, 1 room x 50 clients), flat out in one room (50
 * clients, 5 senders each keeping WINDOW messages in flight) and flat out in ten rooms (10
 * clients each, 2 senders per room). Every message is checked to reach every client of its room
 * exactly once and in sequence order. Prints msgs/s, p50/p99 delivery latency (send → receive,
 * same clock), the lag from broadcast to the row being in Postgres (a poller reads the channels'
 * highest stored sequence every POLL_MS, in every mode so that each carries the same measuring
 * load), and messages per database round trip.
 *
 *   npm run bench:chat                                  # PGlite (the embedded default)
 *   DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres npm run bench:chat
 *   ROUNDS=3 FLAT_MESSAGES=20000 npm run bench:chat
 *   LOADS=flat npm run bench:chat                       # only some loads (paced, flat, rooms)
 *
 * The load client is this process alone: the gateway runs in a child process (its work would
 * otherwise delay the client's receive timestamps in the modes that write Postgres, and only in
 * those), and the Postgres poller reads each room's top sequence with one index probe.
 *
 * The load client uses `ws` without permessage-deflate: Node's built-in WebSocket always
 * negotiates compression, and zlib in the client then becomes the bottleneck being measured.
 */
import WebSocket from 'ws';
import { openDatabase } from '../src/db/client';
import { startGatewayProcess } from './gateway-process';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, request, startWorker, type RunningWorker } from './worker-harness';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const PACED_MESSAGES = Number(process.env.PACED_MESSAGES ?? 3_000);
const RATE = Number(process.env.RATE ?? 200);
const FLAT_MESSAGES = Number(process.env.FLAT_MESSAGES ?? 10_000);
const WINDOW = Number(process.env.WINDOW ?? 10);
/** How often the lag poller reads Postgres (the lag figures are this coarse). */
const POLL_MS = Number(process.env.POLL_MS ?? 25);
const BASE_PORT = Number(process.env.PORT ?? 8796);
const MODES = ['behind', 'through', 'baseline'] as const;
type Mode = (typeof MODES)[number];

interface Scenario {
  /** What LOADS names it by. */
  key: 'paced' | 'flat' | 'rooms';
  name: string;
  rooms: number;
  clientsPerRoom: number;
  messages: number;
  load: { kind: 'paced'; rate: number } | { kind: 'flat'; sendersPerRoom: number };
}

const ALL_SCENARIOS: Scenario[] = [
  { key: 'paced', name: `paced ${RATE}/s, 1 room x 50`, rooms: 1, clientsPerRoom: 50, messages: PACED_MESSAGES, load: { kind: 'paced', rate: RATE } },
  { key: 'flat', name: 'flat out, 1 room x 50, 5 senders', rooms: 1, clientsPerRoom: 50, messages: FLAT_MESSAGES, load: { kind: 'flat', sendersPerRoom: 5 } },
  { key: 'rooms', name: 'flat out, 10 rooms x 10', rooms: 10, clientsPerRoom: 10, messages: FLAT_MESSAGES * 2, load: { kind: 'flat', sendersPerRoom: 2 } },
];
/** LOADS=paced,flat,rooms (the default: all three) runs only those. */
const LOADS = (process.env.LOADS ?? 'paced,flat,rooms').split(',');
const SCENARIOS = ALL_SCENARIOS.filter((s) => LOADS.includes(s.key));

interface Client {
  ws: WebSocket;
  room: number;
  received: number[]; // seqs in arrival order
  bodies: Set<string>;
}

interface RunResult {
  scenario: string;
  mode: Mode;
  round: number;
  messages: number;
  elapsedMs: number;
  latencies: number[];
  lags: number[];
  roundTrips: number;
  problems: string[];
}

interface Target {
  mode: Mode;
  port: number;
  worker: RunningWorker;
  connection: string;
  host: string;
  schema: string;
  auth: Record<string, string>;
}

// The gateway runs in a process of its own: this one is the load client, and its receive
// timestamps must not wait for the gateway's work (PGlite runs queries on its event loop).
const gateway = await startGatewayProcess();
/** The bench's own reads (a connection of its own; a handle per query: its deadline starts when it is opened). */
const poller = () => openDatabase({ DATABASE_URL: 'postgresql://bench:bench@poller.db.localhost/nchat', NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 30_000 });
const targets: Target[] = [];
const results: RunResult[] = [];

try {
  // One worker per mode, each with its own connection (so the gateway counts
  // each one's round trips) and its own tenant; only one is driven at a time.
  // (Started one after another: wrangler picks its internal ports when it starts.)
  for (const [i, mode] of MODES.entries()) {
    const connection = `postgresql://bench:bench@bench-${mode}.db.localhost/nchat`;
    const port = BASE_PORT + i;
    const worker = await startWorker(gateway, port, { CHAT_ROOM_WRITES: mode }, connection);
    targets.push({ mode, port, connection, worker, ...(await workspace(port, mode)) });
  }

  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of SCENARIOS) {
      // Interleaved, and the order turns each round, so no mode always runs first (or last).
      const order = MODES.map((_, k) => targets[(k + round + SCENARIOS.indexOf(scenario)) % targets.length]!);
      for (const target of order) {
        const r = await run(target, scenario, round);
        results.push(r);
        console.log(`  round ${round}  ${scenario.name.padEnd(34)} ${target.mode.padEnd(8)} ${((r.messages / r.elapsedMs) * 1000).toFixed(0).padStart(6)} msgs/s  p50 ${percentile(r.latencies, 50).toFixed(2)} ms  p99 ${percentile(r.latencies, 99).toFixed(2)} ms${r.problems.length ? '  PROBLEMS' : ''}`);
      }
    }
  }
  report();
} finally {
  await Promise.all(targets.map((t) => t.worker.stop()));
  await gateway.close();
}

async function workspace(port: number, mode: Mode): Promise<Omit<Target, 'mode' | 'port' | 'worker' | 'connection'>> {
  const slug = `bench-${mode}-${Date.now().toString(36)}`;
  const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
  const created = await request(port, 'localhost', 'POST', '/api/tenants/create', { name: 'Bench', slug, ownerEmail: `owner@${slug}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free' }, admin);
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${created.body}`);
  const { token, tenant } = JSON.parse(created.body) as { token: string; tenant: { id: string } };
  // The runs open more rooms than the free plan's 5 channels: the operator moves it to enterprise.
  const upgraded = await request(port, 'localhost', 'PUT', `/api/tenants/${tenant.id}`, { plan: 'enterprise' }, admin);
  if (upgraded.status !== 200) throw new Error(`plan: ${upgraded.status} ${upgraded.body}`);
  const [row] = (await poller().sql.query('SELECT schema_name FROM public.tenants WHERE id = $1', [tenant.id])) as { schema_name: string }[];
  return { host: `${slug}.localhost`, schema: row!.schema_name, auth: { authorization: `Bearer ${token}` } };
}

async function makeChannels(t: Target, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(t.port, t.host, 'POST', '/api/channels', { name: `${prefix}-${i}` }, t.auth);
    if (res.status !== 201) throw new Error(`channel: ${res.status} ${res.body}`);
    ids.push((JSON.parse(res.body) as { channel: { id: string } }).channel.id);
  }
  return ids;
}

function roundTrips(t: Target): Promise<number> {
  return gateway.roundTrips(t.connection);
}

async function run(t: Target, scenario: Scenario, round: number): Promise<RunResult> {
  const channelIds = await makeChannels(t, scenario.rooms, `r${round}-${scenario.rooms}-${scenario.load.kind}-${Date.now().toString(36)}`);
  const clients: Client[] = [];
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  // When each (room, seq) was first heard by a client, and when Postgres was first seen to have it.
  const heardAt = channelIds.map(() => [] as number[]);
  const storedAt = channelIds.map(() => [] as number[]);
  const errors = new Map<string, number>();
  let deliveries = 0;
  const expectedDeliveries = scenario.messages * scenario.clientsPerRoom;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  /** Per sender: messages in flight (sent, not yet heard back), and a wake-up for the flat-out loop. */
  const inFlight = new Map<Client, { n: number; wake?: () => void }>();

  await Promise.all(
    channelIds.flatMap((channelId, room) =>
      Array.from({ length: scenario.clientsPerRoom }, () => {
        return new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${t.port}/api/channels/${channelId}/ws`, { headers: { host: `${t.host}:${t.port}`, ...t.auth }, perMessageDeflate: false });
          const client: Client = { ws, room, received: [], bodies: new Set() };
          ws.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { type: string; code?: string; message?: { seq: number; text: string } };
            if (frame.type === 'ready') return resolve();
            if (frame.type === 'error') errors.set(frame.code ?? '?', (errors.get(frame.code ?? '?') ?? 0) + 1);
            if (frame.type !== 'message.created' || !frame.message) return;
            const now = performance.now();
            client.received.push(frame.message.seq);
            client.bodies.add(frame.message.text);
            heardAt[room]![frame.message.seq] ??= now;
            const sent = sentAt.get(frame.message.text);
            if (sent !== undefined) latencies.push(now - sent);
            const flight = inFlight.get(client);
            if (flight && frame.message.text.startsWith(`c${clients.indexOf(client)}:`)) {
              flight.n -= 1;
              flight.wake?.();
            }
            deliveries += 1;
            if (deliveries === expectedDeliveries) resolveDone();
          });
          ws.on('error', reject);
          clients.push(client);
        });
      }),
    ),
  );

  // The Postgres poller: the highest stored sequence of each room, every POLL_MS. It runs in the
  // baseline too (whose rooms Postgres never gets): the poller costs the client, the gateway and
  // Postgres CPU, and every mode must carry the same measuring load.
  let polling = true;
  const seenUpTo = channelIds.map(() => 0);
  const poll = (async () => {
    while (polling) {
      // Each room's top sequence through the (channel_id, seq) index: one index probe per room.
      // (max(seq) ... GROUP BY channel_id would read every stored row of the room on every poll,
      // and load Postgres in the modes that write it far more than the rooms do.)
      const rows = (await poller().sql.query(
        `SELECT c.id AS channel_id, coalesce((SELECT m.seq FROM "${t.schema}".nchat_messages m WHERE m.channel_id = c.id ORDER BY m.seq DESC LIMIT 1), 0)::int AS s FROM unnest($1::uuid[]) AS c(id)`,
        [channelIds],
      )) as { channel_id: string; s: number }[];
      const now = performance.now();
      for (const r of rows) {
        const room = channelIds.indexOf(r.channel_id);
        for (let s = seenUpTo[room]! + 1; s <= r.s; s++) storedAt[room]![s] = now;
        seenUpTo[room] = Math.max(seenUpTo[room]!, r.s);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  const rtBefore = await roundTrips(t);
  const startedAt = performance.now();
  let sent = 0;
  const send = (client: Client) => {
    const text = `c${clients.indexOf(client)}:${sent}`;
    sent += 1;
    sentAt.set(text, performance.now());
    client.ws.send(JSON.stringify({ type: 'message', text, clientId: text }));
  };
  if (scenario.load.kind === 'paced') {
    // Open loop: RATE messages a second, round-robin over clients.
    const perTick = Math.max(1, Math.round(scenario.load.rate / 100));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < perTick && sent < scenario.messages; k++) send(clients[sent % clients.length]!);
        if (sent >= scenario.messages) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
  } else {
    // Closed loop: each sender keeps WINDOW messages in flight, as fast as the room takes them.
    const senders = clients.filter((_, i) => i % scenario.clientsPerRoom < (scenario.load as { sendersPerRoom: number }).sendersPerRoom);
    await Promise.all(
      senders.map(async (client) => {
        const flight: { n: number; wake?: () => void } = { n: 0 };
        inFlight.set(client, flight);
        while (sent < scenario.messages) {
          while (flight.n < WINDOW && sent < scenario.messages) {
            flight.n += 1;
            send(client);
          }
          await new Promise<void>((r) => (flight.wake = r));
        }
      }),
    );
  }
  const timeout = setTimeout(() => resolveDone(), 120_000);
  await done;
  clearTimeout(timeout);
  const elapsedMs = performance.now() - startedAt;
  const rt = (await roundTrips(t)) - rtBefore;

  // Wait (up to 10 s) for Postgres to have every message, then stop the poller.
  const perRoomSent = new Map<number, number>();
  for (const c of clients) perRoomSent.set(c.room, 0);
  for (const text of sentAt.keys()) {
    const room = clients[Number(text.slice(1, text.indexOf(':')))]!.room;
    perRoomSent.set(room, (perRoomSent.get(room) ?? 0) + 1);
  }
  const waitUntil = performance.now() + 10_000;
  while (t.mode !== 'baseline' && performance.now() < waitUntil && channelIds.some((_, room) => seenUpTo[room]! < (perRoomSent.get(room) ?? 0))) await new Promise((r) => setTimeout(r, 20));
  polling = false;
  await poll;

  // Exactly once, in order: each client saw its room's seqs 1..n consecutively, every body once.
  const problems: string[] = [];
  for (const [i, c] of clients.entries()) {
    const expected = perRoomSent.get(c.room) ?? 0;
    const inOrder = c.received.every((s, k) => s === k + 1);
    if (c.received.length !== expected || !inOrder || c.bodies.size !== expected) {
      problems.push(`client ${i} (room ${c.room}): ${c.received.length}/${expected} received, in order: ${inOrder}, distinct: ${c.bodies.size}`);
    }
  }
  const lags: number[] = [];
  if (t.mode !== 'baseline') {
    for (const [room, expected] of perRoomSent) {
      if (seenUpTo[room]! < expected) problems.push(`room ${room}: Postgres has ${seenUpTo[room]} of ${expected} messages 10 s after the run`);
      for (let s = 1; s <= expected; s++) if (storedAt[room]![s] !== undefined && heardAt[room]![s] !== undefined) lags.push(Math.max(0, storedAt[room]![s]! - heardAt[room]![s]!));
    }
  }
  for (const [code, n] of errors) problems.push(`${n} error frames "${code}"`);
  for (const c of clients) c.ws.close();
  return { scenario: scenario.name, mode: t.mode, round, messages: scenario.messages, elapsedMs, latencies: latencies.sort((a, b) => a - b), lags: lags.sort((a, b) => a - b), roundTrips: rt, problems };
}

function report(): void {
  console.log(`\nChat rooms through wrangler dev (${gateway.backend}), ${ROUNDS} interleaved rounds; latency pooled over rounds, msgs/s the mean\n`);
  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  for (const scenario of SCENARIOS) {
    const byMode = new Map<Mode, { rate: number; latencies: number[]; lags: number[]; perRt: number; ok: boolean }>();
    for (const mode of MODES) {
      const rs = results.filter((r) => r.scenario === scenario.name && r.mode === mode);
      const rate = rs.reduce((a, r) => a + (r.messages / r.elapsedMs) * 1000, 0) / rs.length;
      const latencies = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const lags = rs.flatMap((r) => r.lags).sort((a, b) => a - b);
      const perRt = rs.reduce((a, r) => a + r.messages, 0) / Math.max(1, rs.reduce((a, r) => a + r.roundTrips, 0));
      const ok = rs.every((r) => r.problems.length === 0);
      byMode.set(mode, { rate, latencies, lags, perRt, ok });
      rows.push([
        scenario.name,
        mode,
        rate,
        percentile(latencies, 50),
        percentile(latencies, 99),
        mode === 'baseline' ? '-' : percentile(lags, 50),
        mode === 'baseline' ? '-' : percentile(lags, 99),
        mode === 'baseline' ? '-' : lags.at(-1) ?? NaN,
        mode === 'baseline' ? '-' : perRt,
        ok ? 'yes' : 'NO',
      ]);
    }
    const b = byMode.get('behind')!;
    const base = byMode.get('baseline')!;
    const before = byMode.get('through')!;
    ratios.push([scenario.name, b.rate / base.rate, percentile(b.latencies, 50) / percentile(base.latencies, 50), percentile(b.latencies, 99) / percentile(base.latencies, 99), b.rate / before.rate]);
  }
  printTable(['load', 'mode', 'msgs/s', 'p50 ms', 'p99 ms', 'pg lag p50', 'pg lag p99', 'pg lag max', 'msgs per db rt', 'exactly once, in order'], rows);
  console.log('\nnchat (behind) against the baseline and against writing through\n');
  printTable(['load', 'msgs/s vs baseline', 'p50 vs baseline', 'p99 vs baseline', 'msgs/s vs through'], ratios);
  for (const r of results) for (const p of r.problems.slice(0, 5)) console.log(`  ${r.scenario} ${r.mode} round ${r.round}: ${p}`);
  if (results.some((r) => r.problems.length)) process.exitCode = 1;
}
