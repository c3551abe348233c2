import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const messagesRoutes = new Hono<AppEnv>();
messagesRoutes.use(tenantOnly());

/** /api/search: full-text search over the messages the user can see. */
export const searchRoutes = new Hono<AppEnv>();
searchRoutes.use(tenantOnly());
