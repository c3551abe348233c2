import type { Database } from '../../src/db/client';
import { runMigrations, type RunResult } from '../../src/db/migrations/runner';
import { migrateTenantSchemas, type TenantMigrationReport } from '../../src/tenancy/tenant-migrations';
import { loadMigrations } from './migration-files';

export interface MigrateReport {
  public: RunResult;
  tenants: TenantMigrationReport;
}

/**
 * Brings the public schema, then every tenant schema, up to date. `open` gives a fresh handle
 * per unit of work: a handle's deadline covers its own calls only.
 */
export async function migrateAll(open: () => Database, log: (line: string) => void = () => {}, concurrency = 10): Promise<MigrateReport> {
  const publicMigrations = await loadMigrations('public');
  const result = await runMigrations(open(), 'public', publicMigrations, {
    onApplied: (schema, m) => log(`  applied ${schema}: ${m.version}_${m.name}`),
  });
  log(`public schema: ${result.applied.length} applied, ${result.alreadyApplied} already up to date`);

  const tenantMigrations = await loadMigrations('tenant');
  const tenants = await migrateTenantSchemas(open, tenantMigrations, {
    concurrency,
    onProgress: (p) => log(`tenant schemas: ${p.done}/${p.total} checked, ${p.migrationsApplied} migrations applied, ${p.failed} failed`),
  });
  if (tenants.total === 0) log('tenant schemas: all up to date');
  for (const f of tenants.failures) log(`  FAILED ${f.slug}: ${f.error}`);
  if (tenants.failed > 0) throw new Error(`${tenants.failed} tenant schema(s) could not be migrated; fix the cause and run again (finished ones are kept)`);
  return { public: result, tenants };
}
