import { and, desc, eq, isNull, sql as dsql, type SQL } from 'drizzle-orm';
import { toIsoTimestamp } from '../db/client';
import { nchatAttachments, nchatChannelMembers, nchatChannels, type AttachmentRow, type PlanId } from '../db/schema';
import { channelForUser, channelNotFound, requireMember, requireNotArchived, type ChannelAccess } from '../chat/access';
import { decodeCursor, pageOf } from '../http/cursor';
import { DomainError } from '../domain/errors';
import { isUuid } from '../http/ids';
import type { Logger } from '../http/logger';
import { MANAGER_ROLES, type UserPrincipal } from '../http/tenant-context';
import { planLimitErrorFor, requireFeature } from '../tenancy/entitlements';
import { effectivePlan, tenantEntitlements, type TenantSnapshot } from '../tenancy/snapshot';
import type { TenantDb } from '../tenancy/tenant-db';
import { SINGLE_PUT_MAX_BYTES, emptyFile, tooLarge, type SizeLimit, type UploadBody } from './upload-body';
import { readRecordUploadResult, readStorageUsage, recordDeleteQuery, recordUploadQuery, usagePeriod, type StorageUsage } from './usage';

/**
 * Attachments: files in R2, their metadata in the tenant's schema, their bytes counted in the
 * tenant's usage. One function per use case, each taking the acting user explicitly.
 *
 * R2 and Postgres cannot share a transaction, so the order of the two writes is chosen so that
 * a failure leaves nothing billed that does not exist and nothing stored that nobody can reach:
 *  - upload: the object first, then (one transaction) the row and the usage increment; if that
 *    transaction fails or refuses, the object is deleted again;
 *  - delete: the object first, then (one transaction) the soft delete and the usage decrement;
 *    if that transaction fails, the row is still there, downloads answer 404 (no object), and
 *    the delete can simply be repeated.
 */

export interface AttachmentDeps {
  tdb: TenantDb;
  bucket: R2Bucket;
  tenant: TenantSnapshot;
  log?: Logger;
}

export interface UploadPolicy {
  size: SizeLimit;
  /** Total stored bytes allowed (null: unlimited). */
  storageBytes: number | null;
  plan: PlanId;
}


/** What the tenant's plan (with its overrides) allows; refuses when file uploads are switched off. */
export function uploadPolicy(tenant: TenantSnapshot, now = Date.now()): UploadPolicy {
  const ent = tenantEntitlements(tenant, now);
  const plan = effectivePlan(tenant, now);
  requireFeature(tenant, 'fileUploads', now);
  const planLimit = ent.limits.uploadBytes;
  return {
    size: { maxBytes: Math.min(planLimit ?? SINGLE_PUT_MAX_BYTES, SINGLE_PUT_MAX_BYTES), planLimit, plan },
    storageBytes: ent.limits.storageBytes,
    plan,
  };
}

export function attachmentNotFound(): DomainError {
  return new DomainError('attachment_not_found', 'No such attachment, or you cannot see it.');
}

function storageLimitReached(policy: UploadPolicy, used: number, requested: number): DomainError {
  return planLimitErrorFor(policy.plan, 'storageBytes', policy.storageBytes ?? 0, used, { requested });
}

function assertStorageRoom(policy: UploadPolicy, usage: StorageUsage, size: number): void {
  if (policy.storageBytes !== null && usage.storageBytes + size > policy.storageBytes) throw storageLimitReached(policy, usage.storageBytes, size);
}

/** `${tenantId}/${channelId}/${attachmentId}/${filename}`: every key of a tenant shares its id as prefix. */
export function attachmentKey(tenantId: string, channelId: string, attachmentId: string, filename: string): string {
  return `${tenantId}/${channelId}/${attachmentId}/${filename}`;
}

export interface UploadSource {
  /** The raw body's declared Content-Length, when known before reading. */
  declaredSize: number | null;
  read(): Promise<UploadBody>;
}

/** Both results, or the first one's error before the second's (access errors win over the rest). */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/**
 * POST /api/channels/:id/attachments. Members of an unarchived channel only. The body is read
 * only after the access and storage checks; the storage check is repeated atomically with the
 * write, so concurrent uploads cannot together pass the limit.
 */
