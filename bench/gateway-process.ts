/**
 * The bench gateway in a child process, for benchmarks whose load client measures latency: the
 * gateway's work (PGlite runs every query on the gateway's event loop; a 500-row write takes
 * tens of milliseconds) must not delay the client's receive timestamps, or the modes that write
 * Postgres look slower than they are. Its round-trip counters are read over its stats endpoint.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { connectionKey, type ConnectionStats } from '../scripts/gateway/stats';

export interface GatewayProcess {
  sqlEndpoint: string;
  backend: string;
  /** Round trips the gateway has counted for this connection string so far. */
  roundTrips(connection: string): Promise<number>;
  close(): Promise<void>;
}

/** The prefix of the child's line that says it is ready (anything else it prints is passed on). */
export const READY = 'bench-gateway-ready ';

export async function startGatewayProcess(): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'gateway-child.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => (line.startsWith(READY) ? resolve(line.slice(READY.length)) : console.log(line)));
    child.once('exit', (code) => reject(new Error(`the bench gateway exited (code ${code}) before it was ready`)));
  });
  const { url, sqlEndpoint, backend } = JSON.parse(first) as { url: string; sqlEndpoint: string; backend: string };
  return {
    sqlEndpoint,
    backend,
    async roundTrips(connection) {
      const res = await fetch(`${url}/_gateway/stats`);
      const { connections } = (await res.json()) as { connections: Record<string, ConnectionStats> };
      return connections[connectionKey(connection)]?.roundTrips ?? 0;
    },
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
