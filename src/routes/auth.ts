import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const authRoutes = new Hono<AppEnv>();
authRoutes.use(tenantOnly());

/** /api/me: the signed-in user's own account. */
export const meRoutes = new Hono<AppEnv>();
meRoutes.use(tenantOnly());
