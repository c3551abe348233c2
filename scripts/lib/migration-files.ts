import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMigrationFileName, prepareMigrations, type Migration, type MigrationFile } from '../../src/db/migrations/migration';

export type MigrationScope = 'public' | 'tenant';

export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'migrations');

/** Reads migrations/<scope>/NNNN_name.sql in version order; any other .sql name is an error. */
export function readMigrationFiles(scope: MigrationScope, root = MIGRATIONS_DIR): MigrationFile[] {
  const dir = join(root, scope);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((f) => f.endsWith('.sql'))
    .map((fileName) => {
      const parsed = parseMigrationFileName(fileName);
      if (!parsed) throw new Error(`migrations/${scope}/${fileName}: name must be NNNN_lowercase_name.sql`);
      return { ...parsed, sql: readFileSync(join(dir, fileName), 'utf8') };
    });
}

export function loadMigrations(scope: MigrationScope, root?: string): Promise<Migration[]> {
  return prepareMigrations(readMigrationFiles(scope, root));
}
