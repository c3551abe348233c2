import type { Database, Query } from '../db/client';
import { quoteIdent } from '../db/identifiers';
import { migrationStatements, trackingTable, trackingTableDdl } from '../db/migrations/runner';
import type { Migration } from '../db/migrations/migration';

/**
 * The statements that give a tenant its place in Postgres, for use inside one transaction:
 * a NOLOGIN role (member of nchat_tenant, which carries its rights on the public per-tenant
 * tables), a schema the platform owns, and rights for the role on that schema's tables only.
 * The platform role is granted membership of the tenant role so it may SET ROLE to it.
 */
export function roleStatements(database: Database, role: string): Query[] {
  const R = quoteIdent(role);
  return [database.sql.query(`CREATE ROLE ${R} NOLOGIN IN ROLE nchat_tenant`), database.sql.query(`GRANT ${R} TO CURRENT_USER`)];
}

/** Rights of the tenant role in its schema; ALTER DEFAULT PRIVILEGES covers tables added by later migrations. */
export function grantStatements(database: Database, schema: string, role: string, existingObjects: boolean): Query[] {
  const S = quoteIdent(schema);
  const R = quoteIdent(role);
  const q = (text: string) => database.sql.query(text);
  return [
    q(`GRANT USAGE ON SCHEMA ${S} TO ${R}`),
    q(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${R}`),
    q(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${R}`),
    ...(existingObjects
      ? [
          q(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${S} TO ${R}`),
          q(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${S} TO ${R}`),
        ]
      : []),
  ];
}

/** search_path for the rest of the transaction, so tenant migrations' unqualified names land in the schema. */
export function searchPathStatement(database: Database, schema: string): Query {
  return database.sql`SELECT set_config('search_path', ${`${quoteIdent(schema)}, public`}, true)`;
}

/**
 * The schema's migration tracking table. It is the platform's: created before the default
 * privileges (so they do not cover it), and any right the tenant role got on it is revoked.
 */
export function trackingTableStatements(database: Database, schema: string, role: string): Query[] {
  return [database.sql.query(trackingTableDdl(schema)), database.sql.query(`REVOKE ALL ON ${trackingTable(schema)} FROM ${quoteIdent(role)}`)];
}

/** Every tenant migration not yet in `appliedVersions`, each recorded in the tracking table. */
export function pendingMigrationStatements(database: Database, schema: string, migrations: Migration[], appliedVersions: string[] = []): Query[] {
  const pending = migrations.filter((m) => !appliedVersions.includes(m.version));
  return [searchPathStatement(database, schema), ...pending.flatMap((m) => migrationStatements(database, schema, m))];
}

/**
 * Removes the schema (with everything in it) and the role. Safe to run when either is already
 * gone (a purge retried after a partial manual clean-up): DROP OWNED BY has no IF EXISTS.
 */
export function dropStatements(database: Database, schema: string, role: string): Query[] {
  const q = (text: string) => database.sql.query(text);
  const roleLiteral = `'${quoteIdent(role).replace(/'/g, "''")}'`;
  return [
    q(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`),
    q(`DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${`'${role.replace(/'/g, "''")}'`}) THEN EXECUTE 'DROP OWNED BY ' || ${roleLiteral}; END IF; END $$`),
    q(`DROP ROLE IF EXISTS ${quoteIdent(role)}`),
  ];
}
