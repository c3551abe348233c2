import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const invitationsRoutes = new Hono<AppEnv>();
invitationsRoutes.use(tenantOnly());
