/**
 * Round trips and statements per Neon connection string, so a test or a benchmark can say
 * "this request made N database round trips". A round trip is one HTTP request from the
 * driver (one statement, or one whole batch transaction).
 */
export interface ConnectionStats {
  roundTrips: number;
  statements: number;
  batches: number;
  errors: number;
}

export class GatewayStats {
  private readonly byConnection = new Map<string, ConnectionStats>();
  /** Requests being answered now, and the most at once, per connection (a room's write pipeline shows here). */
  private readonly concurrency = new Map<string, { now: number; max: number }>();
  /** Added latency per connection, for tests of what slow round trips do: [min, max] ms before a request runs. */
  private readonly latency = new Map<string, [number, number]>();

  started(connection: string): void {
    const key = connectionKey(connection);
    const c = this.concurrency.get(key) ?? { now: 0, max: 0 };
    c.now += 1;
    c.max = Math.max(c.max, c.now);
    this.concurrency.set(key, c);
  }

  finished(connection: string): void {
    const c = this.concurrency.get(connectionKey(connection));
    if (c) c.now -= 1;
  }

  concurrencySnapshot(): Record<string, { now: number; max: number }> {
    return Object.fromEntries([...this.concurrency].map(([k, v]) => [k, { ...v }]));
  }

  setLatency(connection: string, minMs: number, maxMs: number): void {
    if (maxMs <= 0) this.latency.delete(connectionKey(connection));
    else this.latency.set(connectionKey(connection), [minMs, Math.max(minMs, maxMs)]);
  }

  /** How long to hold this request before it runs (0 unless a test asked for latency). */
  delayFor(connection: string): number {
    const range = this.latency.get(connectionKey(connection));
    return range ? range[0] + Math.random() * (range[1] - range[0]) : 0;
  }

  record(connection: string, statements: number, isBatch: boolean, failed: boolean): void {
    const s = this.get(connection);
    s.roundTrips += 1;
    s.statements += statements;
    if (isBatch) s.batches += 1;
    if (failed) s.errors += 1;
  }

  get(connection: string): ConnectionStats {
    const key = connectionKey(connection);
    let s = this.byConnection.get(key);
    if (!s) {
      s = { roundTrips: 0, statements: 0, batches: 0, errors: 0 };
      this.byConnection.set(key, s);
    }
    return s;
  }

  snapshot(): Record<string, ConnectionStats> {
    return Object.fromEntries([...this.byConnection].map(([k, v]) => [k, { ...v }]));
  }

  reset(connection?: string): void {
    if (connection === undefined) {
      this.byConnection.clear();
      for (const c of this.concurrency.values()) c.max = c.now;
    } else {
      this.byConnection.delete(connectionKey(connection));
      const c = this.concurrency.get(connectionKey(connection));
      if (c) c.max = c.now;
    }
  }
}

/**
 * Counters are keyed by the connection string without its password (and without the query
 * string the driver appends, such as application_name), so callers can name a connection
 * the way they configured it.
 */
export function connectionKey(connection: string): string {
  try {
    const url = new URL(connection);
    return `${url.protocol.replace('postgresql:', 'postgres:')}//${decodeURIComponent(url.username)}@${url.host}${url.pathname}`;
  } catch {
    return connection;
  }
}
