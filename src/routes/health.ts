import { Hono } from 'hono';
import { count } from 'drizzle-orm';
import { openDatabase } from '../db/client';
import { nchatUsers } from '../db/schema';
import { TenantDb } from '../tenancy/tenant-db';
import { classifyDatabaseError, sqlState } from '../db/errors';
import type { AppEnv } from '../env';
import { APP_VERSION } from '../version';

/**
 * GET /api/health — liveness of the Worker and its database, for load balancers and uptime
 * checks. One query with its own short deadline (HEALTH_DB_TIMEOUT_MS): a database that does not
 * answer turns into a 503 "degraded" within that time, never a hung check.
 */
export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get('/health', async (c) => {
  const config = c.get('config');
  c.header('Cache-Control', 'no-store');
  const started = Date.now();
  const database = openDatabase(config, { timeoutMs: config.HEALTH_DB_TIMEOUT_MS });
  try {
    const rows = await database.sql`SELECT version FROM public.schema_migrations ORDER BY version DESC LIMIT 1`;
    const latencyMs = Date.now() - started;
    const db = { status: 'ok', latencyMs, schemaVersion: (rows[0]?.version as string | undefined) ?? null };
    const site = c.get('site');
    if (site.kind !== 'tenant') return c.json({ status: 'ok', version: APP_VERSION, db });
    // On a workspace host: its schema must be reachable as its own role.
    const tenantStarted = Date.now();
    try {
      await TenantDb.forSystemWork(database, site.tenant, 'health-check').run((tdb) => tdb.select({ n: count() }).from(nchatUsers));
      return c.json({ status: 'ok', version: APP_VERSION, db, tenant: { status: 'ok', slug: site.tenant.slug, latencyMs: Date.now() - tenantStarted } });
    } catch (err) {
      c.get('log').error('health_tenant_failed', { tenantId: site.tenant.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      return c.json({ status: 'degraded', version: APP_VERSION, db, tenant: { status: 'unreachable', slug: site.tenant.slug } }, 503);
    }
  } catch (err) {
    const latencyMs = Date.now() - started;
    if (sqlState(err) === '42P01') {
      // The server answered but the schema is not there: reachable, not usable.
      return c.json({ status: 'degraded', version: APP_VERSION, db: { status: 'unmigrated', latencyMs, schemaVersion: null } }, 503);
    }
    const kind = classifyDatabaseError(err);
    c.get('log').warn('health_db_failed', { kind, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), latencyMs });
    return c.json({ status: 'degraded', version: APP_VERSION, db: { status: 'unreachable', latencyMs } }, 503);
  }
});
