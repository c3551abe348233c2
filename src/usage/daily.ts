import { and, isNull, ne } from 'drizzle-orm';
import type { Database } from '../db/client';
import { tenants } from '../db/schema';
import { snapshotFromRow, tenantEntitlements } from '../tenancy/snapshot';
import { previousPeriod, usagePeriod } from './period';
import { finalizePeriodQuery, recordUsageQueries } from './record';

/**
 * The daily job (cron): every live tenant's month measured and written, including tenants with
 * no API traffic (whose TenantGate never flushes) and chat over WebSockets only; the month just
 * ended gets its last days counted. Ten tenants at a time; one failing tenant does not stop
 * the others.
 */
export interface DailyUsageResult {
  recorded: number;
  alerts: number;
  failed: { id: string; error: string }[];
}

export async function recordDailyUsage(database: Database, now = new Date()): Promise<DailyUsageResult> {
  const rows = await database.db.select().from(tenants).where(and(isNull(tenants.deletedAt), ne(tenants.status, 'pending')));
  const period = usagePeriod(now);
  const previous = previousPeriod(period);
  const result: DailyUsageResult = { recorded: 0, alerts: 0, failed: [] };
  for (let i = 0; i < rows.length; i += 10) {
    await Promise.all(
      rows.slice(i, i + 10).map(async (row) => {
        const tenant = snapshotFromRow(row);
        try {
          const statements = [
            finalizePeriodQuery(database, tenant.id, tenant.schemaName, previous),
            ...recordUsageQueries(database, { tenantId: tenant.id, schemaName: tenant.schemaName, period, limits: tenantEntitlements(tenant, now.getTime()).limits }),
          ];
          const results = await database.transaction(statements);
          result.recorded += 1;
          result.alerts += Number(results.at(-1)?.[0]?.alerts ?? 0);
        } catch (err) {
          result.failed.push({ id: tenant.id, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }
  return result;
}
