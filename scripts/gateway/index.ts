import { mkdirSync } from 'node:fs';
import type { SqlBackend } from './backend';
import { PgliteBackend } from './pglite-backend';
import { PostgresBackend } from './pg-backend';

export { startGateway, type Gateway } from './server';
export type { SqlBackend } from './backend';

export interface BackendChoice {
  /** A real PostgreSQL server (postgres://...). When absent, PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; absent means in memory. */
  pgliteDir?: string;
}

/** DATABASE_URL set: the real server. Otherwise PGlite, on disk or in memory. */
export async function openBackend(choice: BackendChoice): Promise<SqlBackend> {
  if (choice.databaseUrl) return new PostgresBackend(choice.databaseUrl);
  if (choice.pgliteDir) mkdirSync(choice.pgliteDir, { recursive: true });
  return PgliteBackend.open(choice.pgliteDir);
}

export function describeBackend(choice: BackendChoice): string {
  if (choice.databaseUrl) {
    const u = new URL(choice.databaseUrl);
    return `PostgreSQL at ${u.host}${u.pathname}`;
  }
  return choice.pgliteDir ? `PGlite (embedded) in ${choice.pgliteDir}` : 'PGlite (embedded) in memory';
}
