/**
 * npm run migrate — brings the database up to date. Idempotent: run it as often as you like.
 * See scripts/lib/database-target.ts for which database it talks to.
 */
import { openDatabaseTarget } from './lib/database-target';
import { migrateAll } from './lib/migrate-all';

const target = await openDatabaseTarget();
console.log(`nchat migrate: ${target.description}`);
try {
  await migrateAll(target.database, (line) => console.log(line));
} catch (err) {
  console.error(`\nmigration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await target.close();
}
