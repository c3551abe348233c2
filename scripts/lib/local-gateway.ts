import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeBackend, openBackend, startGateway, type Gateway } from '../gateway';
import { ROOT } from './dev-vars';

/**
 * The connection string the Worker uses locally when there is no real server: the gateway
 * keys its round-trip counters by it and otherwise ignores it (its backend is fixed at start).
 */
export const LOCAL_CONNECTION_STRING = 'postgresql://nchat:local@db.localhost/nchat';

export const DATA_DIR = join(ROOT, '.data');
export const PGLITE_DIR = join(DATA_DIR, 'pglite');
const GATEWAY_FILE = join(DATA_DIR, 'gateway.json');

export interface LocalGatewayOptions {
  /** A real PostgreSQL server; absent means PGlite under .data/pglite. */
  databaseUrl?: string;
  port?: number;
}

/**
 * Starts the gateway for local dev. PGlite's data directory can be opened by one process only,
 * so the running gateway records itself in .data/gateway.json and `npm run migrate` uses it
 * instead of opening the directory a second time.
 */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<Gateway & { description: string }> {
  const choice = options.databaseUrl ? { databaseUrl: options.databaseUrl } : { pgliteDir: PGLITE_DIR };
  const running = runningGateway();
  if (!options.databaseUrl && running) {
    throw new Error(`another gateway (pid ${running.pid}) already has ${PGLITE_DIR} open at ${running.url}; stop it first`);
  }
  const backend = await openBackend(choice);
  const gateway = await startGateway({ backend, port: options.port });
  if (!options.databaseUrl) writeFileSync(GATEWAY_FILE, JSON.stringify({ pid: process.pid, url: gateway.url }));
  const close = gateway.close;
  return {
    ...gateway,
    description: describeBackend(choice),
    async close() {
      if (!options.databaseUrl) rmSync(GATEWAY_FILE, { force: true });
      await close();
    },
  };
}

/** The dev gateway that currently owns .data/pglite, if its process is alive. */
export function runningGateway(): { pid: number; url: string } | undefined {
  if (!existsSync(GATEWAY_FILE)) return undefined;
  try {
    const info = JSON.parse(readFileSync(GATEWAY_FILE, 'utf8')) as { pid: number; url: string };
    process.kill(info.pid, 0);
    return info;
  } catch {
    rmSync(GATEWAY_FILE, { force: true });
    return undefined;
  }
}
