import { and, isNull, ne } from 'drizzle-orm';
import type { Database } from '../db/client';
import { tenants, type TenantRow } from '../db/schema';
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
  const result: DailyUsageResult = { recorded: 0, alerts: 0, failed: [] };
  for (let i = 0; i < rows.length; i += 10) {
    await Promise.all(
      rows.slice(i, i + 10).map(async (row) => {
        try {
          result.alerts += await recordTenantUsage(database, row, now);
          result.recorded += 1;
        } catch (err) {
          result.failed.push({ id: row.id, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }
  return result;
}

/**
 * One tenant's part of the daily job, in one transaction: the month just ended finalized, the
 * current month measured and written, its alerts logged. Returns how many alerts were logged.
 */
export async function recordTenantUsage(database: Database, row: TenantRow, now = new Date()): Promise<number> {
  const tenant = snapshotFromRow(row);
  const period = usagePeriod(now);
  const results = await database.transaction([
    finalizePeriodQuery(database, tenant.id, tenant.schemaName, previousPeriod(period)),
    ...recordUsageQueries(database, { tenantId: tenant.id, schemaName: tenant.schemaName, period, limits: tenantEntitlements(tenant, now.getTime()).limits }),
  ]);
  return Number(results.at(-1)?.[0]?.alerts ?? 0);
}
