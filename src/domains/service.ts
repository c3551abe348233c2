import { and, asc, count, desc, eq, ilike, isNotNull, lte, sql as dsql, type SQL } from 'drizzle-orm';
import type { Acting } from '../tenancy/service';
import { findTenant, writeTenant, type TenantServiceDeps } from '../tenancy/service';
import { asNeonQuery, type Database, type Query } from '../db/client';
import { containsPattern } from '../db/like';
import { decodeCursor, pageOf } from '../http/cursor';
import { sqlState } from '../db/errors';
import { tenantDomains, tenants, type TenantDomainRow, type TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { capExceeded, type Cap } from '../tenancy/entitlements';
import { auditInsert, SYSTEM_CONTEXT, type AuditEntry } from '../audit/audit';
import { HostnameInZone, type CustomHostnames, type HostnameState } from './cloudflare';
import { dnsRecordsFor, verdictOf } from './records';

/**
 * Custom domains, one use case each: add, refresh (the owner's button and the scheduled
 * handler), remove, and the purge's clean-up. Cloudflare is asked first; the database records
 * what it said, with the audit row in the same transaction. A change to which hosts serve the
 * workspace is a tenant write (tenants.custom_domains, version + 1), published to the TenantGate
 * and the host cache like any other, so a host stops serving on the very next request.
 */
export interface DomainDeps extends TenantServiceDeps {
  cloudflare: CustomHostnames;
  /** The CNAME target customers point at (CUSTOM_DOMAIN_TARGET). */
  target: string;
}

/** How long verification may take before the scheduled handler gives up (docs: README, Custom domains). */
export const VERIFICATION_GIVE_UP_MS = 7 * 86_400_000;
/** Pending domains are asked about after 1, 2, 4, ... minutes, at most every 6 hours. */
const FIRST_CHECK_MS = 60_000;
const MAX_CHECK_INTERVAL_MS = 6 * 3_600_000;
/** Active domains are re-checked hourly: Cloudflare may report one moved or blocked. */
const ACTIVE_CHECK_INTERVAL_MS = 3_600_000;

export function nextCheckAfter(status: TenantDomainRow['status'], checkCount: number, now: number): Date | null {
  if (status === 'active') return new Date(now + ACTIVE_CHECK_INTERVAL_MS);
  if (status !== 'pending') return null;
  return new Date(now + Math.min(FIRST_CHECK_MS * 2 ** Math.min(checkCount, 20), MAX_CHECK_INTERVAL_MS));
}

export async function listDomains(deps: Pick<DomainDeps, 'database'>, tenantId: string): Promise<TenantDomainRow[]> {
  return deps.database.db.select().from(tenantDomains).where(eq(tenantDomains.tenantId, tenantId)).orderBy(asc(tenantDomains.createdAt), asc(tenantDomains.id));
}

async function findDomain(deps: Pick<DomainDeps, 'database'>, tenantId: string, id: string): Promise<TenantDomainRow> {
  const [row] = await deps.database.db.select().from(tenantDomains).where(and(eq(tenantDomains.id, id), eq(tenantDomains.tenantId, tenantId))).limit(1);
  if (!row) throw new DomainError('domain_not_found', 'No such domain in this workspace.');
  return row;
}

async function tenantRow(deps: DomainDeps, tenantId: string): Promise<TenantRow> {
  const row = await findTenant(deps.database, tenantId);
  if (!row) throw new DomainError('tenant_not_found', 'The workspace no longer exists.');
  return row;
}

function audit(tenantId: string, acting: Acting, action: string, domain: Pick<TenantDomainRow, 'id' | 'hostname'>, oldValues: Record<string, unknown> | null, newValues: Record<string, unknown> | null): AuditEntry {
  return { tenantId, actor: acting.actor, action, resourceType: 'domain', resourceId: domain.id, oldValues: oldValues ? { hostname: domain.hostname, ...oldValues } : null, newValues: newValues ? { hostname: domain.hostname, ...newValues } : null, context: acting.context };
}

/** Cloudflare's state as the row's columns. */
function stateColumns(state: HostnameState, target: string) {
  return {
    cloudflareHostnameId: state.id,
    cloudflareStatus: state.status,
    sslStatus: state.sslStatus,
    verificationErrors: state.errors,
    dnsRecords: dnsRecordsFor(state, target),
  };
}

/**
 * POST /api/tenant/domains. The hostname is checked (src/domains/hostname.ts) and not yet
 * anyone's here; the plan's cap holds (counted under the tenant's version lock, so two adds at
 * once cannot both pass it). Cloudflare creates the custom hostname; if recording it fails, it
 * is removed from Cloudflare again.
 */
export async function addDomain(deps: DomainDeps, tenantId: string, hostname: string, cap: Cap, acting: Acting, now = Date.now()): Promise<TenantDomainRow> {
  const before = await tenantRow(deps, tenantId);
  const [taken] = await deps.database.db.select({ tenantId: tenantDomains.tenantId, id: tenantDomains.id }).from(tenantDomains).where(eq(tenantDomains.hostname, hostname)).limit(1);
  if (taken && taken.tenantId !== tenantId) throw new DomainError('domain_taken', `${hostname} is already used by another workspace.`, { hostname });
  if (taken) throw new DomainError('conflict', `${hostname} is already added to this workspace.`, { domainId: taken.id });
  const [{ n } = { n: 0 }] = await deps.database.db.select({ n: count() }).from(tenantDomains).where(eq(tenantDomains.tenantId, tenantId));
  if (cap.limit !== null && n >= cap.limit) throw capExceeded(cap, n);

  let state: HostnameState;
  try {
    state = await deps.cloudflare.create(hostname, tenantId);
  } catch (err) {
    // Already in our zone but nobody's here (a removal whose Cloudflare delete was lost, or a
    // crash between the two steps): it is taken over. The database said nobody has it.
    if (!(err instanceof HostnameInZone)) throw err;
    // Cloudflare has it, but not in this zone (another account's SaaS zone): not ours to give.
    if (!err.existing) throw new DomainError('domain_taken', `${hostname} is registered with Cloudflare elsewhere; it must be removed there first.`, { hostname });
    state = await deps.cloudflare.claim(err.existing.id, tenantId);
  }
  const id = crypto.randomUUID();
  const verdict = verdictOf(state);
  // A hostname Cloudflare already has as active (taken over) still starts pending: it serves only
  // once a refresh has recorded it through the one activation path.
  const row = {
    id,
    tenantId,
    hostname,
    status: 'pending' as const,
    verification: {},
    ...stateColumns(state, deps.target),
    failureReason: verdict.status === 'failed' ? verdict.failureReason : null,
    checkedAt: new Date(now),
    nextCheckAt: new Date(now + FIRST_CHECK_MS),
    checkCount: 0,
  };
  try {
    await writeTenant(deps, before, [asNeonQuery(deps.database, deps.database.db.insert(tenantDomains).values(row))], [audit(tenantId, acting, 'domain.added', row, null, { status: 'pending' })]);
  } catch (err) {
    await deps.cloudflare.remove(state.id).catch(() => undefined);
    if (sqlState(err) === '23505') throw new DomainError('domain_taken', `${hostname} is already used by another workspace.`, { hostname });
    throw err;
  }
  return findDomain(deps, tenantId, id);
}

/**
 * Asks Cloudflare about one domain and records the answer: POST /api/tenant/domains/:id/refresh
 * and the scheduled handler. Becoming active, or ceasing to be, changes which hosts serve the
 * workspace (a tenant write, published); a host that stops serving is dropped from the cache.
 */
export async function refreshDomain(deps: DomainDeps, tenantId: string, domainId: string, acting: Acting, now = Date.now()): Promise<TenantDomainRow> {
  const domain = await findDomain(deps, tenantId, domainId);
  const state = domain.cloudflareHostnameId ? await deps.cloudflare.get(domain.cloudflareHostnameId) : await deps.cloudflare.findByHostname(domain.hostname);
  let verdict = verdictOf(state);
  // Pending for too long: the scheduled handler stops asking (the owner may still refresh).
  if (verdict.status === 'pending' && now - domain.createdAt.getTime() > VERIFICATION_GIVE_UP_MS && acting.actor.type === 'system') {
    verdict = { status: 'failed', failureReason: `Verification did not complete within ${VERIFICATION_GIVE_UP_MS / 86_400_000} days. Check the DNS records, then refresh.` };
  }
  const checkCount = domain.checkCount + 1;
  const update = {
    ...(state ? stateColumns(state, deps.target) : { cloudflareStatus: 'deleted', sslStatus: null }),
    status: verdict.status,
    failureReason: verdict.failureReason,
    checkedAt: new Date(now),
    nextCheckAt: nextCheckAfter(verdict.status, checkCount, now),
    checkCount,
    updatedAt: new Date(now),
    ...(verdict.status === 'active' && !domain.verifiedAt ? { verifiedAt: new Date(now) } : {}),
  };
  const change = asNeonQuery(deps.database, deps.database.db.update(tenantDomains).set(update).where(eq(tenantDomains.id, domain.id)));
  const wasServing = domain.status === 'active';
  const serves = verdict.status === 'active';
  const statusChanged = verdict.status !== domain.status;
  const entry = audit(tenantId, acting, serves ? 'domain.activated' : verdict.status === 'failed' ? 'domain.failed' : 'domain.status_changed', domain, { status: domain.status }, { status: verdict.status, ...(verdict.failureReason ? { reason: verdict.failureReason } : {}), cloudflareStatus: state?.status ?? 'deleted' });

  if (wasServing !== serves) {
    const before = await tenantRow(deps, tenantId);
    const hostList = serves
      ? dsql`array_append(array_remove(${tenants.customDomains}, ${domain.hostname}), ${domain.hostname})`
      : dsql`array_remove(${tenants.customDomains}, ${domain.hostname})`;
    const routing = asNeonQuery(deps.database, deps.database.db.update(tenants).set({ customDomains: hostList }).where(eq(tenants.id, tenantId)));
    // writeTenant publishes the new host list: a host that stopped serving is cleared from the cache.
    await writeTenant(deps, before, [change, routing], [entry]);
  } else if (statusChanged) {
    await deps.database.transaction([change, asNeonQuery(deps.database, auditInsert(deps.database.db, entry))]);
  } else {
    await deps.database.transaction([change]);
  }
  return findDomain(deps, tenantId, domain.id);
}

/**
 * DELETE /api/tenant/domains/:id. Cloudflare first (if it cannot be reached, nothing changes
 * and the owner tries again), then the row, the host list and the audit row; the host answers
 * 404 tenant_not_found from the next request on.
 */
export async function removeDomain(deps: DomainDeps, tenantId: string, domainId: string, acting: Acting): Promise<TenantDomainRow> {
  const domain = await findDomain(deps, tenantId, domainId);
  if (domain.cloudflareHostnameId) await deps.cloudflare.remove(domain.cloudflareHostnameId);
  const before = await tenantRow(deps, tenantId);
  const queries: Query[] = [
    asNeonQuery(deps.database, deps.database.db.delete(tenantDomains).where(eq(tenantDomains.id, domain.id))),
    asNeonQuery(deps.database, deps.database.db.update(tenants).set({ customDomains: dsql`array_remove(${tenants.customDomains}, ${domain.hostname})` }).where(eq(tenants.id, tenantId))),
  ];
  await writeTenant(deps, before, queries, [audit(tenantId, acting, 'domain.removed', domain, { status: domain.status }, null)]);
  return domain;
}

/** Before a purge: the tenant's hostnames leave Cloudflare (a failure stops the purge; the cron retries). */
export async function removeTenantHostnames(deps: Pick<DomainDeps, 'database' | 'cloudflare'>, tenantId: string): Promise<number> {
  const rows = await listDomains(deps, tenantId);
  for (const r of rows) if (r.cloudflareHostnameId) await deps.cloudflare.remove(r.cloudflareHostnameId);
  return rows.length;
}

/**
 * The scheduled handler: asks Cloudflare about every domain due a check (pending ones with
 * backoff, active ones hourly), oldest due first, at most `batch` a run. One domain's failure is
 * reported and does not stop the others.
 */
export async function pollDueDomains(deps: DomainDeps, now = Date.now(), batch = 50): Promise<{ checked: number; failed: { id: string; error: string }[] }> {
  const due = await deps.database.db
    .select({ id: tenantDomains.id, tenantId: tenantDomains.tenantId })
    .from(tenantDomains)
    .where(and(isNotNull(tenantDomains.nextCheckAt), lte(tenantDomains.nextCheckAt, new Date(now))))
    .orderBy(asc(tenantDomains.nextCheckAt))
    .limit(batch);
  const failed: { id: string; error: string }[] = [];
  let checked = 0;
  for (const d of due) {
    try {
      await refreshDomain(deps, d.tenantId, d.id, { actor: { type: 'system' }, context: SYSTEM_CONTEXT }, now);
      checked++;
    } catch (err) {
      failed.push({ id: d.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { checked, failed };
}

/** The API's view of a domain: what the customer must do and where it stands. */
export function domainView(row: TenantDomainRow) {
  return {
    id: row.id,
    hostname: row.hostname,
    status: row.status,
    serving: row.status === 'active',
    cloudflareStatus: row.cloudflareStatus,
    sslStatus: row.sslStatus,
    verificationErrors: row.verificationErrors,
    failureReason: row.failureReason,
    dnsRecords: row.dnsRecords,
    createdAt: row.createdAt.toISOString(),
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    checkedAt: row.checkedAt?.toISOString() ?? null,
    nextCheckAt: row.nextCheckAt?.toISOString() ?? null,
  };
}

export interface DomainListQuery {
  status?: TenantDomainRow['status'];
  tenantId?: string;
  /** Part of the hostname. */
  search?: string;
  limit: number;
  cursor?: string;
}

/**
 * The operator's view: every workspace's domains with their status, newest first, paged by a
 * (created_at, id) cursor, each with its workspace's slug.
 */
export async function listAllDomains(database: Database, q: DomainListQuery): Promise<{ domains: (TenantDomainRow & { tenantSlug: string })[]; nextCursor: string | null }> {
  const where: SQL[] = [];
  if (q.status) where.push(eq(tenantDomains.status, q.status));
  if (q.tenantId) where.push(eq(tenantDomains.tenantId, q.tenantId));
  if (q.search) where.push(ilike(tenantDomains.hostname, containsPattern(q.search)));
  // Compared at millisecond precision, the precision the cursor carries.
  const createdMs = dsql`date_trunc('milliseconds', ${tenantDomains.createdAt})`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(dsql`(${createdMs}, ${tenantDomains.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await database.db
    .select({ domain: tenantDomains, tenantSlug: tenants.slug })
    .from(tenantDomains)
    .innerJoin(tenants, eq(tenants.id, tenantDomains.tenantId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(createdMs), desc(tenantDomains.id))
    .limit(q.limit + 1);
  const page = pageOf(rows, q.limit, (last) => ({ t: last.domain.createdAt.toISOString(), id: last.domain.id }));
  return { domains: page.items.map((r) => ({ ...r.domain, tenantSlug: r.tenantSlug })), nextCursor: page.nextCursor };
}
