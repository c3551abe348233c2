import type { Database } from '../../src/db/client';
import { runMigrations, type RunResult } from '../../src/db/migrations/runner';
import { loadMigrations } from './migration-files';

export interface MigrateReport {
  public: RunResult;
}

/**
 * Brings the public schema up to date. (Tenant schemas join here once tenants exist.)
 * `open` gives a fresh handle per unit of work: a handle's deadline covers its own calls only.
 */
export async function migrateAll(open: () => Database, log: (line: string) => void = () => {}): Promise<MigrateReport> {
  const publicMigrations = await loadMigrations('public');
  const result = await runMigrations(open(), 'public', publicMigrations, {
    onApplied: (schema, m) => log(`  applied ${schema}: ${m.version}_${m.name}`),
  });
  log(`public schema: ${result.applied.length} applied, ${result.alreadyApplied} already up to date`);
  return { public: result };
}
