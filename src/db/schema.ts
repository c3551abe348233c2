import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Drizzle table definitions for the public schema. The SQL in migrations/ is the source of
 * truth for the database; these definitions describe it for typed queries.
 */
export const schemaMigrations = pgTable('schema_migrations', {
  version: text('version').primaryKey(),
  name: text('name').notNull(),
  checksum: text('checksum').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
});