export async function uploadAttachment(deps: AttachmentDeps, user: UserPrincipal, channelId: string, policy: UploadPolicy, source: UploadSource): Promise<AttachmentRow> {
  const { tdb, bucket, tenant } = deps;
  if (!isUuid(channelId)) throw channelNotFound();
  const period = usagePeriod();
  // Access and current usage in parallel: one round trip of latency before the body is read.
  const [access, usage] = await both(channelForUser(tdb, channelId, user), readStorageUsage(tdb, period));
  requireMember(access);
  requireNotArchived(access);
  if (source.declaredSize !== null) assertStorageRoom(policy, usage, source.declaredSize);

  const body = await source.read();
  assertStorageRoom(policy, usage, body.size);

  const id = crypto.randomUUID();
  const key = attachmentKey(tenant.id, channelId, id, body.filename);
  let size: number;
  try {
    const object = await bucket.put(key, body.data, {
      httpMetadata: { contentType: body.contentType },
      customMetadata: { tenantId: tenant.id, channelId, attachmentId: id, uploaderId: user.userId },
    });
    size = object?.size ?? body.size;
  } catch (err) {
    deps.log?.error('attachment_put_failed', { key, error: String(err) });
    throw new DomainError('storage_unavailable', 'The file could not be stored. Try again.');
  }
  // The runtime holds a streamed body to its Content-Length; this only guards the impossible.
  if (size === 0 || size > policy.size.maxBytes) {
    await removeObject(deps, key);
    throw size === 0 ? emptyFile() : tooLarge(policy.size);
  }

  let recorded;
  try {
    const [rows] = await tdb.transaction([
      recordUploadQuery(tdb, {
        period,
        limitBytes: policy.storageBytes,
        attachmentId: id,
        channelId,
        uploaderId: user.userId,
        r2Key: key,
        filename: body.filename,
        contentType: body.contentType,
        sizeBytes: size,
      }),
    ]);
    recorded = readRecordUploadResult(rows ?? []);
  } catch (err) {
    await removeObject(deps, key);
    throw err;
  }
  if (!recorded.created) {
    // Refused inside the transaction: the channel changed during the upload, or concurrent
    // uploads used up the room. Nothing was recorded; take the object back out.
    await removeObject(deps, key);
    if (recorded.open === null) throw channelNotFound();
    if (!recorded.member) throw new DomainError('not_a_member', 'Join the channel first.');
    if (!recorded.open) throw new DomainError('channel_archived', 'The channel is archived.');
    throw storageLimitReached(policy, recorded.used, size);
  }
  return {
    id: recorded.created.id,
    channelId,
    messageId: null,
    uploaderId: user.userId,
    r2Key: key,
    filename: body.filename,
    contentType: body.contentType,
    sizeBytes: size,
    createdAt: new Date(toIsoTimestamp(recorded.created.createdAt)!),
    deletedAt: null,
  };
}

async function removeObject(deps: AttachmentDeps, key: string): Promise<void> {
  try {
    await deps.bucket.delete(key);
  } catch (err) {
    // Left behind under the tenant's prefix; a tenant purge removes it with the rest.
    deps.log?.error('attachment_orphaned', { key, error: String(err) });
  }
}

/**
 * An attachment the user may see: not deleted, in a channel the user is a member of. Anything
 * else — a bad id, another tenant's id, a deleted file, a channel the user is not in, public
 * or not — is the same 404, so ids reveal nothing.
 */
