/**
 * Runs the Worker under `wrangler dev` against an in-process gateway, for benchmarks that need
 * the real request path (HTTP in, Hono, KV, Durable Objects, Neon driver, gateway, Postgres).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client';
import { openBackend, startGateway, type BackendChoice, type Gateway } from '../scripts/gateway';
import { migrateAll } from '../scripts/lib/migrate-all';
import { startWranglerDev } from '../scripts/lib/wrangler-dev';

export const BENCH_CONNECTION = 'postgresql://bench:bench@bench.db.localhost/nchat';
export const BENCH_ADMIN_TOKEN = 'bench-platform-admin-token-0123456789';
export const BENCH_BASE_DOMAIN = 'localhost';

export async function startBenchGateway(choice: BackendChoice = {}): Promise<Gateway> {
  const gateway = await startGateway({ backend: await openBackend(choice) });
  await migrateAll(() => openDatabase({ DATABASE_URL: BENCH_CONNECTION, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 120_000 }));
  return gateway;
}

export interface RunningWorker {
  port: number;
  stop(): Promise<void>;
}

/** `wrangler dev` with its own empty local state (KV, Durable Objects) in a temp directory, removed at stop. */
export async function startWorker(gateway: Pick<Gateway, 'sqlEndpoint'>, port: number, extraVars: Record<string, string> = {}, connection = BENCH_CONNECTION): Promise<RunningWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'nchat-bench-'));
  const worker = await startWranglerDev({
    port,
    dir,
    secrets: {
      DATABASE_URL: connection,
      SESSION_SECRET: 'bench-session-secret-0123456789abcdef0123',
      PLATFORM_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    },
    vars: { BASE_DOMAIN: BENCH_BASE_DOMAIN, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, LOG_LEVEL: 'warn', ...extraVars },
    // BENCH_WRANGLER_OUTPUT=1 shows the workers' own output (their console lines), for profiling.
    showOutput: process.env.BENCH_WRANGLER_OUTPUT === '1',
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port,
    async stop() {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request with an explicit Host header (Node's fetch does not allow setting it). */
export function request(port: number, host: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A string is sent as it is (a signed webhook's exact bytes); anything else as JSON.
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: { host: `${host}:${port}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Runs `fn` with `concurrency` workers until `count` calls are done; returns per-call latency (ms). */
export async function runConcurrent(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), elapsedMs: performance.now() - started };
}
