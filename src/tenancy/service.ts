import { and, desc, eq, ilike, lte, or, sql as dsql, type SQL } from 'drizzle-orm';
import { auditInsert, changes, type Actor, type AuditEntry, type RequestContext } from '../audit/audit';
import { asNeonQuery, type Database, type Query } from '../db/client';
import { sqlState } from '../db/errors';
import { platformAuditLogs, tenantSettings, tenants, type TenantRow, type TenantSettingsRow } from '../db/schema';
import { decodeCursor, pageOf } from '../http/cursor';
import { DomainError } from '../domain/errors';
import { TenantDirectory } from './directory';
import { dropStatements } from './schema-ops';
import { snapshotFromRow, type TenantSnapshot } from './snapshot';
import { deleteTenantFiles } from '../attachments/cleanup';
import type { SettingsPatch, UpdateTenantInput } from './validation';
import { requireBrandingChangeAllowed, sameBranding } from './branding';
import { suspendedError } from './suspension';
import type { Branding } from '../db/schema';
import { containsPattern } from '../db/like';

/**
 * Tenant management: one function per use case, taking the acting party explicitly. Each
 * validates, writes the change and its audit row in one transaction (guarded by the tenant's
 * version, so two concurrent edits cannot silently overwrite each other), and only after the
 * commit publishes the new snapshot to the host cache.
 */
export interface TenantServiceDeps {
  database: Database;
  directory: TenantDirectory;
  baseDomain: string;
  /** Uploaded files (R2); a purge deletes the tenant's. */
  files: R2Bucket;
  /** Tells the tenant's TenantGate about a committed change (absent where there is no gate, e.g. the CLI). */
  pushToGate?: (snapshot: TenantSnapshot) => Promise<void>;
  /**
   * Ends the tenant's paid subscription when the workspace is deleted ('period_end' when its
   * deletion is scheduled, 'now' before a purge). Absent where there is no billing (the CLI).
   */
  endSubscription?: (row: TenantRow, when: 'period_end' | 'now') => Promise<unknown>;
  /** Before a purge: removes the tenant's custom hostnames from Cloudflare. Absent where Cloudflare is not reached (the CLI). */
  removeHostnames?: (row: TenantRow) => Promise<unknown>;
}

export interface Acting {
  actor: Actor;
  context: RequestContext;
}

export async function findTenant(database: Database, id: string): Promise<TenantRow | null> {
  const [row] = await database.db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return row ?? null;
}

export async function findTenantBy(database: Database, by: { slug: string } | { domain: string }): Promise<TenantRow | null> {
  if ('slug' in by) {
    const [row] = await database.db.select().from(tenants).where(eq(tenants.slug, by.slug)).limit(1);
    return row ?? null;
  }
  const [row] = await database.db.execute<{ id: string }>(
    dsql`SELECT t.id FROM public.tenant_domains d JOIN public.tenants t ON t.id = d.tenant_id WHERE d.hostname = ${by.domain} AND d.status = 'active' LIMIT 1`,
  ).then((r) => r.rows);
  return row ? findTenant(database, row.id) : null;
}

export async function loadSettings(database: Database, tenantId: string): Promise<TenantSettingsRow | null> {
  const [row] = await database.db.select().from(tenantSettings).where(eq(tenantSettings.tenantId, tenantId)).limit(1);
  return row ?? null;
}

/**
 * Runs a tenant write: lock at the version read, the change, its audit rows. Returns the new row.
 * Exported for billing (src/billing/tenant-billing.ts), whose writes follow the same shape.
 */
