import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { actorOf, requestContext } from '../audit/audit';
import { isSessionRevoked } from '../db/errors';
import { tenantAuditLogs, tenantSettings, type TenantRow } from '../db/schema';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { DomainError } from '../domain/errors';
import { requireFeature } from '../tenancy/entitlements';
import { directoryFor, tenantOnly } from '../tenancy/middleware';
import { decodeIdCursor, pageOf } from '../http/cursor';
import { findTenant, settingsView, updateTenant, type TenantServiceDeps } from '../tenancy/service';
import { publicTenantConfig, snapshotFromRow, tenantEntitlements } from '../tenancy/snapshot';
import { asMember, MANAGER_ROLES } from '../http/tenant-context';
import { usagePeriod } from '../usage/period';
import { exceededLimits, limitUses } from '../usage/report';
import { liveUsage } from '../usage/tenant-report';
import { auditQuery, settingsSchema, workspaceChangeSchema } from '../tenancy/validation';
import { mergeBranding } from '../tenancy/branding';
import type { TenantDb } from '../tenancy/tenant-db';
import { tenantServiceDeps } from '../deps';
import { TRIAL_DAYS } from '../tenancy/provisioning';
import { sessionBootstrap } from '../accounts/bootstrap';

/**
 * The current workspace, on its own host: its public configuration (what a UI's useTenant()
 * needs, no sign-in required; on the platform host, that there is none), and for owners and
 * admins its settings and audit log (workspace hosts only). All tenant data is read and written
 * through TenantDb, as the tenant's own database role.
 */
export const tenantRoutes = new Hono<AppEnv>();

/**
 * GET /api/tenant — what a UI needs to render this host, in one request (the web app's
 * bootstrap). On a workspace host: its public configuration, no sign-in required and no database
 * work; for a signed-in member also which caps it is past, and with `?include=session` the
 * member's own account and channels (with unread counts), read in parallel with the caps. On the
 * platform host there is no workspace: `{tenant: null, platform}` says what the platform offers.
 */
const bootstrapQuery = z.object({ include: z.enum(['session']).optional() });

tenantRoutes.get('/', async (c) => {
  const site = c.get('site');
  if (site.kind === 'platform') {
    return c.json({ tenant: null, platform: { baseDomain: c.get('config').BASE_DOMAIN, trialDays: TRIAL_DAYS } });
  }
  const tenant = c.get('tenant');
  const config = publicTenantConfig(tenant);
  const withSession = queryParams(c, bootstrapQuery).include === 'session';
  const principal = c.get('principal');
  if (principal.kind !== 'user' || principal.tenantId !== tenant.id) return c.json({ tenant: config, ...(withSession ? { session: null } : {}) });
  const { user, tdb } = asMember(c);
  // A session ended since its token was issued counts as signed out here.
  const signedOut = (err: unknown) => {
    if (isSessionRevoked(err)) return null;
    throw err;
  };
  const [live, session] = await Promise.all([
    liveUsage(tdb, usagePeriod(), { activity: false }).catch(signedOut),
    withSession ? sessionBootstrap(tdb, user).catch(signedOut) : Promise.resolve(undefined),
  ]);
  if (!live) return c.json({ tenant: config, ...(withSession ? { session: null } : {}) });
  const uses = limitUses(live.figures, tenantEntitlements(tenant).limits);
  return c.json({ tenant: { ...config, usage: uses, limitsExceeded: exceededLimits(uses) }, ...(withSession ? { session: session ?? null } : {}) });
});

/**
 * PATCH /api/tenant — the workspace's owners and admins change it from its own host: its name,
 * its branding (a merge patch: an absent key keeps its value, null removes it) and its settings,
 * all in one transaction or not at all. The use case (service.updateTenant, as for
 * PUT /api/tenants/:id) refuses a cancelled or suspended workspace (GET /api/tenant stays open
 * while it is suspended for non-payment, to show how to pay; changing it does not) and applies
 * the custom-branding rule, writes the audit rows, and publishes the tenant to its TenantGate and
 * host cache, so the next request on any of its hosts sees the change. The answer is the public
 * configuration (GET /api/tenant's), for the app to apply, and the settings.
 */
