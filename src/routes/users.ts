import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const usersRoutes = new Hono<AppEnv>();
usersRoutes.use(tenantOnly());