export async function writeTenant(deps: TenantServiceDeps, before: TenantRow, change: Query[], audits: AuditEntry[]): Promise<TenantRow> {
  const { database } = deps;
  try {
    await database.transaction([
      database.sql`SELECT public.nchat_lock_tenant(${before.id}, ${before.version})`,
      ...change,
      database.sql`UPDATE public.tenants SET version = version + 1, updated_at = now() WHERE id = ${before.id}`,
      ...audits.map((a) => asNeonQuery(database, auditInsert(database.db, a))),
    ]);
  } catch (err) {
    if (sqlState(err) === 'NC409') throw new DomainError('conflict', 'The workspace was changed by someone else meanwhile. Reload and try again.');
    throw err;
  }
  const after = await findTenant(database, before.id);
  if (!after) throw new DomainError('not_found', 'The workspace no longer exists.');
  await publish(deps, after, before);
  return after;
}

/** The committed `row` to the TenantGate and the host cache; hosts `before` had and `row` has not are cleared. */
export async function publish(deps: TenantServiceDeps, row: TenantRow, before?: TenantRow): Promise<void> {
  const previous = before ? TenantDirectory.hostsOf(before, deps.baseDomain) : null;
  const previousHosts = previous ? [previous.slugHost, ...previous.domains] : [];
  // The gate first: it is what makes a suspension or plan change apply everywhere at once.
  // Each is tried twice: the change is committed, and a cache that misses it stays stale until
  // the next write (both ignore a snapshot older than the one they hold, so repeating is safe).
  await twice(() => deps.pushToGate?.(snapshotFromRow(row)));
  await twice(() => deps.directory.publish(row, previousHosts));
}

async function twice(work: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await work();
  } catch {
    await work();
  }
}

function settingsChange(deps: TenantServiceDeps, tenantId: string, patch: SettingsPatch, updatedAt: Date): Query {
  return asNeonQuery(deps.database, deps.database.db.update(tenantSettings).set({ ...patch, updatedAt }).where(eq(tenantSettings.tenantId, tenantId)));
}

/** A change to a tenant: the update routes' input, with the branding the tenant is to have (resolved by the route: replaced or merged). */
export type TenantChange = Omit<UpdateTenantInput, 'branding'> & { branding?: Branding };

/**
 * PUT /api/tenants/:id (platform host), PATCH /api/tenant and PUT /api/tenant/settings (the
 * workspace's host). `patch` has been checked against what the actor may change (owners and
 * admins of the workspace: name, branding, settings; platform admins: everything); the rules
 * that hold whoever acts and whatever the entry point are here: a cancelled workspace is not
 * changed; a suspended one is changed by a platform admin only (who suspends it and lifts the
 * suspension) — its owners and admins change nothing, not even what a billing suspension leaves
 * them to read, until it is lifted; and branding needs the plan's feature
 * (requireBrandingChangeAllowed). All of it is written in one transaction, or nothing is.
 */
/** What a change leaves: the tenant's row and its settings (null only for a tenant that has none). */
export interface TenantUpdate {
  tenant: TenantRow;
  settings: TenantSettingsRow | null;
}

