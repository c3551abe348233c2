import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { connectionKey } from '../../scripts/gateway/stats';
import { openDatabase, type Database } from '../../src/db/client';

export interface ConnectionStats {
  roundTrips: number;
  statements: number;
  batches: number;
  errors: number;
}

/**
 * Each test file names its own connection (a distinct host in the connection string) so the
 * gateway's round-trip counters for it are not disturbed by other files running at once.
 */
export function connectionString(name: string): string {
  return `postgresql://nchat:test@${name}.db.test.localhost/nchat`;
}

export function gatewayEndpoint(): string {
  return `${inject('gatewayUrl')}/sql`;
}

/** A Database through the real Neon driver and the gateway, as the Worker opens it. */
export function testDatabase(connection: string, timeoutMs = 20_000): Database {
  return openDatabase({ DATABASE_URL: connection, NEON_FETCH_ENDPOINT: gatewayEndpoint(), DB_QUERY_TIMEOUT_MS: timeoutMs });
}

/** The Worker's env with overrides (a different database, a broken variable, ...). */
export function envWith(overrides: Record<string, string | undefined>): Env {
  return { ...env, ...overrides } as Env;
}

export async function gatewayStats(connection: string): Promise<ConnectionStats> {
  const res = await fetch(`${inject('gatewayUrl')}/_gateway/stats`);
  const body = (await res.json()) as { connections: Record<string, ConnectionStats> };
  return body.connections[connectionKey(connection)] ?? { roundTrips: 0, statements: 0, batches: 0, errors: 0 };
}

export async function resetGatewayStats(connection: string): Promise<void> {
  await fetch(`${inject('gatewayUrl')}/_gateway/stats/reset?connection=${encodeURIComponent(connection)}`, { method: 'POST' });
}

/** The most requests the gateway was answering at once for this connection (since its last reset). */
export async function gatewayMaxInFlight(connection: string): Promise<number> {
  const res = await fetch(`${inject('gatewayUrl')}/_gateway/stats`);
  const body = (await res.json()) as { concurrency: Record<string, { max: number }> };
  return body.concurrency[connectionKey(connection)]?.max ?? 0;
}

/** Holds this connection's requests a random [minMs, maxMs] before they run (0, 0: no longer). */
export async function setGatewayLatency(connection: string, minMs: number, maxMs: number): Promise<void> {
  const res = await fetch(`${inject('gatewayUrl')}/_gateway/latency?connection=${encodeURIComponent(connection)}`, { method: 'POST', body: JSON.stringify({ minMs, maxMs }) });
  if (!res.ok) throw new Error(`gateway latency: ${res.status}`);
}
