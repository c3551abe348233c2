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
    if (connection === undefined) this.byConnection.clear();
    else this.byConnection.delete(connectionKey(connection));
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