export async function updateTenant(deps: TenantServiceDeps, before: TenantRow, patch: TenantChange, acting: Acting): Promise<TenantUpdate> {
  if (before.status === 'cancelled') throw new DomainError('conflict', 'The workspace is cancelled; restore it before changing it.');
  if (before.status === 'suspended' && acting.actor.type !== 'platform_admin') throw suspendedError(before);
  // The branding it already has (in another key order, say) is no change.
  const branding = patch.branding && !sameBranding(patch.branding, before.branding) ? patch.branding : undefined;
  if (branding) requireBrandingChangeAllowed(before, acting.actor);
  const base = { tenantId: before.id, actor: acting.actor, resourceType: 'tenant', resourceId: before.id, context: acting.context };
  const rowPatch: Partial<TenantRow> = {
    name: patch.name,
    branding,
    billingPlan: patch.plan,
    billingInterval: patch.billingInterval,
    status: patch.status,
    trialEndsAt: patch.trialEndsAt,
    limits: patch.limits as TenantRow['limits'] | undefined,
    features: patch.features as TenantRow['features'] | undefined,
  };
  // Suspending through PUT keeps what unsuspending needs, like POST /suspend does.
  if (patch.status === 'suspended' && before.status !== 'suspended') {
    Object.assign(rowPatch, { suspendedAt: new Date(), metadata: { ...before.metadata, statusBeforeSuspension: before.status } });
  }
  if (patch.status && patch.status !== 'suspended') Object.assign(rowPatch, { suspendedAt: null, suspendedReason: null });

  const rowDiff = changes(auditable(before), auditable({ ...before, ...defined(rowPatch) }));
  const queries: Query[] = [];
  const audits: AuditEntry[] = [];
  if (rowDiff) {
    queries.push(asNeonQuery(deps.database, deps.database.db.update(tenants).set(defined(rowPatch)).where(eq(tenants.id, before.id))));
    audits.push({ ...base, action: 'tenant.updated', ...rowDiff });
    if ('billingPlan' in rowDiff.newValues) audits.push({ ...base, action: 'tenant.plan_changed', oldValues: { plan: before.billingPlan }, newValues: { plan: patch.plan } });
    if ('status' in rowDiff.newValues) {
      const action = patch.status === 'suspended' ? 'tenant.suspended' : before.status === 'suspended' ? 'tenant.unsuspended' : 'tenant.status_changed';
      audits.push({ ...base, action, oldValues: { status: before.status }, newValues: { status: patch.status } });
    }
  }
  // Read once, whether or not they change: every caller answers with them.
  let settings = await loadSettings(deps.database, before.id);
  const settingsDiff = settings && patch.settings ? changes(settingsView(settings), patch.settings) : null;
  if (settings && patch.settings && settingsDiff) {
    const updatedAt = new Date();
    queries.push(settingsChange(deps, before.id, patch.settings, updatedAt));
    audits.push({ ...base, action: 'tenant.settings_updated', resourceType: 'tenant_settings', ...settingsDiff });
    settings = { ...settings, ...patch.settings, updatedAt };
  }
  if (!queries.length) return { tenant: before, settings };
  return { tenant: await writeTenant(deps, before, queries, audits), settings };
}

export async function suspendTenant(deps: TenantServiceDeps, before: TenantRow, reason: string | undefined, acting: Acting): Promise<TenantRow> {
  if (before.status === 'suspended') return before;
  if (before.status === 'cancelled') throw new DomainError('conflict', 'A cancelled workspace cannot be suspended; restore it first.');
  const change = asNeonQuery(
    deps.database,
    deps.database.db
      .update(tenants)
      .set({ status: 'suspended', suspendedAt: new Date(), suspendedReason: reason ?? null, metadata: { ...before.metadata, statusBeforeSuspension: before.status } })
      .where(eq(tenants.id, before.id)),
  );
  return writeTenant(deps, before, [change], [
    { tenantId: before.id, actor: acting.actor, action: 'tenant.suspended', resourceType: 'tenant', resourceId: before.id, oldValues: { status: before.status }, newValues: { status: 'suspended', reason: reason ?? null }, context: acting.context },
  ]);
}

export async function unsuspendTenant(deps: TenantServiceDeps, before: TenantRow, acting: Acting): Promise<TenantRow> {
  if (before.status !== 'suspended') throw new DomainError('conflict', 'The workspace is not suspended.');
  const restored = before.metadata.statusBeforeSuspension === 'trial' ? 'trial' : 'active';
  const { statusBeforeSuspension: _drop, ...metadata } = before.metadata;
  const change = asNeonQuery(deps.database, deps.database.db.update(tenants).set({ status: restored, suspendedAt: null, suspendedReason: null, metadata }).where(eq(tenants.id, before.id)));
  return writeTenant(deps, before, [change], [
    { tenantId: before.id, actor: acting.actor, action: 'tenant.unsuspended', resourceType: 'tenant', resourceId: before.id, oldValues: { status: 'suspended' }, newValues: { status: restored }, context: acting.context },
  ]);
}