export async function attachmentForMember(tdb: TenantDb, attachmentId: string, user: UserPrincipal): Promise<{ attachment: AttachmentRow; access: ChannelAccess }> {
  if (!isUuid(attachmentId)) throw attachmentNotFound();
  const [rows] = await tdb.batch((db) => [
    db
      .select({ attachment: nchatAttachments, channel: nchatChannels, role: nchatChannelMembers.role, lastReadSeq: nchatChannelMembers.lastReadSeq })
      .from(nchatAttachments)
      .innerJoin(nchatChannels, eq(nchatChannels.id, nchatAttachments.channelId))
      .leftJoin(nchatChannelMembers, and(eq(nchatChannelMembers.channelId, nchatAttachments.channelId), eq(nchatChannelMembers.userId, user.userId)))
      .where(and(eq(nchatAttachments.id, attachmentId), isNull(nchatAttachments.deletedAt)))
      .limit(1),
  ]);
  const row = rows[0];
  if (!row?.role) throw attachmentNotFound();
  // Defence in depth: a key outside this tenant's prefix is never served, whatever the row says.
  if (!row.attachment.r2Key.startsWith(`${tdb.tenant.id}/`)) throw attachmentNotFound();
  return { attachment: row.attachment, access: { channel: row.channel, member: { role: row.role, lastReadSeq: row.lastReadSeq ?? 0 } } };
}

/** The stored object of an attachment the user may see; 404 when it is gone from R2. */
export async function openAttachment(deps: AttachmentDeps, attachment: AttachmentRow): Promise<R2ObjectBody> {
  const object = await deps.bucket.get(attachment.r2Key);
  if (!object) {
    deps.log?.warn('attachment_object_missing', { attachmentId: attachment.id, key: attachment.r2Key });
    throw attachmentNotFound();
  }
  return object;
}

/** DELETE /api/attachments/:id: the uploader, or a workspace owner or admin (who can see the file). */
export async function deleteAttachment(deps: AttachmentDeps, user: UserPrincipal, attachmentId: string): Promise<void> {
  const { tdb } = deps;
  const { attachment } = await attachmentForMember(tdb, attachmentId, user);
  const mayDelete = attachment.uploaderId === user.userId || (MANAGER_ROLES as readonly string[]).includes(user.role);
  if (!mayDelete) throw new DomainError('forbidden', 'Only the uploader or a workspace owner or admin may delete this file.');
  try {
    await deps.bucket.delete(attachment.r2Key);
  } catch (err) {
    deps.log?.error('attachment_delete_failed', { key: attachment.r2Key, error: String(err) });
    throw new DomainError('storage_unavailable', 'The file could not be deleted. Try again.');
  }
  await tdb.transaction([recordDeleteQuery(tdb, { period: usagePeriod(), attachmentId: attachment.id, sizeBytes: attachment.sizeBytes })]);
}

export interface AttachmentPage {
  attachments: AttachmentRow[];
  nextCursor: string | null;
}

/** GET /api/channels/:id/attachments: newest first, cursor over (created_at, id). Members only. */
export async function listChannelAttachments(tdb: TenantDb, user: UserPrincipal, channelId: string, q: { limit: number; cursor?: string }): Promise<AttachmentPage> {
  if (!isUuid(channelId)) throw channelNotFound();
  const where: SQL[] = [eq(nchatAttachments.channelId, channelId), isNull(nchatAttachments.deletedAt)];
  // Compared at millisecond precision, the precision the cursor carries.
  const createdMs = dsql`date_trunc('milliseconds', ${nchatAttachments.createdAt})`;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(dsql`(${createdMs}, ${nchatAttachments.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  }
  const fetched = tdb.run((db) =>
    db
      .select()
      .from(nchatAttachments)
      .where(and(...where))
      .orderBy(desc(createdMs), desc(nchatAttachments.id))
      .limit(q.limit + 1),
  );
  // Access and the page in parallel; the page is dropped unless the access check passes.
  const [access, rows] = await both(channelForUser(tdb, channelId, user), fetched);
  requireMember(access);
  const page = pageOf(rows, q.limit, (last) => ({ t: last.createdAt.toISOString(), id: last.id }));
  return { attachments: page.items, nextCursor: page.nextCursor };
}

export interface AttachmentView {
  id: string;
  channelId: string;
  messageId: number | null;
  uploaderId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  url: string;
}

/** What the API shows of an attachment; the R2 key stays internal. */
export function attachmentView(a: AttachmentRow): AttachmentView {
  return {
    id: a.id,
    channelId: a.channelId,
    messageId: a.messageId,
    uploaderId: a.uploaderId,
    filename: a.filename,
    contentType: a.contentType,
    sizeBytes: Number(a.sizeBytes),
    createdAt: a.createdAt.toISOString(),
    url: `/api/attachments/${a.id}`,
  };
}
