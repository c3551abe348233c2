import { sql as dsql } from 'drizzle-orm';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import type { Database, Drizzle } from '../db/client';
import { quoteIdent } from '../db/identifiers';
import type { TenantSnapshot } from './snapshot';

type TenantRef = Pick<TenantSnapshot, 'id' | 'schemaName' | 'roleName'>;

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
  constructor(
    private readonly database: Database,
    readonly tenant: TenantRef,
  ) {}

  private enter() {
    const { roleName, id, schemaName } = this.tenant;
    return this.database.db.execute(
      dsql`SELECT set_config('role', ${roleName}, true), set_config('app.tenant_id', ${id}, true), set_config('search_path', ${`${quoteIdent(schemaName)}, public`}, true)`,
    );
  }

  /** Runs the queries built by `build` in one transaction as the tenant; returns their results. */
  async batch<T extends readonly [BatchItem<'pg'>, ...BatchItem<'pg'>[]]>(build: (db: Drizzle) => T): Promise<BatchResponse<T>> {
    const queries = build(this.database.db);
    const results = await this.database.db.batch([this.enter(), ...queries] as unknown as [BatchItem<'pg'>, ...BatchItem<'pg'>[]]);
    return results.slice(1) as unknown as BatchResponse<T>;
  }

  /** One query in the tenant's transaction. */
  async run<T extends BatchItem<'pg'>>(build: (db: Drizzle) => T): Promise<BatchResponse<[T]>[0]> {
    const [result] = await this.batch((db) => [build(db)] as const);
    return result;
  }
}
