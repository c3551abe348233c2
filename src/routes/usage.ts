import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { requirePlatformAdmin } from '../auth/principal';
import { openDatabase } from '../db/client';
import type { AppEnv } from '../env';
import { queryParams } from '../http/body';
import { DomainError } from '../domain/errors';
import { asMember, MANAGER_ROLES } from '../http/tenant-context';
import { requireFeature } from '../tenancy/entitlements';
import { gateStub } from '../tenancy/gate';
import { platformOnly, tenantOnly } from '../tenancy/middleware';
import { effectivePlan, tenantEntitlements, type TenantSnapshot } from '../tenancy/snapshot';
import { adminUsage, adminUsageQuery } from '../usage/admin-report';
import { periodSchema, usagePeriod } from '../usage/period';
import { exceededLimits, limitUses } from '../usage/report';
import { liveUsage, storedHistory, storedUsage, withGateCounts, type TenantUsage } from '../usage/tenant-report';

/**
 * Usage reports. On a workspace host, for its owners and admins: a month's usage against the
 * plan (GET /api/tenant/usage) and the last 12 months (GET /api/tenant/usage/history, an
 * analytics feature). On the platform host, for operators: every tenant's month, sortable
 * (GET /api/admin/usage).
 */
export const tenantUsageRoutes = new Hono<AppEnv>();
tenantUsageRoutes.use(tenantOnly());

const HISTORY_MONTHS = 12;

tenantUsageRoutes.get('/', async (c) => {
  const { tdb } = asMember(c, MANAGER_ROLES);
  const { period: asked } = queryParams(c, z.object({ period: periodSchema.optional() }));
  const current = usagePeriod();
  const period = asked ?? current;
  if (period > current) throw new DomainError('invalid_period', `${period} has not started yet; usage is reported up to ${current}.`);
  const usage = period === current ? await withGate(c, period, await liveUsage(tdb, period)) : await storedUsage(tdb, period);
  return c.json(report(c.get('tenant'), period, period === current, usage));
});

tenantUsageRoutes.get('/history', async (c) => {
  const { tdb } = asMember(c, MANAGER_ROLES);
  const tenant = c.get('tenant');
  requireFeature(tenant, 'analytics');
  const current = usagePeriod();
  const [months, live] = await Promise.all([storedHistory(tdb, current, HISTORY_MONTHS), liveUsage(tdb, current).then((u) => withGate(c, current, u))]);
  const { limits } = tenantEntitlements(tenant);
  return c.json({
    plan: effectivePlan(tenant),
    limits,
    months: months.map((m) => (m.period === current ? { period: m.period, current: true, usage: live.figures } : { period: m.period, current: false, usage: m.figures })),
  });
});

/** The gate's API-call counts of the month, which may be newer than the last flush. */
async function withGate(c: Context<AppEnv>, period: string, usage: TenantUsage): Promise<TenantUsage> {
  try {
    const counts = await gateStub(c.env, c.get('tenant').id).counters(period);
    return { ...usage, figures: withGateCounts(usage.figures, counts) };
  } catch (err) {
    c.get('log').warn('gate_counters_unavailable', { error: err instanceof Error ? err.message : String(err) });
    return usage;
  }
}

function report(tenant: TenantSnapshot, period: string, current: boolean, usage: TenantUsage) {
  const { limits } = tenantEntitlements(tenant);
  const uses = limitUses(usage.figures, limits);
  return { period, current, measuredAt: usage.measuredAt, plan: effectivePlan(tenant), usage: usage.figures, limits: uses, exceeded: exceededLimits(uses) };
}

export const adminUsageRoutes = new Hono<AppEnv>();
adminUsageRoutes.use(platformOnly());

adminUsageRoutes.get('/', async (c) => {
  requirePlatformAdmin(c);
  const q = queryParams(c, adminUsageQuery);
  if (q.period && q.period > usagePeriod()) throw new DomainError('invalid_period', `${q.period} has not started yet.`);
  return c.json(await adminUsage(openDatabase(c.get('config')), q));
});
