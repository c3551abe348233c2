import { sql as dsql } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Database, Drizzle, Query } from '../db/client';
import { quoteIdent } from '../db/identifiers';
import type { TenantSnapshot } from './snapshot';

type TenantRef = Pick<TenantSnapshot, 'id' | 'schemaName' | 'roleName'>;

// The same two statements for raw Neon transactions (drizzle builds its own below).
const ENTER_SQL = "SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true), set_config('search_path', $3, true)";
const CHECK_SQL = 'SELECT nchat_check_session($1::uuid, $2::int)';

/** The signed-in user whose session each transaction re-checks (nchat_check_session). */
export interface SessionRef {
  userId: string;
  sessionVersion: number;
}

/**
 * Work that acts for no signed-in user, and why. Anything on this list runs without a session
 * check, so it stays short: a route that acts for a user gets its handle from `asMember`.
 */
export type SystemPurpose =
  /** Sign-in and invitation acceptance: the caller has no session yet. */
  | 'sign-in'
  /** The health check's probe of the tenant's schema. */
  | 'health-check'
  /** A chat room committing messages it has admitted (each one's session is checked in the commit). */
  | 'chat-room'
  /** A person's event stream reading the channel views it sends them (their own channels only). */
  | 'person-stream'
  /** Tests and scripts setting up or inspecting data. */
  | 'tooling';

/**
 * The only way to reach a tenant's tables. Built from the resolved tenant (never from request
 * input), it runs every piece of work as one batch transaction whose first statement switches
 * to the tenant's NOLOGIN role and sets app.tenant_id and search_path for that transaction only:
 *
 *   SELECT set_config('role', 'tenant_acme', true), set_config('app.tenant_id', '<uuid>', true),
 *          set_config('search_path', '"tenant_acme", public', true)
 *
 * (set_config(..., true) is SET LOCAL.) From there Postgres enforces the isolation: another
 * tenant's schema answers `permission denied`, and row-level security hides other tenants'
 * rows in the public per-tenant tables.
 */
export class TenantDb {
  /** Every transaction of this handle checks `session` first: the handle routes act through. */
  static forSession(database: Database, tenant: TenantRef, session: SessionRef): TenantDb {
    return new TenantDb(database, tenant, session);
  }

  /** A handle without a session check, deliberately named: see SystemPurpose for who may. */
  static forSystemWork(database: Database, tenant: TenantRef, purpose: SystemPurpose): TenantDb {
    void purpose; // documents the call site; the type keeps the list closed
    return new TenantDb(database, tenant);
  }

  private constructor(
    private readonly database: Database,
    readonly tenant: TenantRef,
    /**
     * When set, every transaction also checks that this session is still valid (user active,
     * session version unchanged) and fails with SQLSTATE NC401 if not — in the same round trip.
     */
    readonly session?: SessionRef,
  ) {}

  get drizzle() {
    return this.database.db;
  }

  /** The statements every transaction starts with; their results are not returned. */
  private enter(): BatchItem<'pg'>[] {
    const { roleName, id, schemaName } = this.tenant;
    const db = this.database.db;
    const enter = db.execute(
      dsql`SELECT set_config('role', ${roleName}, true), set_config('app.tenant_id', ${id}, true), set_config('search_path', ${`${quoteIdent(schemaName)}, public`}, true)`,
    );
    if (!this.session) return [enter];
    // A statement of its own: names are resolved when a statement is parsed, so the function
    // (in the tenant schema) is found only once search_path has been set by the one before.
    return [enter, db.execute(dsql`SELECT nchat_check_session(${this.session.userId}::uuid, ${this.session.sessionVersion}::int)`)];
  }

  /** Runs the queries built by `build` in one transaction as the tenant; returns their results. */
  async batch<T extends readonly [BatchItem<'pg'>, ...BatchItem<'pg'>[]]>(build: (db: Drizzle) => T): Promise<BatchResponse<T>> {
    const prelude = this.enter();
    const queries = build(this.database.db);
    const results = await this.database.db.batch([...prelude, ...queries] as unknown as [BatchItem<'pg'>, ...BatchItem<'pg'>[]]);
    return results.slice(prelude.length) as unknown as BatchResponse<T>;
  }

  /** Only the session check (NC401 if the session has ended): one round trip, no other work. */
  async checkSession(): Promise<void> {
    await this.transaction([]);
  }

  /** The same prelude as Neon queries, for raw SQL transactions (`Database.transaction`). */
  preludeQueries(): Query[] {
    const { roleName, id, schemaName } = this.tenant;
    const { sql } = this.database;
    const enter = sql.query(ENTER_SQL, [roleName, id, `${quoteIdent(schemaName)}, public`]) as Query;
    return this.session ? [enter, sql.query(CHECK_SQL, [this.session.userId, this.session.sessionVersion]) as Query] : [enter];
  }

  /** Runs raw Neon queries in one transaction as the tenant; returns their rows. */
  async transaction(queries: Query[]): Promise<Record<string, unknown>[][]> {
    const prelude = this.preludeQueries();
    const results = await this.database.transaction([...prelude, ...queries]);
    return results.slice(prelude.length);
  }

  get sql() {
    return this.database.sql;
  }

  /** One query in the tenant's transaction. */
  async run<T extends BatchItem<'pg'>>(build: (db: Drizzle) => T): Promise<BatchResponse<[T]>[0]> {
    const [result] = await this.batch((db) => [build(db)] as const);
    return result;
  }
}
