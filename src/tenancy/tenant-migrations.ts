import { and, inArray, isNull, ne, or } from 'drizzle-orm';
import type { Database } from '../db/client';
import { runMigrations, type RunResult } from '../db/migrations/runner';
import type { Migration } from '../db/migrations/migration';
import { tenants } from '../db/schema';
import { searchPathStatement } from './schema-ops';

/**
 * Brings tenant schemas up to date with the tenant migrations. Each migration of each tenant is
 * its own transaction (recorded in the schema's tracking table, and in tenants.schema_version),
 * so a run that stops half-way resumes where it stopped. Tenants are taken `concurrency` at a
 * time; tenants already at the latest version cost no round trip beyond the initial listing.
 */
export interface TenantMigrationProgress {
  done: number;
  total: number;
  migrationsApplied: number;
  failed: number;
}

export interface TenantMigrationReport extends TenantMigrationProgress {
  failures: { slug: string; error: string }[];
}

export async function migrateTenantSchemas(
  open: () => Database,
  migrations: Migration[],
  options: {
    concurrency?: number;
    /** Only these tenants (by slug); default all. */
    only?: string[];
    onProgress?: (p: TenantMigrationProgress) => void;
    onApplied?: (slug: string, m: Migration) => void;
  } = {},
): Promise<TenantMigrationReport> {
  const latest = migrations.at(-1)?.version;
  const report: TenantMigrationReport = { done: 0, total: 0, migrationsApplied: 0, failed: 0, failures: [] };
  if (!latest) return report;
  const behind = await open()
    .db.select({ id: tenants.id, slug: tenants.slug, schemaName: tenants.schemaName })
    .from(tenants)
    .where(and(or(isNull(tenants.schemaVersion), ne(tenants.schemaVersion, latest)), options.only ? inArray(tenants.slug, options.only) : undefined))
    .orderBy(tenants.createdAt);
  report.total = behind.length;
  const concurrency = Math.max(1, options.concurrency ?? 10);
  for (let i = 0; i < behind.length; i += concurrency) {
    const batch = behind.slice(i, i + concurrency);
    const results = await Promise.allSettled(batch.map((t) => migrateOneTenant(open(), t, migrations, (m) => options.onApplied?.(t.slug, m))));
    results.forEach((r, j) => {
      report.done += 1;
      if (r.status === 'fulfilled') report.migrationsApplied += r.value.applied.length;
      else {
        report.failed += 1;
        report.failures.push({ slug: batch[j]!.slug, error: (r.reason as Error)?.message ?? String(r.reason) });
      }
    });
    options.onProgress?.({ done: report.done, total: report.total, migrationsApplied: report.migrationsApplied, failed: report.failed });
  }
  return report;
}

export function migrateOneTenant(
  database: Database,
  tenant: { id: string; schemaName: string },
  migrations: Migration[],
  onApplied?: (m: Migration) => void,
): Promise<RunResult> {
  return runMigrations(database, tenant.schemaName, migrations, {
    prelude: (db, m) => [searchPathStatement(db, tenant.schemaName), db.sql`UPDATE public.tenants SET schema_version = ${m.version} WHERE id = ${tenant.id}`],
    onApplied: (_schema, m) => onApplied?.(m),
  });
}
