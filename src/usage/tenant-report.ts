import type { Query } from '../db/client';
import type { TenantDb } from '../tenancy/tenant-db';
import { measuredFromRow, measureParams, measureSql } from './measure';
import { periodBounds, periodsEndingWith } from './period';
import { emptyFigures, figuresFromUsageRow, type UsageFigures } from './report';

/**
 * A tenant's usage read as the tenant (TenantDb: its role, its schema, row-level security on
 * public.tenant_usage). The current month is measured live from the tenant's tables — a report
 * shows what is true now, not what the last flush wrote; months that are over come from their
 * stored rows. API calls of the current month still on their way from the TenantGate are
 * merged in by the caller (`withGateCounts`).
 */

const STORED_SQL = `SELECT * FROM public.tenant_usage WHERE tenant_id = $1::uuid AND period = $2::text`;
// Storage is a running total: the latest row up to the month is what was stored then.
const STORAGE_SQL = `SELECT storage_bytes, files FROM public.tenant_usage
  WHERE tenant_id = $1::uuid AND period <= $2::text ORDER BY period DESC LIMIT 1`;

export interface TenantUsage {
  figures: UsageFigures;
  /** When the figures were taken: now for a live month, the row's last write otherwise. */
  measuredAt: string | null;
}

/**
 * The current month, live: one transaction (one round trip). `activity: false` leaves out
 * messages sent and people active (zero), for callers that need only the caps.
 */
export async function liveUsage(tdb: TenantDb, period: string, options: { activity: boolean } = { activity: true }): Promise<TenantUsage> {
  const id = tdb.tenant.id;
  const [measured, stored, storage] = await tdb.transaction([
    tdb.sql.query(measureSql(null, options), measureParams(id, periodBounds(period), options)) as Query,
    tdb.sql.query(STORED_SQL, [id, period]) as Query,
    tdb.sql.query(STORAGE_SQL, [id, period]) as Query,
  ]);
  const row = stored?.[0];
  const kept = storage?.[0];
  return {
    figures: {
      ...measuredFromRow(measured?.[0]),
      storageBytes: Number(kept?.storage_bytes ?? 0),
      files: Number(kept?.files ?? 0),
      apiCalls: Number(row?.api_calls ?? 0),
      apiCallsByRoute: figuresFromUsageRow(row).apiCallsByRoute,
    },
    measuredAt: new Date().toISOString(),
  };
}

/** A month that is over, as recorded (storage carried from the latest earlier month if it has no row). */
export async function storedUsage(tdb: TenantDb, period: string): Promise<TenantUsage> {
  const id = tdb.tenant.id;
  const [stored, storage] = await tdb.transaction([tdb.sql.query(STORED_SQL, [id, period]) as Query, tdb.sql.query(STORAGE_SQL, [id, period]) as Query]);
  const row = stored?.[0];
  const kept = storage?.[0];
  const figures = row ? figuresFromUsageRow(row) : emptyFigures();
  return {
    figures: { ...figures, storageBytes: Number(kept?.storage_bytes ?? 0), files: Number(kept?.files ?? 0) },
    measuredAt: row?.updated_at ? new Date(String(row.updated_at)).toISOString() : null,
  };
}

/** The stored rows of the `count` months ending with `last`, oldest first, gaps filled. */
export async function storedHistory(tdb: TenantDb, last: string, count: number): Promise<{ period: string; figures: UsageFigures }[]> {
  const periods = periodsEndingWith(last, count);
  const id = tdb.tenant.id;
  const [rows, before] = await tdb.transaction([
    tdb.sql.query(`SELECT * FROM public.tenant_usage WHERE tenant_id = $1::uuid AND period >= $2::text AND period <= $3::text`, [id, periods[0], last]) as Query,
    tdb.sql.query(`SELECT storage_bytes, files FROM public.tenant_usage WHERE tenant_id = $1::uuid AND period < $2::text ORDER BY period DESC LIMIT 1`, [id, periods[0]]) as Query,
  ]);
  const byPeriod = new Map((rows ?? []).map((r) => [String(r.period), r]));
  let storage = { storageBytes: Number(before?.[0]?.storage_bytes ?? 0), files: Number(before?.[0]?.files ?? 0) };
  return periods.map((period) => {
    const row = byPeriod.get(period);
    const figures = row ? figuresFromUsageRow(row) : { ...emptyFigures(), ...storage };
    storage = { storageBytes: figures.storageBytes, files: figures.files };
    return { period, figures };
  });
}

/** The TenantGate's own counts for the month are at least as new as the last flush. */
export function withGateCounts(figures: UsageFigures, gate: { total: number; byRoute: Record<string, number> } | null): UsageFigures {
  if (!gate || gate.total <= figures.apiCalls) return figures;
  return { ...figures, apiCalls: gate.total, apiCallsByRoute: gate.byRoute };
}
