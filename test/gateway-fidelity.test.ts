/**
 * The local gateway must answer like Neon does, so the driver gives the Worker the same values
 * it would get in production. These tests run through the real @neondatabase/serverless driver
 * inside workerd, against whichever backend the suite was started with (CI runs both PGlite
 * and PostgreSQL), and expect exactly what PostgreSQL gives.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { toIsoTimestamp } from '../src/db/client';
import { connectionString, gatewayStats, resetGatewayStats, testDatabase } from './support/gateway';

const CONN = connectionString('fidelity');
const database = testDatabase(CONN);
const { sql } = database;
const T = `fidelity_${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await sql.query(`CREATE SCHEMA ${T}`);
  await sql.query(`CREATE TABLE ${T}.everything (
    id serial PRIMARY KEY,
    i2 int2, i4 int4, i8 int8, num numeric(20,6), b bool, t text, u uuid, j jsonb,
    ts timestamptz, d date, bin bytea, ia int4[], ta text[]
  )`);
  await sql.query(`CREATE TABLE ${T}.names (id serial PRIMARY KEY, name text NOT NULL CONSTRAINT names_name_unique UNIQUE)`);
});

describe('gateway fidelity through the Neon driver', () => {
  it('round-trips every common type to the same JS values as PostgreSQL', async () => {
    const when = new Date('2026-03-04T05:06:07.123Z');
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    const [row] = await sql`
      INSERT INTO ${sql.unsafe(`${T}.everything`)} (i2, i4, i8, num, b, t, u, j, ts, d, bin, ia, ta)
      VALUES (${-32768}, ${2147483647}, ${'9223372036854775807'}, ${'12345678901234.123456'}, ${true},
              ${'héllo, "wörld"\n'}, ${'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'}, ${JSON.stringify({ a: [1, 'x', null], b: { c: true } })},
              ${when}, ${'2026-02-28'}, ${bytes}, ${[1, 2, null, 4]}, ${['plain', 'with,comma', 'with "quote"', null]})
      RETURNING *`;
    expect(row).toBeDefined();
    expect(row!.i2).toBe(-32768);
    expect(row!.i4).toBe(2147483647);
    expect(row!.i8).toBe('9223372036854775807'); // int8 stays a string: it does not fit a JS number
    expect(row!.num).toBe('12345678901234.123456'); // numeric stays a string: exact
    expect(row!.b).toBe(true);
    expect(row!.t).toBe('héllo, "wörld"\n');
    expect(row!.u).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(row!.j).toEqual({ a: [1, 'x', null], b: { c: true } });
    // drizzle's driver leaves date/time types as Postgres text (see src/db/client.ts).
    expect(row!.ts).toBe('2026-03-04 05:06:07.123+00');
    expect(toIsoTimestamp(row!.ts as string)).toBe('2026-03-04T05:06:07.123Z');
    expect(row!.d).toBe('2026-02-28');
    expect([...(row!.bin as Uint8Array)]).toEqual([0, 1, 2, 254, 255]);
    expect(row!.ia).toEqual([1, 2, null, 4]);
    expect(row!.ta).toEqual(['plain', 'with,comma', 'with "quote"', null]);
  });

  it('returns NULL as null for every type', async () => {
    const [row] = await sql.query(
      `INSERT INTO ${T}.everything (i2) VALUES (NULL) RETURNING i2, i4, i8, num, b, t, u, j, ts, d, bin, ia, ta`,
    );
    expect(Object.values(row!)).toEqual(Array(13).fill(null));
  });

  it('gives full results: command, rowCount and field type ids', async () => {
    const res = await sql.query(`SELECT 1::int4 AS one, 'x'::text AS x, now() AS ts`, [], { fullResults: true });
    expect(res.command).toBe('SELECT');
    expect(res.rowCount).toBe(1);
    expect(res.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['one', 23],
      ['x', 25],
      ['ts', 1184],
    ]);
    const upd = await sql.query(`UPDATE ${T}.everything SET b = false WHERE i2 IS NULL`, [], { fullResults: true });
    expect(upd.command).toBe('UPDATE');
    expect(upd.rowCount).toBe(1);
  });

  it('returns rows as arrays in array mode', async () => {
    const rows = await sql.query(`SELECT 1 AS a, 'two' AS b`, [], { arrayMode: true });
    expect(rows).toEqual([[1, 'two']]);
  });

  it('surfaces a unique violation as 23505 with its constraint name and detail', async () => {
    await sql.query(`INSERT INTO ${T}.names (name) VALUES ('ada')`);
    const err = await sql.query(`INSERT INTO ${T}.names (name) VALUES ('ada')`).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NeonDbError', code: '23505', constraint: 'names_name_unique', table: 'names', schema: T });
    expect((err as { detail: string }).detail).toContain('(name)=(ada)');
  });

  it('gives a syntax error its position', async () => {
    const err = await sql.query('SELECT 1 FROM WHERE').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '42601', position: '15' });
    expect((err as Error).message).toContain('syntax error at or near "WHERE"');
  });

  it('rolls back the whole batch when one statement fails', async () => {
    const err = await database
      .transaction([
        sql.query(`INSERT INTO ${T}.names (name) VALUES ('batch-one')`),
        sql.query(`INSERT INTO ${T}.names (name) VALUES ('batch-two')`),
        sql.query(`INSERT INTO ${T}.names (name) VALUES ('ada')`), // duplicate
      ])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '23505' });
    const rows = await sql.query(`SELECT name FROM ${T}.names WHERE name LIKE 'batch-%'`);
    expect(rows).toEqual([]);
  });

  it('commits a batch and returns one result per statement', async () => {
    const results = await database.transaction([
      sql.query(`INSERT INTO ${T}.names (name) VALUES ('c1') RETURNING name`),
      sql.query(`INSERT INTO ${T}.names (name) VALUES ('c2') RETURNING name`),
      sql.query(`SELECT count(*)::int AS n FROM ${T}.names WHERE name IN ('c1', 'c2')`),
    ]);
    expect(results).toEqual([[{ name: 'c1' }], [{ name: 'c2' }], [{ n: 2 }]]);
  });

  it('honours the batch isolation level and read-only mode', async () => {
    const [iso] = await database.transaction([sql`SHOW transaction_isolation`], { isolationLevel: 'Serializable' });
    expect(iso).toEqual([{ transaction_isolation: 'serializable' }]);
    const [ro] = await database.transaction([sql`SHOW transaction_read_only`], { readOnly: true });
    expect(ro).toEqual([{ transaction_read_only: 'on' }]);
    const err = await database.transaction([sql.query(`INSERT INTO ${T}.names (name) VALUES ('ro')`)], { readOnly: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '25006' });
  });

  it('completes 20 concurrent requests correctly, and never interleaves two batches', async () => {
    const singles = Array.from({ length: 10 }, (_, i) => sql.query(`INSERT INTO ${T}.names (name) VALUES ($1) RETURNING name`, [`conc-${i}`]));
    // If the gateway let another request run inside a batch on PGlite's single connection,
    // a SET LOCAL from one batch would be seen by another.
    const batches = Array.from({ length: 10 }, (_, i) =>
      database.transaction([
        sql`SELECT set_config('fidelity.marker', ${String(i)}, true)`,
        sql`SELECT pg_sleep(0.01)`,
        sql`SELECT current_setting('fidelity.marker') AS marker`,
      ]),
    );
    const [singleResults, batchResults] = await Promise.all([Promise.all(singles), Promise.all(batches)]);
    expect(singleResults.map((r) => r[0]!.name)).toEqual(Array.from({ length: 10 }, (_, i) => `conc-${i}`));
    expect(batchResults.map((r) => r[2]![0]!.marker)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    const [count] = await sql.query(`SELECT count(*)::int AS n FROM ${T}.names WHERE name LIKE 'conc-%'`);
    expect(count!.n).toBe(10);
  });

  it('counts round trips and statements per connection string', async () => {
    await resetGatewayStats(CONN);
    await sql`SELECT 1`;
    await database.transaction([sql`SELECT 1`, sql`SELECT 2`, sql`SELECT 3`, sql`SELECT 4`, sql`SELECT 5`]);
    await sql.query('SELECT broken syntax here').catch(() => undefined);
    expect(await gatewayStats(CONN)).toEqual({ roundTrips: 3, statements: 7, batches: 1, errors: 1 });
  });

  it('runs on the backend the suite was started with', () => {
    expect(['pglite', 'postgres']).toContain(inject('gatewayBackend'));
  });
});
