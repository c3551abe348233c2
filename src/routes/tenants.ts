import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { actorOf, requestContext } from '../audit/audit';
import { requirePlatformAdmin } from '../auth/principal';
import { tenantServiceDeps } from '../deps';
import { signSession } from '../auth/session';
import { openDatabase } from '../db/client';
import { tenantMigrations } from '../db/migrations/bundled';
import type { TenantRow } from '../db/schema';
import type { AppEnv } from '../env';
import { jsonBody, queryParams } from '../http/body';
import { DomainError } from '../domain/errors';
import { clientIp, enforceRateLimit } from '../http/rate-limit';
import { mergeBranding } from '../tenancy/branding';
import { directoryFor, platformOnly } from '../tenancy/middleware';
import { provisionTenant } from '../tenancy/provisioning';
import * as service from '../tenancy/service';
import { publicTenantFields } from '../tenancy/snapshot';
import { ADMIN_ONLY_FIELDS, createTenantSchema, listTenantsQuery, suspendSchema, updateTenantSchema } from '../tenancy/validation';
import { adminTenantView, ownerTenantView, workspaceUrl } from '../tenancy/views';
import { normaliseHostname } from '../tenancy/host';
import { RESERVED_SLUGS, slugFormatSchema } from '../tenancy/slug';
import { z } from 'zod';
import { TenantDb } from '../tenancy/tenant-db';
import { gateStub, pushToGate } from '../tenancy/gate';
import { isUuid } from '../http/ids';

/**
 * The tenant management API, on the platform host (the seed's routes). Sign-up is public and
 * rate limited per client address; lookups by slug or domain are public but show public
 * fields only; everything else needs the tenant's owner (session) or a platform admin.
 */
export const tenantsRoutes = new Hono<AppEnv>();

const SIGNUPS_PER_HOUR = 5;

tenantsRoutes.use(platformOnly());
tenantsRoutes.use(bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new DomainError('payload_too_large', 'The request body is larger than 64 KB.'); } }));

function deps(c: Context<AppEnv>): service.TenantServiceDeps {
  return tenantServiceDeps(c.env, c.get('config'), directoryFor(c));
}

function acting(c: Context<AppEnv>): service.Acting {
  return { actor: actorOf(c.get('principal')), context: requestContext(c) };
}

/** The tenant named by :id, if the caller is its owner or a platform admin. */
async function authorizedTenant(c: Context<AppEnv>, id: string, opts: { ownerMay: boolean }): Promise<{ row: TenantRow; asAdmin: boolean }> {
  const principal = c.get('principal');
  if (principal.kind === 'anonymous') throw new DomainError('unauthorized', 'Sign in as the workspace owner, or use the platform admin token.');
  const isAdmin = principal.kind === 'platform_admin';
  const isOwner = principal.kind === 'user' && principal.tenantId === id && principal.role === 'owner';
  if (!isAdmin && !(opts.ownerMay && isOwner)) throw new DomainError('forbidden', opts.ownerMay ? 'Only the workspace owner or a platform admin may do this.' : 'Only a platform admin may do this.');
  if (!isUuid(id)) throw new DomainError('not_found', 'No such workspace.');
  const database = openDatabase(c.get('config'));
  const row = await service.findTenant(database, id);
  if (!row) throw new DomainError('not_found', 'No such workspace.');
  if (principal.kind === 'user') {
    // The owner's token is only as good as their session: signed out, demoted or deactivated
    // owners are refused here too (NC401 → 401 session_revoked), at the cost of one round trip.
    await TenantDb.forSession(database, row, { userId: principal.userId, sessionVersion: principal.sessionVersion }).checkSession();
  }
  return { row, asAdmin: isAdmin };
}

function view(row: TenantRow, asAdmin: boolean) {
  return asAdmin ? adminTenantView(row) : ownerTenantView(row);
}

tenantsRoutes.post('/create', async (c) => {
  const config = c.get('config');
  if (c.get('principal').kind !== 'platform_admin') {
    await enforceRateLimit(c, `signup:${clientIp(c)}`, SIGNUPS_PER_HOUR, 3600, 'workspaces created from this address');
  }
  const input = await jsonBody(c, createTenantSchema);
  const database = openDatabase(config);
  const created = await provisionTenant(database, input, await tenantMigrations(), requestContext(c));
  await service.publish({ database, directory: directoryFor(c), baseDomain: config.BASE_DOMAIN, files: c.env.FILES }, created.tenant);
  const token = await signSession(config.SESSION_SECRET, { sub: created.owner.id, tid: created.tenant.id, role: 'owner', sv: 1 });
  // The browser signed up here, on the platform host; its session cookie belongs to the new
  // workspace's host. A single-use code in the URL's fragment carries it across.
  const handoff = await gateStub(c.env, created.tenant.id).issueHandoff({ userId: created.owner.id, role: 'owner', sessionVersion: 1 });
  const url = workspaceUrl(c.req.url, c.req.header('host'), created.tenant.slug, config.BASE_DOMAIN);
  c.get('log').info('tenant_created', { tenantId: created.tenant.id, slug: created.tenant.slug, plan: created.tenant.billingPlan, status: created.tenant.status });
  return c.json(
    {
      tenant: ownerTenantView(created.tenant),
      owner: created.owner,
      token,
      url,
      handoffUrl: `${url}/welcome#handoff=${handoff}`,
    },
    201,
  );
});

