/**
 * The migration runner, against the real database through the gateway, each test on its own
 * scratch schema `mig_<random>`, plus the pure helpers it is built from.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../src/db/client';
import { quoteIdent } from '../src/db/identifiers';
import { checksum, parseMigrationFileName, prepareMigrations, splitStatements, STATEMENT_BREAKPOINT, type MigrationFile } from '../src/db/migrations/migration';
import { MigrationChecksumError, MigrationFailedError, runMigrations } from '../src/db/migrations/runner';
import { connectionString, testDatabase } from './support/gateway';

const CONN = connectionString('migrations');
// A Database's deadline covers all of its calls, so each test gets a fresh one.
let database: Database;
let sql: Sql;
beforeEach(() => {
  database = testDatabase(CONN);
  sql = database.sql;
});
const BP = `\n${STATEMENT_BREAKPOINT}\n`;

const scratchSchemas: string[] = [];
function scratchSchema(suffix = ''): string {
  const name = `mig_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}${suffix}`;
  scratchSchemas.push(name);
  return name;
}

afterAll(async () => {
  const { sql } = testDatabase(CONN);
  for (const schema of scratchSchemas) await sql.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
});

/** Two migrations that create tables in `schema`. */
function twoMigrations(schema: string): MigrationFile[] {
  const s = quoteIdent(schema);
  return [
    { version: '0001', name: 'create_t1', sql: `CREATE TABLE ${s}.t1 (id int PRIMARY KEY, label text NOT NULL)${BP}INSERT INTO ${s}.t1 VALUES (1, 'one')` },
    { version: '0002', name: 'create_t2', sql: `-- the second table\nCREATE TABLE ${s}.t2 (id int PRIMARY KEY REFERENCES ${s}.t1 (id))` },
  ];
}

async function recorded(schema: string): Promise<{ version: string; name: string; checksum: string }[]> {
  return (await sql.query(`SELECT version, name, checksum FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`)) as {
    version: string;
    name: string;
    checksum: string;
  }[];
}

async function tableExists(schema: string, table: string): Promise<boolean> {
  const [row] = await sql`SELECT to_regclass(${`${quoteIdent(schema)}.${quoteIdent(table)}`}) IS NOT NULL AS present`;
  return row!.present as boolean;
}

describe('splitStatements', () => {
  it.each<[string, string, string[]]>([
    ['one statement', 'SELECT 1', ['SELECT 1']],
    ['statements at breakpoints, trimmed', `  CREATE TABLE a (x int);  ${BP}  INSERT INTO a VALUES (1);\n`, ['CREATE TABLE a (x int);', 'INSERT INTO a VALUES (1);']],
    ['a breakpoint with no newlines around it', `SELECT 1;${STATEMENT_BREAKPOINT}SELECT 2;`, ['SELECT 1;', 'SELECT 2;']],
    ['comment-only chunks dropped', `-- header comment\n-- more${BP}SELECT 1;${BP}-- trailing note${BP}\n  \n`, ['SELECT 1;']],
    ['a comment before a statement kept with it', `-- why\nSELECT 1;`, ['-- why\nSELECT 1;']],
    ['CRLF line endings', `SELECT 1;\r\n${STATEMENT_BREAKPOINT}\r\nSELECT\r\n  2;\r\n`, ['SELECT 1;', 'SELECT\n  2;']],
    ['an empty file', '', []],
    ['a string containing --', `SELECT '-- not a comment';`, [`SELECT '-- not a comment';`]],
  ])('%s', (_label, input, expected) => {
    expect(splitStatements(input)).toEqual(expected);
  });
});

describe('parseMigrationFileName', () => {
  it.each<[string, { version: string; name: string } | null]>([
    ['0001_init.sql', { version: '0001', name: 'init' }],
    ['0042_add_users_2.sql', { version: '0042', name: 'add_users_2' }],
    ['9999_x.sql', { version: '9999', name: 'x' }],
    ['1_init.sql', null],
    ['00001_init.sql', null],
    ['0001-init.sql', null],
    ['0001_Init.sql', null],
    ['0001_add-users.sql', null],
    ['0001_.sql', null],
    ['0001_init.SQL', null],
    ['0001_init.sql.bak', null],
    ['0001_init', null],
    ['README.md', null],
    ['x0001_init.sql', null],
  ])('%s', (fileName, expected) => {
    expect(parseMigrationFileName(fileName)).toEqual(expected);
  });
});

