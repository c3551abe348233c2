import type { Database, Query } from '../client';
import { sqlState } from '../errors';
import { quoteIdent } from '../identifiers';
import type { Migration } from './migration';

/**
 * Applies migrations to one schema and records them in `<schema>.schema_migrations`
 * (version, name, checksum). Each migration is one batch transaction — its statements plus its
 * record — so a failure leaves the schema as it was and the next run starts from there
 * (resumable). An applied migration whose file has changed is refused: silently running an
 * edited migration on some databases but not others is how environments drift apart.
 */
export interface MigrationPlan {
  applied: string[];
  pending: Migration[];
}

export interface RunResult {
  schema: string;
  applied: string[];
  alreadyApplied: number;
}

export class MigrationChecksumError extends Error {
  constructor(readonly schema: string, readonly version: string, readonly migrationName: string) {
    super(
      `migration ${version}_${migrationName}.sql was changed after it was applied to schema "${schema}" ` +
        `(its checksum no longer matches). Applied migrations must not be edited: revert the file ` +
        `and put the change in a new migration.`,
    );
    this.name = 'MigrationChecksumError';
  }
}

/**
 * Serialises concurrent runners on one schema (two deploys, two `npm run migrate`s); runners on
 * different schemas (tenants migrated in parallel) do not wait for each other.
 */
const LOCK_KEY = 7_206_001;
function lockStatement(database: Database, schema: string): Query {
  return database.sql`SELECT pg_advisory_xact_lock(${LOCK_KEY}, hashtext(${schema}))`;
}

export function trackingTable(schema: string): string {
  return `${quoteIdent(schema)}.schema_migrations`;
}

/** DDL of the tracking table (also run by tenant provisioning inside its own transaction). */
export function trackingTableDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${trackingTable(schema)} (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;
}

export async function ensureTrackingTable(database: Database, schema: string): Promise<void> {
  const { sql } = database;
  await database.transaction([
    lockStatement(database, schema),
    sql.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`),
    sql.query(trackingTableDdl(schema)),
  ]);
}

export async function planMigrations(database: Database, schema: string, migrations: Migration[]): Promise<MigrationPlan> {
  const rows = (await database.sql.query(`SELECT version, name, checksum FROM ${trackingTable(schema)} ORDER BY version`)) as {
    version: string;
    name: string;
    checksum: string;
  }[];
  const applied = new Map(rows.map((r) => [r.version, r]));
  for (const m of migrations) {
    const row = applied.get(m.version);
    if (row && row.checksum !== m.checksum) throw new MigrationChecksumError(schema, m.version, m.name);
  }
  return { applied: rows.map((r) => r.version), pending: migrations.filter((m) => !applied.has(m.version)) };
}

/**
 * The statements that apply one migration and record it, for callers that need them inside a
 * larger transaction (tenant provisioning runs every tenant migration in its creation batch).
 */
export function migrationStatements(database: Database, schema: string, migration: Migration): Query[] {
  const { sql } = database;
  return [
    ...migration.statements.map((s) => sql.query(s)),
    sql.query(`INSERT INTO ${trackingTable(schema)} (version, name, checksum) VALUES ($1, $2, $3)`, [
      migration.version,
      migration.name,
      migration.checksum,
    ]),
  ];
}

export interface RunOptions {
  onApplied?: (schema: string, migration: Migration) => void;
  /**
   * Statements run first in every migration's transaction, e.g. `SET LOCAL search_path` or
   * `SET LOCAL ROLE` for a tenant schema.
   */
  prelude?: (database: Database, migration: Migration) => Query[];
}

export async function runMigrations(database: Database, schema: string, migrations: Migration[], options: RunOptions = {}): Promise<RunResult> {
  await ensureTrackingTable(database, schema);
  const plan = await planMigrations(database, schema, migrations);
  const applied: string[] = [];
  let appliedByOthers = 0;
  for (const migration of plan.pending) {
    try {
      await database.transaction([
        lockStatement(database, schema),
        ...(options.prelude?.(database, migration) ?? []),
        ...migrationStatements(database, schema, migration),
      ]);
    } catch (err) {
      // Another runner may have applied it between our plan and our turn (the lock is only
      // held inside each migration's transaction), so our re-run failed on what it already
      // did — with whatever error that statement gives (duplicate table, column exists, ...).
      // Postgres answered, so ask it: if the migration is now recorded (with the same
      // checksum, or planMigrations throws), it is done.
      if (sqlState(err)) {
        const again = await planMigrations(database, schema, [migration]);
        if (again.pending.length === 0) {
          appliedByOthers += 1;
          continue;
        }
      }
      throw new MigrationFailedError(schema, migration, err);
    }
    applied.push(migration.version);
    options.onApplied?.(schema, migration);
  }
  return { schema, applied, alreadyApplied: plan.applied.length + appliedByOthers };
}

export class MigrationFailedError extends Error {
  constructor(readonly schema: string, readonly migration: Migration, cause: unknown) {
    super(`migration ${migration.version}_${migration.name}.sql failed on schema "${schema}": ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'MigrationFailedError';
  }
}