tenantsRoutes.get('/', async (c) => {
  requirePlatformAdmin(c);
  const q = queryParams(c, listTenantsQuery);
  const page = await service.listTenants(openDatabase(c.get('config')), q);
  return c.json({ tenants: page.tenants.map((t) => adminTenantView(t)), nextCursor: page.nextCursor });
});

tenantsRoutes.get('/by-slug', async (c) => {
  const { slug } = queryParams(c, z.object({ slug: slugFormatSchema }));
  const row = await service.findTenantBy(openDatabase(c.get('config')), { slug });
  if (!row) throw new DomainError('tenant_not_found', `No workspace has the address "${slug}".`);
  return c.json({ tenant: c.get('principal').kind === 'platform_admin' ? adminTenantView(row) : publicTenantFields(row) });
});

/**
 * Whether sign-up would accept a slug, for the form's live check: a malformed one is a 400 with
 * the field's message (like POST /create); a well-formed one answers whether it is free, or
 * why not (reserved, taken).
 */
tenantsRoutes.get('/slug-availability', async (c) => {
  const { slug } = queryParams(c, z.object({ slug: slugFormatSchema }));
  if (RESERVED_SLUGS.has(slug)) return c.json({ slug, available: false, reason: 'reserved', message: 'This address is reserved.' });
  const taken = await service.findTenantBy(openDatabase(c.get('config')), { slug });
  if (taken) return c.json({ slug, available: false, reason: 'taken', message: 'This address is taken.' });
  return c.json({ slug, available: true });
});

tenantsRoutes.get('/by-domain', async (c) => {
  const { domain } = queryParams(c, z.object({ domain: z.string().min(1).max(253) }));
  const row = await service.findTenantBy(openDatabase(c.get('config')), { domain: normaliseHostname(domain) });
  if (!row) throw new DomainError('tenant_not_found', `No workspace is served at ${domain}.`);
  return c.json({ tenant: c.get('principal').kind === 'platform_admin' ? adminTenantView(row) : publicTenantFields(row) });
});

tenantsRoutes.get('/:id', async (c) => {
  const { row, asAdmin } = await authorizedTenant(c, c.req.param('id'), { ownerMay: true });
  const settings = await service.loadSettings(openDatabase(c.get('config')), row.id);
  return c.json({ tenant: view(row, asAdmin), settings: settings ? service.settingsView(settings) : null });
});

tenantsRoutes.put('/:id', async (c) => {
  const { row, asAdmin } = await authorizedTenant(c, c.req.param('id'), { ownerMay: true });
  const patch = await jsonBody(c, updateTenantSchema);
  if (!asAdmin) {
    const forbidden = ADMIN_ONLY_FIELDS.filter((f) => patch[f] !== undefined);
    if (forbidden.length) throw new DomainError('forbidden_field', `Only a platform admin may change: ${forbidden.join(', ')}.`, { fields: forbidden });
  }
  // Branding is replaced as a whole here. A cancelled workspace, a suspended one (unless a platform
  // admin acts) and the custom-branding rule are refused by the use case, as for PATCH /api/tenant.
  const change = { ...patch, branding: patch.branding && mergeBranding({}, patch.branding) };
  const { tenant: updated, settings } = await service.updateTenant(deps(c), row, change, acting(c));
  return c.json({ tenant: view(updated, asAdmin), settings: settings ? service.settingsView(settings) : null });
});

tenantsRoutes.delete('/:id', async (c) => {
  const purge = c.req.query('purge') === 'true';
  const { row, asAdmin } = await authorizedTenant(c, c.req.param('id'), { ownerMay: !purge });
  if (purge) {
    await service.purgeTenant(deps(c), row, acting(c));
    c.get('log').warn('tenant_purged', { tenantId: row.id, slug: row.slug });
    return c.json({ purged: true, id: row.id });
  }
  const grace = c.get('config').TENANT_DELETION_GRACE_DAYS;
  const updated = await service.scheduleTenantDeletion(deps(c), row, grace, acting(c));
  return c.json({ tenant: view(updated, asAdmin), deletionScheduledAt: updated.deletionScheduledAt?.toISOString() ?? null });
});

tenantsRoutes.post('/:id/suspend', async (c) => {
  const { row } = await authorizedTenant(c, c.req.param('id'), { ownerMay: false });
  const { reason } = await jsonBody(c, suspendSchema);
  return c.json({ tenant: adminTenantView(await service.suspendTenant(deps(c), row, reason, acting(c))) });
});

tenantsRoutes.post('/:id/unsuspend', async (c) => {
  const { row } = await authorizedTenant(c, c.req.param('id'), { ownerMay: false });
  return c.json({ tenant: adminTenantView(await service.unsuspendTenant(deps(c), row, acting(c))) });
});

tenantsRoutes.post('/:id/restore', async (c) => {
  const { row } = await authorizedTenant(c, c.req.param('id'), { ownerMay: false });
  return c.json({ tenant: adminTenantView(await service.restoreTenant(deps(c), row, acting(c))) });
});
