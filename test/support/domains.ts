import { sql as dsql } from 'drizzle-orm';
import { eq } from 'drizzle-orm';
import { tenantDomains, tenants } from '../../src/db/schema';
import { database } from './tenants';

/**
 * A custom domain in the state activation leaves it (src/domains/service.ts refreshDomain): an
 * active tenant_domains row, the host in tenants.custom_domains, the version bumped. For tests
 * of host resolution that are not about how a domain gets there (test/domains.test.ts is).
 * Caches are not told: the host is new to them, so its first request loads the row.
 */
export async function insertActiveDomain(tenantId: string, hostname: string): Promise<void> {
  const { db } = database();
  await db.insert(tenantDomains).values({ tenantId, hostname, status: 'active', verification: {}, verifiedAt: new Date(), cloudflareStatus: 'active', sslStatus: 'active' });
  await db
    .update(tenants)
    .set({ customDomains: dsql`array_append(${tenants.customDomains}, ${hostname})`, version: dsql`${tenants.version} + 1` })
    .where(eq(tenants.id, tenantId));
}
