/**
 * bench/chat-room — WebSocket clients in chat rooms through `wrangler dev` (the real path:
 * Worker → ChatRoom Durable Object → group commit through the Neon driver → gateway → Postgres
 * → broadcast). Every message is checked to reach every client of its room exactly once and in
 * sequence order. Prints delivered messages/s, p50/p99 delivery latency (send → receive, same
 * clock) and messages per database round trip (the group-commit ratio).
 *
 *   npm run bench:chat                     # 1 room x 50 clients, then 10 rooms x 5 clients, 10,000 messages each
 *   MESSAGES=20000 RATE=800 npm run bench:chat
 *
 * The load client uses `ws` without permessage-deflate: Node's built-in WebSocket always
 * negotiates compression, and zlib in the client then becomes the bottleneck being measured.
 */
import WebSocket from 'ws';
import { connectionKey } from '../scripts/gateway/stats';
import { percentile, printTable } from './stats';
import { BENCH_ADMIN_TOKEN, BENCH_CONNECTION, request, startBenchGateway, startWorker } from './worker-harness';

const MESSAGES = Number(process.env.MESSAGES ?? 10_000);
const RATE = Number(process.env.RATE ?? 600); // messages per second offered, all rooms together
const PORT = Number(process.env.PORT ?? 8796);

interface Client {
  ws: WebSocket;
  room: number;
  received: number[]; // seqs in arrival order
  bodies: Set<string>;
}

interface RunResult {
  label: string;
  rooms: number;
  clients: number;
  messages: number;
  deliveries: number;
  elapsedMs: number;
  latencies: number[];
  roundTrips: number;
  problems: string[];
}

const gateway = await startBenchGateway(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {});
const roundTrips = () => gateway.stats.get(connectionKey(BENCH_CONNECTION)).roundTrips;
const worker = await startWorker(gateway, PORT);
const results: RunResult[] = [];

try {
  const slug = `bench-${Date.now().toString(36)}`;
  const host = `${slug}.localhost`;
  const created = await request(PORT, 'localhost', 'POST', '/api/tenants/create', { name: 'Bench', slug, ownerEmail: `owner@${slug}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free' }, {
    authorization: `Bearer ${BENCH_ADMIN_TOKEN}`,
  });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${created.body}`);
  const { token, tenant } = JSON.parse(created.body) as { token: string; tenant: { id: string } };
  // The runs open more rooms than the free plan's 5 channels: the operator moves it to enterprise.
  const upgraded = await request(PORT, 'localhost', 'PUT', `/api/tenants/${tenant.id}`, { plan: 'enterprise' }, { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` });
  if (upgraded.status !== 200) throw new Error(`plan: ${upgraded.status} ${upgraded.body}`);
  const auth = { authorization: `Bearer ${token}` };

  async function makeChannels(n: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await request(PORT, host, 'POST', '/api/channels', { name: `${prefix}-${i}` }, auth);
      if (res.status !== 201) throw new Error(`channel: ${res.status} ${res.body}`);
      ids.push((JSON.parse(res.body) as { channel: { id: string } }).channel.id);
    }
    return ids;
  }

  async function run(label: string, rooms: number, clientsPerRoom: number): Promise<void> {
    const channelIds = await makeChannels(rooms, label.replace(/\W+/g, '-'));
    const clients: Client[] = [];
    const latencies: number[] = [];
    const sentAt = new Map<string, number>();
    const errors = new Map<string, number>();
    let deliveries = 0;
    const expectedDeliveries = MESSAGES * clientsPerRoom;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));

    await Promise.all(
      channelIds.flatMap((channelId, room) =>
        Array.from({ length: clientsPerRoom }, () => {
          return new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${PORT}/api/channels/${channelId}/ws`, { headers: { host: `${host}:${PORT}`, ...auth }, perMessageDeflate: false });
            const client: Client = { ws, room, received: [], bodies: new Set() };
            ws.on('message', (data) => {
              const frame = JSON.parse(String(data)) as { type: string; code?: string; message?: { seq: number; text: string } };
              if (frame.type === 'ready') return resolve();
              if (frame.type === 'error') errors.set(frame.code ?? '?', (errors.get(frame.code ?? '?') ?? 0) + 1);
              if (frame.type !== 'message.created' || !frame.message) return;
              const now = performance.now();
              client.received.push(frame.message.seq);
              client.bodies.add(frame.message.text);
              const t = sentAt.get(frame.message.text);
              if (t !== undefined) latencies.push(now - t);
              deliveries += 1;
              if (deliveries === expectedDeliveries) resolveDone();
            });
            ws.on('error', reject);
            clients.push(client);
          });
        }),
      ),
    );

    const rtBefore = roundTrips();
    const started = performance.now();
    // Open-loop sender: RATE messages a second across all rooms, round-robin over clients.
    const perTick = Math.max(1, Math.round(RATE / 100));
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < perTick && sent < MESSAGES; k++, sent++) {
          const client = clients[sent % clients.length]!;
          const text = `m${sent}`;
          sentAt.set(text, performance.now());
          client.ws.send(JSON.stringify({ type: 'message', text, clientId: text }));
        }
        if (sent >= MESSAGES) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    const timeout = setTimeout(() => resolveDone(), 120_000);
    await done;
    clearTimeout(timeout);
    const elapsedMs = performance.now() - started;
    const rt = roundTrips() - rtBefore;

    // Exactly once, in order: each client saw its room's seqs 1..n consecutively, every body once.
    const problems: string[] = [];
    const perRoomSent = new Map<number, number>();
    for (let i = 0; i < MESSAGES; i++) {
      const room = clients[i % clients.length]!.room;
      perRoomSent.set(room, (perRoomSent.get(room) ?? 0) + 1);
    }
    for (const [i, c] of clients.entries()) {
      const expected = perRoomSent.get(c.room) ?? 0;
      const inOrder = c.received.every((s, k) => s === k + 1);
      if (c.received.length !== expected || !inOrder || c.bodies.size !== expected) {
        problems.push(`client ${i} (room ${c.room}): ${c.received.length}/${expected} received, in order: ${inOrder}, distinct: ${c.bodies.size}`);
      }
    }
    for (const [code, n] of errors) problems.push(`${n} error frames "${code}"`);
    for (const c of clients) c.ws.close();
    results.push({ label, rooms, clients: clients.length, messages: MESSAGES, deliveries, elapsedMs, latencies: latencies.sort((a, b) => a - b), roundTrips: rt, problems });
  }

  await run('1 room x 50 clients', 1, 50);
  await run('10 rooms x 5 clients', 10, 5);

  console.log(`\nChat rooms through wrangler dev (${gateway.backend.kind}), ${MESSAGES} messages per run offered at ${RATE}/s\n`);
  printTable(
    ['run', 'messages', 'deliveries', 'msgs/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'msgs per db round trip', 'exactly once, in order'],
    results.map((r) => [
      r.label,
      r.messages,
      r.deliveries,
      (r.messages / r.elapsedMs) * 1000,
      (r.deliveries / r.elapsedMs) * 1000,
      percentile(r.latencies, 50),
      percentile(r.latencies, 99),
      r.messages / Math.max(1, r.roundTrips),
      r.problems.length === 0 ? 'yes' : `NO (${r.problems.length} clients)`,
    ]),
  );
  for (const r of results) for (const p of r.problems.slice(0, 5)) console.log(`  ${r.label}: ${p}`);
  if (results.some((r) => r.problems.length)) process.exitCode = 1;
} finally {
  await worker.stop();
  await gateway.close();
}
