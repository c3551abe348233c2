import { and, asc, desc, eq, ilike, isNull, or, sql as dsql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client';
import { tenants, tenantUsage } from '../db/schema';
import { decodeOffsetCursor, encodeCursor } from '../http/cursor';
import { effectivePlan, snapshotFromRow, tenantEntitlements } from '../tenancy/snapshot';
import { periodSchema, usagePeriod } from './period';
import { exceededLimits, limitUses, type UsageFigures } from './report';
import { containsPattern } from '../db/like';
import { isUuid } from '../http/ids';

/**
 * GET /api/admin/usage: every live tenant's recorded month, for billing and abuse checks,
 * sorted by any figure. The figures are the stored rows (the TenantGate's alarm keeps them
 * within a minute of the traffic, the daily job covers quiet tenants); tenants without a row
 * show zeros, with storage carried from their latest earlier month.
 */
export const SORT_KEYS = ['apiCalls', 'storageBytes', 'messages', 'usersTotal', 'usersActive', 'channels', 'files', 'createdAt', 'slug'] as const;

export const adminUsageQuery = z.object({
  period: periodSchema.optional(),
  sort: z.enum(SORT_KEYS).default('apiCalls'),
  order: z.enum(['asc', 'desc']).default('desc'),
  plan: z.enum(['free', 'pro', 'enterprise', 'custom']).optional(),
  status: z.enum(['pending', 'trial', 'active', 'suspended', 'cancelled']).optional(),
  /** Part of the slug or name. */
  search: z.string().trim().min(1).max(100).optional(),
  /** One workspace (the operator console's page of a tenant). */
  tenantId: z.string().refine(isUuid, 'must be a workspace id (a UUID)').optional(),
  /** Only tenants past at least one of their caps. */
  overLimit: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export type AdminUsageQuery = z.output<typeof adminUsageQuery>;

export async function adminUsage(database: Database, q: AdminUsageQuery, now = new Date()) {
  const period = q.period ?? usagePeriod(now);
  const offset = q.cursor ? decodeOffsetCursor(q.cursor) : 0;
  const carried = (column: 'storage_bytes' | 'files') =>
    dsql<number>`coalesce(${dsql.raw(`u.${column}`)}, (SELECT l.${dsql.raw(column)} FROM public.tenant_usage l WHERE l.tenant_id = ${tenants.id} AND l.period < ${period} ORDER BY l.period DESC LIMIT 1), 0)`.mapWith(Number);
  const n = (column: SQL) => dsql<number>`coalesce(${column}, 0)`.mapWith(Number);
  const u = tenantUsage;
  const columns = {
    apiCalls: n(dsql`u.api_calls`),
    storageBytes: carried('storage_bytes'),
    messages: n(dsql`u.messages`),
    usersTotal: n(dsql`u.users_total`),
    usersActive: n(dsql`u.users_active`),
    channels: n(dsql`u.channels`),
    files: carried('files'),
  };
  const sortExpr: SQL = q.sort === 'createdAt' ? dsql`${tenants.createdAt}` : q.sort === 'slug' ? dsql`${tenants.slug}` : columns[q.sort];
  const where: SQL[] = [isNull(tenants.deletedAt)];
  if (q.plan) where.push(eq(tenants.billingPlan, q.plan));
  if (q.status) where.push(eq(tenants.status, q.status));
  if (q.tenantId) where.push(eq(tenants.id, q.tenantId));
  if (q.search) {
    const pattern = containsPattern(q.search);
    where.push(or(ilike(tenants.slug, pattern), ilike(tenants.name, pattern))!);
  }
  const query = database.db
    .select({
      tenant: tenants,
      ...columns,
      apiCallsByRoute: dsql<Record<string, number> | null>`u.api_calls_by_endpoint`,
      updatedAt: dsql<string | null>`u.updated_at`,
    })
    .from(tenants)
    .leftJoin(dsql`${u} AS u`, and(dsql`u.tenant_id = ${tenants.id}`, dsql`u.period = ${period}`))
    .where(and(...where))
    .orderBy(q.order === 'asc' ? asc(sortExpr) : desc(sortExpr), asc(tenants.id));
  // Without the over-limit filter the page is cut in SQL (one more row tells if there is a next).
  const paged = q.overLimit === undefined;
  const rows = paged ? await query.limit(q.limit + 1).offset(offset) : await query;

  const all = rows.map((r) => {
    const snapshot = snapshotFromRow(r.tenant);
    const { limits } = tenantEntitlements(snapshot, now.getTime());
    const usage: UsageFigures = {
      usersTotal: r.usersTotal,
      usersActive: r.usersActive,
      // Not recorded per month: the seats they hold are counted when they are issued.
      invitationsPending: 0,
      channels: r.channels,
      messages: r.messages,
      storageBytes: r.storageBytes,
      files: r.files,
      apiCalls: r.apiCalls,
      apiCallsByRoute: typeof r.apiCallsByRoute === 'string' ? (JSON.parse(r.apiCallsByRoute) as Record<string, number>) : (r.apiCallsByRoute ?? {}),
    };
    const uses = limitUses(usage, limits);
    return {
      tenant: { id: r.tenant.id, slug: r.tenant.slug, name: r.tenant.name, status: r.tenant.status, plan: effectivePlan(snapshot, now.getTime()), billingPlan: r.tenant.billingPlan, createdAt: r.tenant.createdAt.toISOString() },
      usage,
      limits: uses,
      exceeded: exceededLimits(uses),
      recordedAt: r.updatedAt ? new Date(r.updatedAt).toISOString() : null,
    };
  });
  // The over-limit filter depends on each tenant's effective plan (trials, overrides): applied
  // here, before the page is cut, so pages stay consistent.
  const matching = paged ? all : all.filter((t) => (t.exceeded.length > 0) === q.overLimit);
  const page = paged ? matching.slice(0, q.limit) : matching.slice(offset, offset + q.limit);
  const more = paged ? all.length > q.limit : offset + q.limit < matching.length;
  return { period, sort: q.sort, order: q.order, tenants: page, nextCursor: more ? encodeCursor({ o: offset + q.limit }) : null };
}
