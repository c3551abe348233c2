import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { tenantOnly } from '../tenancy/middleware';

export const attachmentsRoutes = new Hono<AppEnv>();
attachmentsRoutes.use(tenantOnly());

/** /api/channels/:id/attachments: uploads into a channel. */
export const channelAttachmentsRoutes = new Hono<AppEnv>();
channelAttachmentsRoutes.use(tenantOnly());