describe('checksum', () => {
  it('is the SHA-256 hex of the SQL and ignores CRLF vs LF', async () => {
    const lf = await checksum('SELECT 1;\nSELECT 2;\n');
    expect(lf).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(lf);
    expect(await checksum('SELECT 1;\nSELECT 3;\n')).not.toBe(lf);
    // SHA-256 of the empty string, a known value.
    expect(await checksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('prepareMigrations', () => {
  it('sorts by version and adds checksums and statements', async () => {
    const prepared = await prepareMigrations([
      { version: '0010', name: 'ten', sql: 'SELECT 10' },
      { version: '0002', name: 'two', sql: `SELECT 2${BP}SELECT 22` },
      { version: '0001', name: 'one', sql: 'SELECT 1' },
    ]);
    expect(prepared.map((m) => m.version)).toEqual(['0001', '0002', '0010']);
    expect(prepared[1]).toMatchObject({ name: 'two', statements: ['SELECT 2', 'SELECT 22'], checksum: await checksum(`SELECT 2${BP}SELECT 22`) });
  });

  it('rejects two migrations with the same version', async () => {
    await expect(
      prepareMigrations([
        { version: '0001', name: 'one', sql: 'SELECT 1' },
        { version: '0002', name: 'two_a', sql: 'SELECT 2' },
        { version: '0002', name: 'two_b', sql: 'SELECT 2' },
      ]),
    ).rejects.toThrow(/0002.*two_a.*two_b/);
  });
});

describe('runMigrations', () => {
  it('applies migrations, records them with checksums, and is idempotent', async () => {
    const schema = scratchSchema();
    const migrations = await prepareMigrations(twoMigrations(schema));
    const seen: string[] = [];

    const first = await runMigrations(database, schema, migrations, { onApplied: (s, m) => seen.push(`${s}:${m.version}`) });
    expect(first).toEqual({ schema, applied: ['0001', '0002'], alreadyApplied: 0 });
    expect(seen).toEqual([`${schema}:0001`, `${schema}:0002`]);
    expect(await recorded(schema)).toEqual(migrations.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));
    expect(await sql.query(`SELECT id, label FROM ${quoteIdent(schema)}.t1`)).toEqual([{ id: 1, label: 'one' }]);
    expect(await tableExists(schema, 't2')).toBe(true);

    const second = await runMigrations(database, schema, migrations, { onApplied: (s, m) => seen.push(`${s}:${m.version}`) });
    expect(second).toEqual({ schema, applied: [], alreadyApplied: 2 });
    expect(seen).toHaveLength(2);
    expect(await recorded(schema)).toHaveLength(2);
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.t1`)).toEqual([{ n: 1 }]);
  });

  it('applies only the new migration when one is added', async () => {
    const schema = scratchSchema();
    const files = twoMigrations(schema);
    await runMigrations(database, schema, await prepareMigrations(files.slice(0, 1)));
    const result = await runMigrations(database, schema, await prepareMigrations(files));
    expect(result).toEqual({ schema, applied: ['0002'], alreadyApplied: 1 });
    expect((await recorded(schema)).map((r) => r.version)).toEqual(['0001', '0002']);
  });

  it('refuses a migration that was changed after it was applied', async () => {
    const schema = scratchSchema();
    const files = twoMigrations(schema);
    await runMigrations(database, schema, await prepareMigrations(files));

    const edited = [{ ...files[0]!, sql: `${files[0]!.sql}${BP}INSERT INTO ${quoteIdent(schema)}.t1 VALUES (2, 'two')` }, files[1]!];
    const err = await runMigrations(database, schema, await prepareMigrations(edited)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationChecksumError);
    expect((err as Error).message).toContain('0001_create_t1.sql');
    expect((err as Error).message).toMatch(/was changed/);
    expect((err as Error).message).toContain(schema);
    // Nothing from the edited file ran.
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.t1`)).toEqual([{ n: 1 }]);
  });

  it('accepts the same file checked out with CRLF line endings', async () => {
    const schema = scratchSchema();
    const files = twoMigrations(schema);
    await runMigrations(database, schema, await prepareMigrations(files));
    const crlf = files.map((f) => ({ ...f, sql: f.sql.replace(/\n/g, '\r\n') }));
    expect(await runMigrations(database, schema, await prepareMigrations(crlf))).toEqual({ schema, applied: [], alreadyApplied: 2 });
  });

  it('rolls back a failing migration, does not record it, and resumes from it once fixed', async () => {
    const schema = scratchSchema();
    const s = quoteIdent(schema);
    const good = twoMigrations(schema);
    const broken: MigrationFile = { version: '0003', name: 'create_t3', sql: `CREATE TABLE ${s}.t3 (id int)${BP}INSERT INTO ${s}.no_such_table VALUES (1)` };
    const after: MigrationFile = { version: '0004', name: 'create_t4', sql: `CREATE TABLE ${s}.t4 (id int)` };

    const err = await runMigrations(database, schema, await prepareMigrations([...good, broken, after])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationFailedError);
    expect((err as MigrationFailedError).migration.version).toBe('0003');
    expect((err as Error).message).toContain('0003_create_t3.sql');
    expect((err as Error).message).toContain(schema);
    expect((err as Error).cause).toMatchObject({ code: '42P01' });

    // The migrations before it are applied; its first statement is rolled back; nothing after it ran.
    expect((await recorded(schema)).map((r) => r.version)).toEqual(['0001', '0002']);
    expect(await tableExists(schema, 't1')).toBe(true);
    expect(await tableExists(schema, 't3')).toBe(false);
    expect(await tableExists(schema, 't4')).toBe(false);

    const fixed: MigrationFile = { ...broken, sql: `CREATE TABLE ${s}.t3 (id int)${BP}INSERT INTO ${s}.t3 VALUES (1)` };
    const result = await runMigrations(database, schema, await prepareMigrations([...good, fixed, after]));
    expect(result).toEqual({ schema, applied: ['0003', '0004'], alreadyApplied: 2 });
    expect(await sql.query(`SELECT id FROM ${s}.t3`)).toEqual([{ id: 1 }]);
    expect(await tableExists(schema, 't4')).toBe(true);
  });

  it('records each migration exactly once when two runners race on a fresh schema', async () => {
    const schema = scratchSchema();
    const s = quoteIdent(schema);
    const migrations = await prepareMigrations([
      ...twoMigrations(schema),
      // No unique constraint here: only the runner's own bookkeeping can keep this from running twice.
      { version: '0003', name: 'seed_log', sql: `CREATE TABLE IF NOT EXISTS ${s}.log (entry text)${BP}INSERT INTO ${s}.log VALUES ('seeded')` },
    ]);
    const results = await Promise.all([runMigrations(database, schema, migrations), runMigrations(database, schema, migrations)]);

    for (const r of results) expect(r.schema).toBe(schema);
    // Between them they applied every migration once.
    expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001', '0002', '0003']);
    expect(await sql.query(`SELECT version, count(*)::int AS n FROM ${s}.schema_migrations GROUP BY version ORDER BY version`)).toEqual([
      { version: '0001', n: 1 },
      { version: '0002', n: 1 },
      { version: '0003', n: 1 },
    ]);
    expect(await sql.query(`SELECT entry FROM ${s}.log`)).toEqual([{ entry: 'seeded' }]);
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${s}.t1`)).toEqual([{ n: 1 }]);
  });

  it('lets a racing runner skip a migration the other applied, even one that cannot run twice', async () => {
    // ADD COLUMN fails with 42701 (duplicate_column) when it runs a second time, and RENAME
    // with 42703: the loser of the race must see that the migration is recorded and move on.
    // Repeated on fresh schemas because which runner loses, and when, is up to timing.
    for (let round = 0; round < 3; round++) {
      const schema = scratchSchema();
      const s = quoteIdent(schema);
      const [base] = twoMigrations(schema);
      await runMigrations(database, schema, await prepareMigrations([base!]));
      const migrations = await prepareMigrations([
        base!,
        { version: '0002', name: 'add_column', sql: `ALTER TABLE ${s}.t1 ADD COLUMN extra int` },
        { version: '0003', name: 'rename_column', sql: `ALTER TABLE ${s}.t1 RENAME COLUMN label TO title` },
      ]);
      const results = await Promise.allSettled([runMigrations(database, schema, migrations), runMigrations(database, schema, migrations)]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
      expect((await recorded(schema)).map((r) => r.version)).toEqual(['0001', '0002', '0003']);
    }
  });

  it('runs a prelude first in each migration transaction', async () => {
    const schema = scratchSchema();
    const migrations = await prepareMigrations([{ version: '0001', name: 'unqualified', sql: 'CREATE TABLE plain (id int)' }]);
    await runMigrations(database, schema, migrations, {
      prelude: (db) => [db.sql.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)],
    });
    expect(await tableExists(schema, 'plain')).toBe(true);
  });

  it('quotes the schema name everywhere it uses it', async () => {
    const schema = scratchSchema(' Odd "Name"');
    const migrations = await prepareMigrations([{ version: '0001', name: 'create_t1', sql: `CREATE TABLE ${quoteIdent(schema)}.t1 (id int)` }]);
    expect(await runMigrations(database, schema, migrations)).toEqual({ schema, applied: ['0001'], alreadyApplied: 0 });
    expect(await runMigrations(database, schema, migrations)).toEqual({ schema, applied: [], alreadyApplied: 1 });
    const [row] = await sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${schema}`;
    expect(row!.n).toBe(2); // t1 and schema_migrations
  });
});

describe('quoteIdent', () => {
  it.each([
    ['tenant_acme', '"tenant_acme"'],
    ['Mixed Case', '"Mixed Case"'],
    ['a"b', '"a""b"'],
    ['""', '""""""'],
    ['ünïcödé', '"ünïcödé"'],
    ['a'.repeat(63), `"${'a'.repeat(63)}"`],
    [`${'é'.repeat(31)}a`, `"${'é'.repeat(31)}a"`], // 63 bytes
  ])('quotes %j', (name, quoted) => {
    expect(quoteIdent(name)).toBe(quoted);
  });

  it.each([
    ['an empty name', '', /empty/],
    ['64 ASCII characters', 'a'.repeat(64), /63 bytes/],
    ['32 two-byte characters (64 bytes)', 'é'.repeat(32), /63 bytes/],
    ['16 four-byte characters (64 bytes)', '😀'.repeat(16), /63 bytes/],
    ['a NUL byte', 'a\u0000b', /NUL/],
  ])('rejects %s', (_label, name, message) => {
    expect(() => quoteIdent(name)).toThrow(message);
  });

  it('produces identifiers Postgres accepts and reads back unchanged', async () => {
    const name = 'we"ird Name é';
    const [row] = await sql.query(`SELECT 1 AS ${quoteIdent(name)}`);
    expect(Object.keys(row!)).toEqual([name]);
  });
});
