import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const channelsRoutes = new Hono<AppEnv>();
channelsRoutes.use(tenantOnly());

/** /api/dms: direct-message channels between two users. */
export const dmRoutes = new Hono<AppEnv>();
dmRoutes.use(tenantOnly());
