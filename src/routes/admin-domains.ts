import { Hono } from 'hono';
import { z } from 'zod';
import { requirePlatformAdmin } from '../auth/principal';
import { openDatabase } from '../db/client';
import type { AppEnv } from '../env';
import { queryParams } from '../http/body';
import { isUuid } from '../http/ids';
import { platformOnly } from '../tenancy/middleware';
import { domainView, listAllDomains } from '../domains/service';

/**
 * GET /api/admin/domains — for platform operators, on the platform host: every workspace's
 * custom domains with what Cloudflare last said, filterable by status, workspace and hostname.
 */
export const adminDomainRoutes = new Hono<AppEnv>();
adminDomainRoutes.use(platformOnly());

const listQuery = z.object({
  status: z.enum(['pending', 'active', 'failed']).optional(),
  tenantId: z.string().refine(isUuid, 'must be a workspace id (a UUID)').optional(),
  search: z.string().trim().min(1).max(253).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

adminDomainRoutes.get('/', async (c) => {
  requirePlatformAdmin(c);
  const q = queryParams(c, listQuery);
  const page = await listAllDomains(openDatabase(c.get('config')), q);
  return c.json({
    domains: page.domains.map((d) => ({ ...domainView(d), tenantId: d.tenantId, tenantSlug: d.tenantSlug, checkCount: d.checkCount })),
    nextCursor: page.nextCursor,
  });
});