/** DELETE /api/tenants/:id: cancel now, delete for good after the grace period (unless restored). */
export async function scheduleTenantDeletion(deps: TenantServiceDeps, before: TenantRow, graceDays: number, acting: Acting): Promise<TenantRow> {
  if (before.status === 'cancelled') return before;
  // First, so that a workspace is never left deleted but still billed (a failure refuses the deletion).
  await deps.endSubscription?.(before, 'period_end');
  const now = new Date();
  const deletionAt = new Date(now.getTime() + graceDays * 86_400_000);
  const change = asNeonQuery(
    deps.database,
    deps.database.db
      .update(tenants)
      .set({ status: 'cancelled', cancelledAt: now, deletionScheduledAt: deletionAt, metadata: { ...before.metadata, statusBeforeCancel: before.status } })
      .where(eq(tenants.id, before.id)),
  );
  return writeTenant(deps, before, [change], [
    {
      tenantId: before.id, actor: acting.actor, action: 'tenant.deletion_scheduled', resourceType: 'tenant', resourceId: before.id,
      oldValues: { status: before.status }, newValues: { status: 'cancelled', deletionScheduledAt: deletionAt.toISOString() }, context: acting.context,
    },
  ]);
}

export async function restoreTenant(deps: TenantServiceDeps, before: TenantRow, acting: Acting): Promise<TenantRow> {
  if (before.status !== 'cancelled' || !before.deletionScheduledAt) throw new DomainError('conflict', 'Only a workspace awaiting deletion can be restored.');
  const previous = before.metadata.statusBeforeCancel;
  const status = previous === 'trial' || previous === 'suspended' ? previous : 'active';
  const { statusBeforeCancel: _drop, ...metadata } = before.metadata;
  const change = asNeonQuery(deps.database, deps.database.db.update(tenants).set({ status, cancelledAt: null, deletionScheduledAt: null, metadata }).where(eq(tenants.id, before.id)));
  return writeTenant(deps, before, [change], [
    { tenantId: before.id, actor: acting.actor, action: 'tenant.restored', resourceType: 'tenant', resourceId: before.id, oldValues: { status: 'cancelled' }, newValues: { status }, context: acting.context },
  ]);
}

/**
 * Deletes a tenant for good, in one transaction: its schema (all its chat data), its role, and
 * its public rows (usage, settings, invitations, audit log, domains cascade with the tenant row).
 * What remains is a platform audit row recording the purge.
 */
export async function purgeTenant(deps: TenantServiceDeps, before: TenantRow, acting: Acting): Promise<void> {
  const { database } = deps;
  // Before anything is deleted: if Stripe cannot confirm, nothing is purged (the cron retries).
  await deps.endSubscription?.(before, 'now');
  // Likewise Cloudflare: a hostname left in the SaaS zone would keep its certificate and could
  // not be added by whoever owns the domain next.
  await deps.removeHostnames?.(before);
  const hosts = TenantDirectory.hostsOf(before, deps.baseDomain);
  try {
    await database.transaction([
      database.sql`SELECT public.nchat_lock_tenant(${before.id}, ${before.version})`,
      asNeonQuery(
        database,
        database.db.insert(platformAuditLogs).values({
          tenantId: before.id,
          tenantSlug: before.slug,
          actorType: acting.actor.type,
          actorId: acting.actor.type === 'user' ? acting.actor.id : null,
          action: 'tenant.purged',
          details: { name: before.name, schema: before.schemaName, ownerEmail: before.ownerEmail, status: before.status },
          requestId: acting.context.requestId,
        }),
      ),
      ...dropStatements(database, before.schemaName, before.roleName),
      database.sql`DELETE FROM public.tenants WHERE id = ${before.id}`,
    ]);
  } catch (err) {
    if (sqlState(err) === 'NC409') throw new DomainError('conflict', 'The workspace was changed meanwhile. Try again.');
    throw err;
  }
  await Promise.all([hosts.slugHost, ...hosts.domains].map((h) => deps.directory.forget(h)));
  // After the commit: the tenant's files (every key starts with its id).
  await deleteTenantFiles(deps.files, before.id);
}

