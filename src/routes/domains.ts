import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { asc, eq } from 'drizzle-orm';
import { actorOf, requestContext } from '../audit/audit';
import { tenantDomains } from '../db/schema';
import type { AppEnv } from '../env';
import { jsonBody } from '../http/body';
import { DomainError } from '../domain/errors';
import { isUuid } from '../http/ids';
import { asMember, MANAGER_ROLES } from '../http/tenant-context';
import { capOf, requireFeature } from '../tenancy/entitlements';
import { directoryFor, tenantOnly } from '../tenancy/middleware';
import { domainDeps } from '../deps';
import { customHostnameSchema } from '../domains/hostname';
import { customDomainTarget } from '../domains/records';
import { addDomain, domainView, refreshDomain, removeDomain, type DomainDeps } from '../domains/service';

/**
 * /api/tenant/domains — the workspace's custom domains (Cloudflare for SaaS), for owners and
 * admins on plans with `customDomains`. Reads go through the session-bound TenantDb (row-level
 * security shows the workspace's own rows only); changes re-check the session, then run the use
 * cases in src/domains/service.ts, which also change the tenant row (which hosts serve it).
 */
export const domainRoutes = new Hono<AppEnv>();
domainRoutes.use(tenantOnly());

/**
 * The caller (owner or admin, session checked by the caller's TenantDb) and the plan's word:
 * adding and verifying need the feature; listing and removing do not, so a workspace that
 * moved to a plan without it can still see and remove what it has.
 */
function manager(c: Context<AppEnv>, use: 'add' | 'manage') {
  const member = asMember(c, MANAGER_ROLES);
  if (use === 'add') requireFeature(c.get('tenant'), 'customDomains');
  return member;
}

function deps(c: Context<AppEnv>): DomainDeps {
  return domainDeps(c.env, c.get('config'), directoryFor(c));
}

function domainId(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!isUuid(id)) throw new DomainError('domain_not_found', 'No such domain in this workspace.');
  return id;
}

function acting(c: Context<AppEnv>) {
  return { actor: actorOf(c.get('principal')), context: requestContext(c) };
}

domainRoutes.get('/', async (c) => {
  const { tdb } = manager(c, 'manage');
  const rows = await tdb.run((db) => db.select().from(tenantDomains).orderBy(asc(tenantDomains.createdAt), asc(tenantDomains.id)));
  const cap = capOf(c.get('tenant'), 'customDomains');
  return c.json({ domains: rows.map(domainView), limit: cap.limit, target: customDomainTarget(c.get('config')) });
});

domainRoutes.get('/:id', async (c) => {
  const { tdb } = manager(c, 'manage');
  const id = domainId(c);
  const [row] = await tdb.run((db) => db.select().from(tenantDomains).where(eq(tenantDomains.id, id)));
  if (!row) throw new DomainError('domain_not_found', 'No such domain in this workspace.');
  return c.json({ domain: domainView(row) });
});

domainRoutes.post('/', async (c) => {
  const { tdb } = manager(c, 'add');
  const input = await jsonBody(c, z.object({ hostname: customHostnameSchema(c.get('config').BASE_DOMAIN) }).strict());
  const d = deps(c);
  await tdb.checkSession();
  const tenant = c.get('tenant');
  const row = await addDomain(d, tenant.id, input.hostname, capOf(tenant, 'customDomains'), acting(c));
  return c.json({ domain: domainView(row) }, 201);
});

domainRoutes.post('/:id/refresh', async (c) => {
  const { tdb } = manager(c, 'add');
  const id = domainId(c);
  const d = deps(c);
  await tdb.checkSession();
  const row = await refreshDomain(d, c.get('tenant').id, id, acting(c));
  return c.json({ domain: domainView(row) });
});

domainRoutes.delete('/:id', async (c) => {
  const { tdb } = manager(c, 'manage');
  const id = domainId(c);
  const d = deps(c);
  await tdb.checkSession();
  const row = await removeDomain(d, c.get('tenant').id, id, acting(c));
  return c.json({ removed: { id: row.id, hostname: row.hostname } });
});