tenantRoutes.patch('/', tenantOnly(), async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const input = await jsonBody(c, workspaceChangeSchema);
  const { deps, row } = await workspaceToChange(c, tdb);
  const change = { name: input.name, settings: input.settings, branding: input.branding && mergeBranding(row.branding, input.branding) };
  const { tenant, settings } = await updateTenant(deps, row, change, { actor: actorOf(user), context: requestContext(c) });
  return c.json({ tenant: publicTenantConfig(snapshotFromRow(tenant)), settings: settings ? settingsView(settings) : null });
});

/**
 * The workspace's row, which a change from its own host is made against, and the service's
 * dependencies. The session is checked against the database (a demoted or signed-out admin's
 * token must not change the workspace), in parallel with reading the row.
 */
async function workspaceToChange(c: Context<AppEnv>, tdb: TenantDb): Promise<{ deps: TenantServiceDeps; row: TenantRow }> {
  const deps = tenantServiceDeps(c.env, c.get('config'), directoryFor(c));
  const [row] = await Promise.all([findTenant(deps.database, c.get('tenant').id), tdb.checkSession()]);
  if (!row) throw new DomainError('tenant_not_found', 'The workspace no longer exists.');
  return { deps, row };
}

tenantRoutes.get('/settings', tenantOnly(), async (c) => {
  const { tdb } = asMember(c, MANAGER_ROLES);
  // Row-level security limits the table to this tenant's row; no WHERE clause is needed, and
  // none could reach another tenant's row.
  const [row] = await tdb.run((db) => db.select().from(tenantSettings));
  if (!row) throw new DomainError('not_found', 'This workspace has no settings.');
  return c.json({ settings: settingsView(row) });
});

/**
 * PUT /api/tenant/settings — the settings part of PATCH /api/tenant, through the same use case
 * (service.updateTenant): one way settings are checked, written with their audit row and the
 * tenant's version, and published. The answer is the settings as they now are.
 */
tenantRoutes.put('/settings', tenantOnly(), async (c) => {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const patch = await jsonBody(c, settingsSchema);
  const { deps, row } = await workspaceToChange(c, tdb);
  const { settings } = await updateTenant(deps, row, { settings: patch }, { actor: actorOf(user), context: requestContext(c) });
  if (!settings) throw new DomainError('not_found', 'This workspace has no settings.');
  return c.json({ settings: settingsView(settings) });
});

tenantRoutes.get('/audit-logs', tenantOnly(), async (c) => {
  const { tdb } = asMember(c, MANAGER_ROLES);
  requireFeature(c.get('tenant'), 'auditLog');
  const q = queryParams(c, auditQuery);
  const where: SQL[] = [];
  if (q.action) where.push(eq(tenantAuditLogs.action, q.action));
  if (q.actorId) where.push(eq(tenantAuditLogs.actorId, q.actorId));
  if (q.actorType) where.push(eq(tenantAuditLogs.actorType, q.actorType));
  if (q.from) where.push(gte(tenantAuditLogs.createdAt, q.from));
  if (q.to) where.push(lte(tenantAuditLogs.createdAt, q.to));
  // Newest first by id: ids are an identity sequence, so they follow insertion order exactly
  // (timestamps can tie within a transaction, and lose microseconds in JSON).
  if (q.cursor) where.push(lt(tenantAuditLogs.id, decodeIdCursor(q.cursor)));
  const rows = await tdb.run((db) =>
    db
      .select()
      .from(tenantAuditLogs)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(tenantAuditLogs.id))
      .limit(q.limit + 1),
  );
  const page = pageOf(rows, q.limit, (last) => ({ id: last.id }));
  return c.json({
    entries: page.items.map((r) => ({
      id: r.id,
      action: r.action,
      actor: { type: r.actorType, id: r.actorId },
      resource: { type: r.resourceType, id: r.resourceId },
      oldValues: r.oldValues,
      newValues: r.newValues,
      ipAddress: r.ipAddress,
      userAgent: r.userAgent,
      requestId: r.requestId,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  });
});