/**
 * Cron: purge every cancelled tenant whose grace period has ended, oldest due first. One
 * tenant's failure is reported and does not stop the others; it is retried on the next run.
 */
export async function purgeDueTenants(deps: TenantServiceDeps, now = new Date()): Promise<{ purged: string[]; failed: { id: string; error: string }[] }> {
  const due = await deps.database.db
    .select()
    .from(tenants)
    .where(and(eq(tenants.status, 'cancelled'), lte(tenants.deletionScheduledAt, now)))
    .orderBy(tenants.deletionScheduledAt)
    .limit(50);
  const purged: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const row of due) {
    try {
      await purgeTenant(deps, row, { actor: { type: 'system' }, context: { ip: null, userAgent: null, requestId: null } });
      purged.push(row.id);
    } catch (err) {
      failed.push({ id: row.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { purged, failed };
}

export interface TenantPage {
  tenants: TenantRow[];
  nextCursor: string | null;
}

/** GET /api/tenants: newest first, filtered, with an opaque cursor (created_at, id). */
export async function listTenants(database: Database, q: { status?: string; plan?: string; search?: string; limit: number; cursor?: string }): Promise<TenantPage> {
  const where: SQL[] = [];
  if (q.status) where.push(eq(tenants.status, q.status as TenantRow['status']));
  if (q.plan) where.push(eq(tenants.billingPlan, q.plan as TenantRow['billingPlan']));
  if (q.search) {
    const pattern = containsPattern(q.search);
    // A custom domain in any state (an operator looks up a pending or failed one too), and the
    // serving list itself (hosts that predate tenant_domains).
    const byDomain = dsql`EXISTS (SELECT 1 FROM public.tenant_domains d WHERE d.tenant_id = ${tenants.id} AND d.hostname ILIKE ${pattern})`;
    const byServingHost = dsql`EXISTS (SELECT 1 FROM unnest(${tenants.customDomains}) AS h(hostname) WHERE h.hostname ILIKE ${pattern})`;
    where.push(or(ilike(tenants.name, pattern), ilike(tenants.slug, pattern), ilike(tenants.ownerEmail, pattern), byDomain, byServingHost)!);
  }
  // Timestamps are compared at millisecond precision, the precision the cursor carries.
  const createdMs = dsql`date_trunc('milliseconds', ${tenants.createdAt})`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(dsql`(${createdMs}, ${tenants.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await database.db
    .select()
    .from(tenants)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(createdMs), desc(tenants.id))
    .limit(q.limit + 1);
  const page = pageOf(rows, q.limit, (last) => ({ t: last.createdAt.toISOString(), id: last.id }));
  return { tenants: page.items, nextCursor: page.nextCursor };
}

/** The fields of a tenant that audit rows show (no internal names). */
function auditable(row: TenantRow): Record<string, unknown> {
  return {
    name: row.name,
    branding: row.branding,
    billingPlan: row.billingPlan,
    billingInterval: row.billingInterval,
    status: row.status,
    trialEndsAt: row.trialEndsAt?.toISOString() ?? null,
    limits: row.limits,
    features: row.features,
  };
}

export function settingsView(s: TenantSettingsRow) {
  return {
    timezone: s.timezone,
    language: s.language,
    passwordMinLength: s.passwordMinLength,
    passwordRequireMixed: s.passwordRequireMixed,
    passwordRequireDigit: s.passwordRequireDigit,
    sessionTimeoutMinutes: s.sessionTimeoutMinutes,
    messageRetentionDays: s.messageRetentionDays,
    fileRetentionDays: s.fileRetentionDays,
    auditRetentionDays: s.auditRetentionDays,
  };
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
