/**
 * Attachments (issue 4, point 6): uploads into R2 under the tenant's prefix, downloads for
 * channel members only, per-plan size and storage limits, deletes that free the storage, and
 * the tenant's usage totals kept current. Everything goes through the Worker as a client would;
 * R2 (env.FILES) and the database are read directly only to check what the API left behind.
 * Channels are made directly in the tenant schema (as the tenant's own role).
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachmentDisposition, filenameFromContentDisposition, normalizeContentType, sanitizeFilename } from '../src/attachments/filename';
import type { Query } from '../src/db/client';
import { nchatChannelMembers, nchatChannels, type ChannelKind } from '../src/db/schema';
import { deleteChannelFiles, deleteTenantFiles, releaseChannelStorageQuery } from '../src/attachments/cleanup';
import { usagePeriod } from '../src/attachments/usage';
import { TenantDb } from '../src/tenancy/tenant-db';
import { addUser, adminAuth, api, bearer, createTenant, database, PLATFORM, schemaOf, tenantUrl, type CreatedTenant } from './support/tenants';

const MiB = 1024 * 1024;


function tenantDb(t: CreatedTenant): TenantDb {
  const schema = schemaOf(t.slug);
  return TenantDb.forSystemWork(database(), { id: t.id, schemaName: schema, roleName: schema }, 'tooling');
}

/** A channel with `memberIds` as members (the first one owns it), straight into the tenant schema. */
async function createChannel(t: CreatedTenant, kind: Exclude<ChannelKind, 'direct'>, memberIds: string[], opts: { archived?: boolean } = {}): Promise<string> {
  const id = crypto.randomUUID();
  await tenantDb(t).batch((db) => [
    db.insert(nchatChannels).values({ id, kind, name: `c-${id.slice(0, 8)}`, createdBy: memberIds[0], archivedAt: opts.archived ? new Date() : null }),
    db.insert(nchatChannelMembers).values(memberIds.map((userId, i) => ({ channelId: id, userId, role: i === 0 ? ('owner' as const) : ('member' as const) }))),
  ]);
  return id;
}

