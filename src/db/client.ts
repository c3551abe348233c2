import { neon, neonConfig, type NeonQueryFunction, type NeonQueryPromise, type HTTPTransactionOptions } from '@neondatabase/serverless';
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import type { Config } from '../config';
import * as schema from './schema';

export type Sql = NeonQueryFunction<false, false>;
export type Query = NeonQueryPromise<false, false>;
export type Drizzle = NeonHttpDatabase<typeof schema>;

export type TransactionOptions = Pick<HTTPTransactionOptions<false, false>, 'isolationLevel' | 'readOnly' | 'deferrable'>;

/**
 * A request's handle on Postgres through Neon's SQL-over-HTTP driver: `sql` tagged templates,
 * `db` (drizzle), and `transaction()` for atomic work. HTTP is stateless, so anything that must
 * be atomic (or must share a `SET LOCAL`) goes in one `transaction()`: one HTTP round trip,
 * one Postgres transaction, all statements or none.
 *
 * Every call carries an abort signal for the request's database deadline, so a database that
 * does not answer costs a bounded wait instead of a hung request.
 *
 * Value types: drizzle's Neon driver registers (globally, when `drizzle()` first runs) parsers
 * that leave timestamp, timestamptz, date and interval values as Postgres text, e.g.
 * `2026-03-04 05:06:07.123+00`; openDatabase always builds drizzle, so raw `sql` queries see
 * the same. Use `toIsoTimestamp` when a value leaves the API.
 */
export interface Database {
  sql: Sql;
  db: Drizzle;
  transaction(queries: Query[], options?: TransactionOptions): Promise<Record<string, unknown>[][]>;
}

export interface DatabaseOptions {
  /** Overall deadline for this handle's calls; defaults to DB_QUERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export function openDatabase(config: Pick<Config, 'DATABASE_URL' | 'NEON_FETCH_ENDPOINT' | 'DB_QUERY_TIMEOUT_MS'>, options: DatabaseOptions = {}): Database {
  if (config.NEON_FETCH_ENDPOINT) routeToLocalGateway(config.DATABASE_URL, config.NEON_FETCH_ENDPOINT);
  const signal = AbortSignal.timeout(options.timeoutMs ?? config.DB_QUERY_TIMEOUT_MS);
  const sql = neon(config.DATABASE_URL, { fetchOptions: { signal } });
  const db = drizzle({ client: sql, schema });
  return {
    sql,
    db,
    transaction: (queries, txOptions) => {
      if (queries.length === 0) return Promise.resolve([]);
      return sql.transaction(queries, txOptions) as Promise<Record<string, unknown>[][]>;
    },
  };
}

/**
 * Local dev and tests only: send this connection's SQL to the local gateway instead of Neon.
 *
 * `neonConfig.fetchEndpoint` is global to the isolate, so it becomes a lookup by the connection
 * string's host: hosts registered here go to their gateway, every other host to Neon's own
 * endpoint (the driver's default). Production never sets NEON_FETCH_ENDPOINT and never runs this.
 */
const gatewayByHost = new Map<string, string>();
let neonDefaultEndpoint: ((host: string, port: number | string, options: { jwtAuth?: boolean }) => string) | undefined;

function routeToLocalGateway(connectionString: string, endpoint: string): void {
  const key = hostKey(new URL(connectionString).hostname, new URL(connectionString).port);
  if (gatewayByHost.get(key) === endpoint) return;
  gatewayByHost.set(key, endpoint);
  if (!neonDefaultEndpoint) {
    const current = neonConfig.fetchEndpoint;
    neonDefaultEndpoint = typeof current === 'function' ? current : () => String(current);
    neonConfig.fetchEndpoint = (host, port, opts) =>
      gatewayByHost.get(hostKey(host, port)) ?? neonDefaultEndpoint!(host, port, opts ?? {});
  }
}

function hostKey(host: string, port: number | string): string {
  return `${host}:${port || ''}`;
}

/** Postgres timestamptz text (`2026-03-04 05:06:07.123+00`) as ISO 8601 (`2026-03-04T05:06:07.123Z`). */
export function toIsoTimestamp(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${value}`);
  return date.toISOString();
}

/**
 * A drizzle query as a Neon query, so drizzle-built statements (typed inserts, updates) can
 * join a raw `transaction([...])` next to DDL. drizzle renders the SQL and parameters; the
 * Neon driver sends them.
 */
export function asNeonQuery(database: Database, query: { toSQL(): { sql: string; params: unknown[] } }): Query {
  const { sql: text, params } = query.toSQL();
  return database.sql.query(text, params) as Query;
}
