/**
 * A migration is a SQL file `NNNN_name.sql` whose statements are separated by
 * `--> statement-breakpoint` (drizzle-kit's convention). The Neon HTTP driver sends one
 * statement per query, so the file is split here, not by Postgres.
 */
export interface MigrationFile {
  /** "0001" — ordering key and primary key in schema_migrations. */
  version: string;
  name: string;
  sql: string;
}

export interface Migration extends MigrationFile {
  checksum: string;
  statements: string[];
}

export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function parseMigrationFileName(fileName: string): { version: string; name: string } | null {
  const m = FILE_NAME.exec(fileName);
  return m ? { version: m[1]!, name: m[2]! } : null;
}

/** Line endings are normalised first so a checkout with CRLF does not count as an edit. */
export function normaliseSql(sql: string): string {
  return sql.replace(/\r\n/g, '\n');
}

export function splitStatements(sql: string): string[] {
  return normaliseSql(sql)
    .split(STATEMENT_BREAKPOINT)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--[^\n]*/g, '').trim().length > 0);
}

export async function checksum(sql: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(normaliseSql(sql)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function prepareMigrations(files: MigrationFile[]): Promise<Migration[]> {
  const sorted = [...files].sort((a, b) => a.version.localeCompare(b.version));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) {
      throw new Error(`two migrations share version ${sorted[i]!.version}: ${sorted[i - 1]!.name} and ${sorted[i]!.name}`);
    }
  }
  return Promise.all(sorted.map(async (f) => ({ ...f, checksum: await checksum(f.sql), statements: splitStatements(f.sql) })));
}
