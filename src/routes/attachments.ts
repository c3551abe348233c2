import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { attachmentDisposition } from '../attachments/filename';
import {
  attachmentForMember,
  attachmentView,
  deleteAttachment,
  listChannelAttachments,
  openAttachment,
  uploadAttachment,
  uploadPolicy,
  type AttachmentDeps,
} from '../attachments/service';
import { precheckUpload, readUpload } from '../attachments/upload-body';
import type { AppEnv } from '../env';
import { queryParams } from '../http/body';
import { asMember } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { tenantOnly } from '../tenancy/middleware';

/**
 * Files shared in channels (R2 bucket FILES, keys `<tenantId>/<channelId>/<attachmentId>/<name>`).
 *
 *   POST   /api/channels/:id/attachments   upload (raw body or multipart `file`; see attachments/upload-body.ts)
 *   GET    /api/channels/:id/attachments   list, newest first (?limit=1..100, ?cursor=)
 *   GET    /api/attachments/:id            download (members of the channel only)
 *   GET    /api/attachments/:id/meta       metadata
 *   DELETE /api/attachments/:id            uploader, or workspace owner/admin; frees the storage
 */
export const attachmentsRoutes = new Hono<AppEnv>();
attachmentsRoutes.use(tenantOnly());

/** /api/channels/:id/attachments: uploads into a channel. */
export const channelAttachmentsRoutes = new Hono<AppEnv>();
channelAttachmentsRoutes.use(tenantOnly());

function deps(c: Context<AppEnv>, tdb: TenantDb): AttachmentDeps {
  return { tdb, bucket: c.env.FILES, tenant: c.get('tenant'), log: c.get('log') };
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

channelAttachmentsRoutes.post('/:id/attachments', async (c) => {
  const { user, tdb } = asMember(c);
  const policy = uploadPolicy(c.get('tenant'));
  // Sizes the headers already give away are refused before any database or R2 work.
  const declaredSize = precheckUpload(c, policy.size);
  const attachment = await uploadAttachment(deps(c, tdb), user, c.req.param('id'), policy, {
    declaredSize,
    read: () => readUpload(c, policy.size),
  });
  c.header('Location', `/api/attachments/${attachment.id}`);
  return c.json({ attachment: attachmentView(attachment) }, 201);
});

channelAttachmentsRoutes.get('/:id/attachments', async (c) => {
  const { user, tdb } = asMember(c);
  const q = queryParams(c, listQuery);
  const page = await listChannelAttachments(tdb, user, c.req.param('id'), q);
  return c.json({ attachments: page.attachments.map(attachmentView), nextCursor: page.nextCursor });
});

attachmentsRoutes.get('/:id/meta', async (c) => {
  const { user, tdb } = asMember(c);
  const { attachment } = await attachmentForMember(tdb, c.req.param('id'), user);
  return c.json({ attachment: attachmentView(attachment) });
});

attachmentsRoutes.get('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  const { attachment } = await attachmentForMember(tdb, c.req.param('id'), user);
  // An attachment's bytes never change (a new upload is a new id), so its id is a strong ETag
  // and a revalidation costs no R2 read.
  const etag = `"${attachment.id}"`;
  const headers = new Headers({
    'Cache-Control': 'private, no-cache',
    ETag: etag,
    'X-Content-Type-Options': 'nosniff',
    // Uploaded content is never rendered as a page of this origin: downloaded, and sandboxed
    // should a browser open it anyway.
    'Content-Disposition': attachmentDisposition(attachment.filename),
    'Content-Security-Policy': "default-src 'none'; sandbox",
  });
  if (matchesEtag(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  const object = await openAttachment(deps(c, tdb), attachment);
  headers.set('Content-Type', attachment.contentType);
  headers.set('Content-Length', String(object.size));
  return new Response(object.body, { status: 200, headers });
});

attachmentsRoutes.delete('/:id', async (c) => {
  const { user, tdb } = asMember(c);
  await deleteAttachment(deps(c, tdb), user, c.req.param('id'));
  return c.body(null, 204);
});

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((v) => {
    const tag = v.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