async function setLimits(t: CreatedTenant, limits: Record<string, number | null>): Promise<void> {
  const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json: { limits } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

interface UploadOptions {
  filename?: string;
  type?: string;
  headers?: Record<string, string>;
}

/** A raw-body upload (the bytes are the file). */
function upload(t: CreatedTenant, channelId: string, token: string, data: Uint8Array | string, opts: UploadOptions = {}) {
  const bytes = bytesOf(data);
  const query = opts.filename === undefined ? '' : `?filename=${encodeURIComponent(opts.filename)}`;
  return api(tenantUrl(t.slug, `/api/channels/${channelId}/attachments${query}`), {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': opts.type ?? 'application/octet-stream', 'content-length': String(bytes.byteLength), ...opts.headers },
    body: bytes,
  });
}

async function uploaded(t: CreatedTenant, channelId: string, token: string, data: Uint8Array | string, opts: UploadOptions = {}): Promise<Record<string, any>> {
  const res = await upload(t, channelId, token, data, { filename: 'file.bin', ...opts });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.attachment;
}

/** The Worker's raw response (for binary bodies and headers). */
function fetchRaw(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

function download(t: CreatedTenant, id: string, token: string, headers: Record<string, string> = {}) {
  return fetchRaw(tenantUrl(t.slug, `/api/attachments/${id}`), { headers: { ...bearer(token), ...headers } });
}

function meta(t: CreatedTenant, id: string, token: string) {
  return api(tenantUrl(t.slug, `/api/attachments/${id}/meta`), { headers: bearer(token) });
}

function remove(t: CreatedTenant, id: string, token: string) {
  return api(tenantUrl(t.slug, `/api/attachments/${id}`), { method: 'DELETE', headers: bearer(token) });
}

function list(t: CreatedTenant, channelId: string, token: string, query = '') {
  return api(tenantUrl(t.slug, `/api/channels/${channelId}/attachments${query ? `?${query}` : ''}`), { headers: bearer(token) });
}

async function r2Keys(prefix: string): Promise<string[]> {
  const page = await env.FILES.list({ prefix });
  return page.objects.map((o) => o.key);
}

async function attachmentRows(t: CreatedTenant): Promise<{ id: string; deleted_at: string | null; size_bytes: string }[]> {
  const rows = await database().sql.query(`SELECT id, deleted_at, size_bytes FROM "${schemaOf(t.slug)}".nchat_attachments ORDER BY created_at`, []);
  return rows as { id: string; deleted_at: string | null; size_bytes: string }[];
}

async function usageRows(t: CreatedTenant): Promise<{ period: string; storage_bytes: number; files: number }[]> {
  const rows = await database().sql.query('SELECT period, storage_bytes, files FROM public.tenant_usage WHERE tenant_id = $1 ORDER BY period', [t.id]);
  return (rows as Record<string, unknown>[]).map((r) => ({ period: String(r.period), storage_bytes: Number(r.storage_bytes), files: Number(r.files) }));
}

async function currentUsage(t: CreatedTenant): Promise<{ storage_bytes: number; files: number }> {
  const row = (await usageRows(t)).find((r) => r.period === usagePeriod());
  return row ? { storage_bytes: row.storage_bytes, files: row.files } : { storage_bytes: 0, files: 0 };
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// File names and content types
// ---------------------------------------------------------------------------------------------

describe('file names', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\Desktop\\notes.txt', 'notes.txt'],
    ['a/b/', 'b'],
    ['bad\u0000na\u001fme\u007f.txt', 'badname.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['  spaced   out  .md ', 'spaced out .md'],
    ['..', 'file'],
    ['/', 'file'],
    ['', 'file'],
    ['résumé.pdf', 'résumé.pdf'],
    ['e\u0301te\u0301.txt', 'été.txt'],
  ])('sanitizeFilename(%j) = %j', (raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  it('caps names at 200 characters, keeps the extension, never splits a surrogate pair', () => {
    const long = sanitizeFilename(`${'a'.repeat(300)}.pdf`);
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith('.pdf')).toBe(true);
    const emoji = sanitizeFilename('😀'.repeat(250));
    expect(Array.from(emoji)).toHaveLength(200);
    expect(emoji).toBe('😀'.repeat(200));
  });

  it.each([
    ["attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", 'résumé.pdf'],
    ['attachment; filename="plain \\"quoted\\".txt"', 'plain "quoted".txt'],
    ['attachment; filename=token.txt', 'token.txt'],
    ["attachment; filename=\"fallback.txt\"; filename*=UTF-8''wins.txt", 'wins.txt'],
    ['attachment', null],
  ])('Content-Disposition %j names %j', (header, expected) => {
    expect(filenameFromContentDisposition(header)).toBe(expected);
  });

  it('a download names the file exactly (filename*) with an ASCII fallback', () => {
    expect(attachmentDisposition('résumé "final".pdf')).toBe(`attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`);
  });

  it.each([
    ['image/PNG', 'image/png'],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
    ['', 'application/octet-stream'],
    ['not a type', 'application/octet-stream'],
    ['text/html\r\nX-Injected: 1', 'application/octet-stream'],
  ])('content type %j is stored as %j', (raw, expected) => {
    expect(normalizeContentType(raw)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

describe('attachments API', () => {
  let A: CreatedTenant;
  let B: CreatedTenant;
  let member: { id: string; token: string };
  let other: { id: string; token: string };
  let guest: { id: string; token: string };
  let admin: { id: string; token: string };
  let outsider: { id: string; token: string };
  let publicCh: string;
  let privateCh: string;
  let archivedCh: string;
  let bMember: { id: string; token: string };
  let bChannel: string;

  beforeAll(async () => {
    [A, B] = await Promise.all([createTenant(), createTenant()]);
    // This suite sends A more requests in a minute than the free plan's rate allows.
    await setLimits(A, { requestsPerMinute: 10_000 });
    [member, other, guest, admin, outsider, bMember] = await Promise.all([
      addUser(A, 'member'),
      addUser(A, 'member'),
      addUser(A, 'guest'),
      addUser(A, 'admin'),
      addUser(A, 'member'),
      addUser(B, 'member'),
    ]);
    const everyone = [A.ownerId, member.id, other.id, guest.id, admin.id];
    [publicCh, privateCh, archivedCh, bChannel] = await Promise.all([
      createChannel(A, 'public', everyone),
      createChannel(A, 'private', everyone),
      createChannel(A, 'public', everyone, { archived: true }),
      createChannel(B, 'private', [B.ownerId, bMember.id]),
    ]);
  });

  it('round trip: a raw upload is stored under the tenant prefix and downloads byte for byte with safe headers', async () => {
    const data = randomBytes(70_000);
    const res = await upload(A, privateCh, member.token, data, { filename: 'résumé "v2".pdf', type: 'application/pdf' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const a = res.body.attachment;
    expect(a).toMatchObject({ channelId: privateCh, filename: 'résumé "v2".pdf', contentType: 'application/pdf', sizeBytes: 70_000, uploaderId: member.id, url: `/api/attachments/${a.id}` });
    expect(Date.parse(a.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.headers.get('location')).toBe(`/api/attachments/${a.id}`);

    expect(await r2Keys(`${A.id}/`)).toContain(`${A.id}/${privateCh}/${a.id}/résumé "v2".pdf`);
    expect(await r2Keys(`${B.id}/`)).toEqual([]);

    const dl = await download(A, a.id, other.token);
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(data);
    expect(dl.headers.get('content-type')).toBe('application/pdf');
    expect(dl.headers.get('content-length')).toBe('70000');
    expect(dl.headers.get('content-disposition')).toBe(attachmentDisposition('résumé "v2".pdf'));
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(dl.headers.get('cache-control')).toMatch(/^private\b/);
    expect(dl.headers.get('etag')).toBe(`"${a.id}"`);

    // Revalidation with the ETag costs no body.
    const again = await download(A, a.id, other.token, { 'if-none-match': `"${a.id}"` });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const m = await meta(A, a.id, member.token);
    expect(m.status).toBe(200);
    expect(m.body.attachment).toEqual(a);
  });

  it('names the file from X-Filename (percent-encoded) or Content-Disposition, and sanitises it', async () => {
    const viaHeader = await uploaded(A, publicCh, member.token, 'x', { filename: undefined, headers: { 'x-filename': encodeURIComponent('naïve/../plan.txt') } });
    expect(viaHeader.filename).toBe('plan.txt');
    const viaDisposition = await uploaded(A, publicCh, member.token, 'x', { filename: undefined, headers: { 'content-disposition': "attachment; filename*=UTF-8''%E2%9C%93%20done.txt" } });
    expect(viaDisposition.filename).toBe('✓ done.txt');
    const unnamed = await uploaded(A, publicCh, member.token, 'x', { filename: undefined });
    expect(unnamed.filename).toBe('file');
    const long = await uploaded(A, publicCh, member.token, 'x', { filename: `${'n'.repeat(250)}\u0007.txt`, type: 'text/plain; charset=utf-8' });
    expect(long.filename).toBe(`${'n'.repeat(196)}.txt`);
    expect(long.contentType).toBe('text/plain; charset=utf-8');
    expect(await r2Keys(`${A.id}/${publicCh}/${long.id}/`)).toEqual([`${A.id}/${publicCh}/${long.id}/${'n'.repeat(196)}.txt`]);
  });

  it('accepts multipart/form-data with a file field', async () => {
    const form = new FormData();
    form.append('file', new File([bytesOf('hello, form')], 'greeting.txt', { type: 'text/plain' }));
    const res = await api(tenantUrl(A.slug, `/api/channels/${publicCh}/attachments`), { method: 'POST', headers: bearer(member.token), body: form });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.attachment).toMatchObject({ filename: 'greeting.txt', contentType: 'text/plain', sizeBytes: 11 });
    const dl = await download(A, res.body.attachment.id, member.token);
    expect(await dl.text()).toBe('hello, form');

    const noFile = new FormData();
    noFile.append('other', 'x');
    const bad = await api(tenantUrl(A.slug, `/api/channels/${publicCh}/attachments`), { method: 'POST', headers: bearer(member.token), body: noFile });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('accepts a raw body without Content-Length (buffered)', async () => {
    const data = randomBytes(3000);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 1000));
        controller.enqueue(data.subarray(1000));
        controller.close();
      },
    });
    const res = await fetchRaw(tenantUrl(A.slug, `/api/channels/${publicCh}/attachments?filename=stream.bin`), { method: 'POST', headers: bearer(member.token), body: stream });
    const body = (await res.json()) as Record<string, any>;
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.attachment.sizeBytes).toBe(3000);
    const dl = await download(A, body.attachment.id, member.token);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(data);
  });

  it('refuses an empty body with 400 and writes nothing', async () => {
    const before = await r2Keys(`${A.id}/`);
    const rowsBefore = (await attachmentRows(A)).length;
    const res = await upload(A, publicCh, member.token, '', { filename: 'empty.txt' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('empty_file');
    const noLength = await fetchRaw(tenantUrl(A.slug, `/api/channels/${publicCh}/attachments?filename=e`), { method: 'POST', headers: bearer(member.token), body: new ReadableStream({ start: (c) => c.close() }) });
    expect(noLength.status).toBe(400);
    expect(await r2Keys(`${A.id}/`)).toEqual(before);
    expect(await attachmentRows(A)).toHaveLength(rowsBefore);
  });

  it('lists a channel\'s attachments newest first, with cursor pagination', async () => {
    const ch = await createChannel(A, 'private', [A.ownerId, member.id]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await uploaded(A, ch, member.token, `file ${i}`, { filename: `f${i}.txt` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(A, ch, A.token, `limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.attachments.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.attachments.map((a: { id: string }) => a.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const all = await list(A, ch, member.token);
    expect(all.body.attachments.map((a: { filename: string }) => a.filename)).toEqual(['f4.txt', 'f3.txt', 'f2.txt', 'f1.txt', 'f0.txt']);
    expect(all.body.nextCursor).toBeNull();

    for (const query of ['cursor=not-a-cursor', 'limit=0', 'limit=101', 'limit=x']) {
      const bad = await list(A, ch, member.token, query);
      expect(bad.status, query).toBe(400);
    }
  });

  it('non-members of a private channel get 404 on upload, list, download, meta and delete; nothing is written', async () => {
    const a = await uploaded(A, privateCh, member.token, 'secret');
    const keys = await r2Keys(`${A.id}/`);
    const rows = (await attachmentRows(A)).length;

    const up = await upload(A, privateCh, outsider.token, 'intrusion', { filename: 'x.txt' });
    expect(up.status).toBe(404);
    expect(up.body.error.code).toBe('channel_not_found');
    expect((await list(A, privateCh, outsider.token)).status).toBe(404);
    const dl = await download(A, a.id, outsider.token);
    expect(dl.status).toBe(404);
    expect(((await dl.json()) as any).error.code).toBe('attachment_not_found');
    expect((await meta(A, a.id, outsider.token)).status).toBe(404);
    expect((await remove(A, a.id, outsider.token)).status).toBe(404);

    expect(await r2Keys(`${A.id}/`)).toEqual(keys);
    expect(await attachmentRows(A)).toHaveLength(rows);
  });

  it('non-members of a public channel may not upload (403) or download (404)', async () => {
    const a = await uploaded(A, publicCh, member.token, 'public file');
    const up = await upload(A, publicCh, outsider.token, 'x', { filename: 'x.txt' });
    expect(up.status).toBe(403);
    expect(up.body.error.code).toBe('not_a_member');
    expect((await download(A, a.id, outsider.token)).status).toBe(404);
    expect((await list(A, publicCh, outsider.token)).status).toBe(403);
  });

  it('an archived channel takes no uploads (409) but its files still download', async () => {
    const res = await upload(A, archivedCh, member.token, 'late', { filename: 'late.txt' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('channel_archived');
    expect(await r2Keys(`${A.id}/${archivedCh}/`)).toEqual([]);
  });

  it('a file whose object is gone from R2 is a 404, not a 500; HEAD answers without a body', async () => {
    const a = await uploaded(A, publicCh, member.token, 'here today');
    const head = await fetchRaw(tenantUrl(A.slug, `/api/attachments/${a.id}`), { method: 'HEAD', headers: bearer(member.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
    expect(await head.text()).toBe('');
    await env.FILES.delete((await r2Keys(`${A.id}/${publicCh}/${a.id}/`))[0]!);
    const dl = await download(A, a.id, member.token);
    expect(dl.status).toBe(404);
    expect(((await dl.json()) as any).error.code).toBe('attachment_not_found');
  });

  it('anonymous callers get 401', async () => {
    const a = await uploaded(A, publicCh, member.token, 'x');
    expect((await api(tenantUrl(A.slug, `/api/attachments/${a.id}`))).status).toBe(401);
    expect((await api(tenantUrl(A.slug, `/api/channels/${publicCh}/attachments`), { method: 'POST', body: 'x' })).status).toBe(401);
  });

  it('cross-tenant: A\'s token is refused on B\'s host (401), and B\'s attachment id is 404 on A\'s host', async () => {
    const b = await uploaded(B, bChannel, bMember.token, 'B only');
    expect(await r2Keys(`${B.id}/`)).toContain(`${B.id}/${bChannel}/${b.id}/file.bin`);

    const calls = [
      upload(B, bChannel, A.token, 'x', { filename: 'x' }),
      list(B, bChannel, A.token),
      api(tenantUrl(B.slug, `/api/attachments/${b.id}`), { headers: bearer(A.token) }),
      meta(B, b.id, A.token),
      remove(B, b.id, A.token),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain('B only');
    }

    // On A's own host, B's ids lead nowhere: A's role cannot read B's schema, and the ids are
    // looked up in A's schema only.
    expect((await download(A, b.id, A.token)).status).toBe(404);
    expect((await meta(A, b.id, member.token)).status).toBe(404);
    expect((await remove(A, b.id, A.token)).status).toBe(404);
    expect((await upload(A, bChannel, A.token, 'x', { filename: 'x' })).status).toBe(404);
    expect((await list(A, bChannel, A.token)).status).toBe(404);
    expect((await download(B, b.id, bMember.token)).status).toBe(200);
  });

  it.each([
    ['not-a-uuid'],
    ['00000000-0000-0000-0000-000000000000'],
    ['../../etc'],
  ])('bad id %j: 404 everywhere', async (id) => {
    const path = encodeURIComponent(id);
    expect((await download(A, path, member.token)).status).toBe(404);
    expect((await meta(A, path, member.token)).status).toBe(404);
    expect((await remove(A, path, member.token)).status).toBe(404);
    expect((await upload(A, path, member.token, 'x', { filename: 'x' })).status).toBe(404);
    expect((await list(A, path, member.token)).status).toBe(404);
  });

  it('delete: the uploader or an owner/admin; others 403; frees the storage, removes the object, download 404', async () => {
    const before = await currentUsage(A);
    const a = await uploaded(A, publicCh, member.token, randomBytes(1234));
    const b = await uploaded(A, publicCh, guest.token, randomBytes(321));
    const mid = await currentUsage(A);
    expect(mid).toEqual({ storage_bytes: before.storage_bytes + 1555, files: before.files + 2 });

    const byOther = await remove(A, a.id, other.token);
    expect(byOther.status).toBe(403);
    expect(byOther.body.error.code).toBe('forbidden');
    expect((await remove(A, a.id, guest.token)).status).toBe(403);
    expect(await r2Keys(`${A.id}/${publicCh}/${a.id}/`)).toHaveLength(1);

    expect((await remove(A, a.id, member.token)).status).toBe(204);
    expect(await currentUsage(A)).toEqual({ storage_bytes: mid.storage_bytes - 1234, files: mid.files - 1 });
    expect(await r2Keys(`${A.id}/${publicCh}/${a.id}/`)).toEqual([]);
    expect((await download(A, a.id, member.token)).status).toBe(404);
    expect((await meta(A, a.id, member.token)).status).toBe(404);
    expect((await list(A, publicCh, member.token)).body.attachments.map((x: { id: string }) => x.id)).not.toContain(a.id);
    // Soft-deleted: the row stays, marked.
    const row = (await attachmentRows(A)).find((r) => r.id === a.id);
    expect(row).toBeDefined();
    expect(row!.deleted_at).not.toBeNull();
    // A second delete finds nothing and frees nothing twice.
    expect((await remove(A, a.id, member.token)).status).toBe(404);

    // A guest may delete their own upload; an admin may delete anyone's.
    expect((await remove(A, b.id, admin.token)).status).toBe(204);
    expect(await currentUsage(A)).toEqual(before);
    expect((await download(A, b.id, guest.token)).status).toBe(404);

    const c = await uploaded(A, publicCh, guest.token, 'mine');
    expect((await remove(A, c.id, guest.token)).status).toBe(204);
    const d = await uploaded(A, publicCh, member.token, 'theirs');
    expect((await remove(A, d.id, A.token)).status).toBe(204);
    expect(await currentUsage(A)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Plan limits and usage
// ---------------------------------------------------------------------------------------------

describe('limits and usage', () => {
  it('an upload over the plan\'s per-file limit is 413 before anything reaches R2 or the database', async () => {
    const t = await createTenant();
    const ch = await createChannel(t, 'public', [t.ownerId]);
    // The free plan's own limit: 10 MiB per file.
    const res = await upload(t, ch, t.token, new Uint8Array(10 * MiB + 1), { filename: 'big.bin' });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: 10 * MiB, plan: 'free', upgrade: true } });
    expect(await r2Keys(`${t.id}/`)).toEqual([]);
    expect(await attachmentRows(t)).toEqual([]);
    expect(await usageRows(t)).toEqual([]);

    // A tenant's own override, and a body whose size is known only once read.
    await setLimits(t, { uploadBytes: 16 });
    expect((await upload(t, ch, t.token, 'x'.repeat(17), { filename: 'a.txt' })).status).toBe(413);
    const stream = await fetchRaw(tenantUrl(t.slug, `/api/channels/${ch}/attachments?filename=s.txt`), {
      method: 'POST',
      headers: bearer(t.token),
      body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(17)), c.close()) }),
    });
    expect(stream.status).toBe(413);
    const form = new FormData();
    form.append('file', new File([new Uint8Array(17)], 'f.bin'));
    expect((await api(tenantUrl(t.slug, `/api/channels/${ch}/attachments`), { method: 'POST', headers: bearer(t.token), body: form })).status).toBe(413);
    expect(await r2Keys(`${t.id}/`)).toEqual([]);
    expect(await attachmentRows(t)).toEqual([]);

    expect((await upload(t, ch, t.token, 'x'.repeat(16), { filename: 'ok.txt' })).status).toBe(201);
  });

  it('storage over the limit is 402 plan_limit with {limit, used, plan, upgrade}; nothing is written', async () => {
    const t = await createTenant();
    const ch = await createChannel(t, 'public', [t.ownerId]);
    await setLimits(t, { storageBytes: 10 });

    const tooBig = await upload(t, ch, t.token, 'x'.repeat(11), { filename: 'a.txt' });
    expect(tooBig.status).toBe(402);
    expect(tooBig.body.error).toMatchObject({ code: 'plan_limit', details: { limit: 10, used: 0, plan: 'free', upgrade: true } });

    expect((await upload(t, ch, t.token, 'x'.repeat(6), { filename: 'b.txt' })).status).toBe(201);
    const second = await upload(t, ch, t.token, 'x'.repeat(6), { filename: 'c.txt' });
    expect(second.status).toBe(402);
    expect(second.body.error.details).toMatchObject({ limit: 10, used: 6 });
    expect(await r2Keys(`${t.id}/`)).toHaveLength(1);
    expect((await attachmentRows(t)).length).toBe(1);
    expect(await currentUsage(t)).toEqual({ storage_bytes: 6, files: 1 });

    // Exactly up to the limit is allowed.
    expect((await upload(t, ch, t.token, 'x'.repeat(4), { filename: 'd.txt' })).status).toBe(201);
    expect(await currentUsage(t)).toEqual({ storage_bytes: 10, files: 2 });
  });

  it('concurrent uploads cannot together pass the storage limit', async () => {
    const t = await createTenant();
    const ch = await createChannel(t, 'public', [t.ownerId]);
    await setLimits(t, { storageBytes: 10 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(t, ch, t.token, 'abc', { filename: `${i}.txt` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 402, 402, 402]);
    expect(await currentUsage(t)).toEqual({ storage_bytes: 9, files: 3 });
    expect(await r2Keys(`${t.id}/`)).toHaveLength(3);
    expect((await attachmentRows(t)).length).toBe(3);
  });

  it('a new month starts from the latest earlier totals', async () => {
    const t = await createTenant();
    const ch = await createChannel(t, 'public', [t.ownerId]);
    const sql = database().sql;
    await sql.query('INSERT INTO public.tenant_usage (tenant_id, period, storage_bytes, files, messages) VALUES ($1, $2, 100, 3, 50), ($1, $3, 70, 2, 9)', [t.id, '2001-01', '2001-02']);
    await uploaded(t, ch, t.token, 'x'.repeat(5));
    expect(await currentUsage(t)).toEqual({ storage_bytes: 75, files: 3 });
    // Earlier months are history: unchanged.
    expect((await usageRows(t)).filter((r) => r.period < usagePeriod())).toEqual([
      { period: '2001-01', storage_bytes: 100, files: 3 },
      { period: '2001-02', storage_bytes: 70, files: 2 },
    ]);
    await setLimits(t, { storageBytes: 80 });
    const res = await upload(t, ch, t.token, 'x'.repeat(6), { filename: 'y' });
    expect(res.status).toBe(402);
    expect(res.body.error.details).toMatchObject({ limit: 80, used: 75 });
  });

  it('when the database write fails after the R2 put, the object is removed again (no orphan)', async () => {
    const t = await createTenant();
    const ch = await createChannel(t, 'public', [t.ownerId]);
    // Every new attachment row now violates a constraint: the metadata write fails.
    await database().sql.query(`ALTER TABLE "${schemaOf(t.slug)}".nchat_attachments ADD CONSTRAINT test_refuse_all CHECK (size_bytes < 0) NOT VALID`, []);
    const res = await upload(t, ch, t.token, 'doomed', { filename: 'doomed.txt' });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('test_refuse_all');
    expect(await r2Keys(`${t.id}/`)).toEqual([]);
    expect(await attachmentRows(t)).toEqual([]);
    expect(await currentUsage(t)).toEqual({ storage_bytes: 0, files: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// Bulk removal helpers (for channel deletion and tenant purge)
// ---------------------------------------------------------------------------------------------

describe('bulk removal', () => {
  it('releasing a channel frees its live files\' storage once; its prefix and the tenant prefix empty R2', async () => {
    const t = await createTenant();
    const [keep, drop] = await Promise.all([createChannel(t, 'public', [t.ownerId]), createChannel(t, 'public', [t.ownerId])]);
    await uploaded(t, keep, t.token, 'x'.repeat(10));
    const gone = await uploaded(t, drop, t.token, 'x'.repeat(20));
    await uploaded(t, drop, t.token, 'x'.repeat(30));
    expect((await remove(t, gone.id, t.token)).status).toBe(204);
    expect(await currentUsage(t)).toEqual({ storage_bytes: 40, files: 2 });

    const tdb = tenantDb(t);
    // As a channel delete would: release first, then the DELETE (the rows cascade), one transaction.
    const [released] = await tdb.transaction([releaseChannelStorageQuery(tdb, drop), tdb.sql.query('DELETE FROM nchat_channels WHERE id = $1', [drop]) as Query]);
    expect(released).toHaveLength(1);
    expect({ files: released![0]!.files, bytes: Number(released![0]!.bytes) }).toEqual({ files: 1, bytes: 30 });
    expect(await currentUsage(t)).toEqual({ storage_bytes: 10, files: 1 });
    // Nothing left to release: a second run changes nothing.
    const [again] = await tdb.transaction([releaseChannelStorageQuery(tdb, drop)]);
    expect(again![0]).toMatchObject({ files: 0 });
    expect(await currentUsage(t)).toEqual({ storage_bytes: 10, files: 1 });

    expect(await deleteChannelFiles(env.FILES, t.id, drop)).toBe(1);
    expect(await r2Keys(`${t.id}/${drop}/`)).toEqual([]);
    expect(await r2Keys(`${t.id}/${keep}/`)).toHaveLength(1);
    expect(await deleteTenantFiles(env.FILES, t.id)).toBe(1);
    expect(await r2Keys(`${t.id}/`)).toEqual([]);
  });
});
