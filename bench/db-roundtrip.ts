/**
 * bench/db-roundtrip — latency of one query and of a 5-statement batch transaction through the
 * Neon HTTP driver and the local gateway, on each backend (PGlite, and the PostgreSQL server at
 * DATABASE_URL or 127.0.0.1:5432 if one answers). A figure for issue notes, not a test.
 *
 *   npm run bench:db                      # 1000 iterations each
 *   ITERATIONS=200 npm run bench:db
 */
import pg from 'pg';
import { openDatabase } from '../src/db/client';
import { describeBackend, openBackend, startGateway, type BackendChoice } from '../scripts/gateway';
import { measureSequential, printTable } from './stats';

const ITERATIONS = Number(process.env.ITERATIONS ?? 1000);
const WARMUP = Math.min(100, ITERATIONS);
const CONN = 'postgresql://bench:bench@bench.db.localhost/nchat';

async function serverUrl(): Promise<string | undefined> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return undefined;
  }
}

async function benchBackend(choice: BackendChoice) {
  const gateway = await startGateway({ backend: await openBackend(choice) });
  try {
    const db = () => openDatabase({ DATABASE_URL: CONN, NEON_FETCH_ENDPOINT: gateway.sqlEndpoint, DB_QUERY_TIMEOUT_MS: 30_000 });
    const { sql } = db();
    await sql`CREATE TEMP TABLE IF NOT EXISTS bench_noop (id int)`.catch(() => undefined);
    const single = await measureSequential(ITERATIONS, WARMUP, () => db().sql`SELECT 1 AS one`);
    const batch = await measureSequential(ITERATIONS, WARMUP, () => {
      const d = db();
      return d.transaction([d.sql`SELECT 1`, d.sql`SELECT now()`, d.sql`SELECT ${'x'}::text`, d.sql`SELECT count(*) FROM pg_class`, d.sql`SELECT 5`]);
    });
    const stats = gateway.stats.snapshot();
    return { name: describeBackend(choice).replace(/ in memory$/, ''), single, batch, stats };
  } finally {
    await gateway.close();
  }
}

const choices: BackendChoice[] = [{}];
const url = await serverUrl();
if (url) choices.push({ databaseUrl: url });
else console.log('(no PostgreSQL server answered; benchmarking PGlite only)');

const rows: (string | number)[][] = [];
for (const choice of choices) {
  const r = await benchBackend(choice);
  rows.push([r.name, '1 query', r.single.p50, r.single.p99, r.single.perSecond]);
  rows.push([r.name, '5-statement batch', r.batch.p50, r.batch.p99, r.batch.perSecond]);
}
console.log(`\nNeon HTTP driver -> local gateway, ${ITERATIONS} sequential calls each (after ${WARMUP} warm-up), Node ${process.version}\n`);
printTable(['backend', 'call', 'p50 ms', 'p99 ms', 'calls/s'], rows);
