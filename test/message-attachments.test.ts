/**
 * Files attached to their message (issue 11): upload first, then post the message with
 * `attachmentIds`, over REST or a socket. Only the author's own fresh uploads to that channel
 * can go with it; a deleted message takes its files with it (storage given back, objects gone).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { usagePeriod } from '../src/attachments/usage';
import { chatWorkspace, type ChatWorkspace, type Client } from './support/chat';
import { adminAuth, api, bearer, database, expectError, PLATFORM, tenantUrl } from './support/tenants';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

async function upload(w: ChatWorkspace, who: Client, channelId: string, name = 'photo.png'): Promise<Record<string, any>> {
  const res = await api(tenantUrl(w.t.slug, `/api/channels/${channelId}/attachments?filename=${encodeURIComponent(name)}`), {
    method: 'POST',
    headers: { ...bearer(who.token), 'content-type': 'image/png', 'content-length': String(PNG.byteLength) },
    body: PNG,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.attachment;
}

async function messageCount(w: ChatWorkspace, channelId: string): Promise<number> {
  const rows = (await database().sql.query(`SELECT count(*)::int AS n FROM "${w.schema}".nchat_messages WHERE channel_id = $1`, [channelId])) as { n: number }[];
  return rows[0]!.n;
}

async function storage(w: ChatWorkspace): Promise<{ storage_bytes: number; files: number }> {
  const rows = (await database().sql.query('SELECT storage_bytes::int, files FROM public.tenant_usage WHERE tenant_id = $1 AND period = $2', [w.t.id, usagePeriod()])) as { storage_bytes: number; files: number }[];
  return rows[0] ?? { storage_bytes: 0, files: 0 };
}

async function room() {
  const w = await chatWorkspace();
  const bob = await w.user('member');
  const ch = await w.owner.channel('photos');
  await bob.join(ch.id);
  return { w, bob, ch };
}

describe('a message with files', () => {
  it('over REST: the files are linked to the message, listed on it, and reach the other side over the socket', async () => {
    const { w, bob, ch } = await room();
    const socket = await bob.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    const a = await upload(w, w.owner, ch.id, 'one.png');
    const b = await upload(w, w.owner, ch.id, 'two.png');
    expect(a.messageId).toBeNull();
    const res = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: '', attachmentIds: [a.id, b.id, a.id] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const expected = [a, b].map((x) => ({ id: x.id, filename: x.filename, contentType: 'image/png', sizeBytes: PNG.byteLength, url: `/api/attachments/${x.id}` }));
    expect(res.body.message.attachments).toEqual(expected);
    const heard = await socket.next((f) => f.type === 'message.created');
    expect(heard.message.attachments).toEqual(expected);
    expect((await bob.get(`/api/attachments/${a.id}/meta`)).body.attachment.messageId).toBe(res.body.message.id);
    const page = await bob.get(`/api/channels/${ch.id}/messages`);
    expect(page.body.messages[0].attachments).toEqual(expected);
    // The image is served to members for an <img>.
    const img = await api(tenantUrl(w.t.slug, expected[0]!.url), { headers: bearer(bob.token) });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    socket.close();
  });

  it('over a socket, like REST', async () => {
    const { w, ch } = await room();
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    const a = await upload(w, w.owner, ch.id);
    socket.send({ type: 'message', text: 'look', clientId: 'f1', attachmentIds: [a.id] });
    const created = await socket.next((f) => f.type === 'message.created' && f.message.clientId === 'f1');
    expect(created.message.attachments.map((x: { id: string }) => x.id)).toEqual([a.id]);
    socket.close();
  });

  it.each(['someone else’s upload', 'an upload to another channel', 'an upload already attached', 'a deleted upload', 'an unknown id'] as const)(
    'refuses %s: 400 invalid_attachment, nothing stored',
    async (what) => {
      const { w, bob, ch } = await room();
      const other = await w.owner.channel('elsewhere');
      let id: string;
      if (what === 'someone else’s upload') id = (await upload(w, bob, ch.id)).id;
      else if (what === 'an upload to another channel') id = (await upload(w, w.owner, other.id)).id;
      else if (what === 'an upload already attached') {
        id = (await upload(w, w.owner, ch.id)).id;
        expect((await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'first', attachmentIds: [id] })).status).toBe(201);
      } else if (what === 'a deleted upload') {
        id = (await upload(w, w.owner, ch.id)).id;
        expect((await w.owner.del(`/api/attachments/${id}`)).status).toBe(204);
      } else id = crypto.randomUUID();
      const before = await messageCount(w, ch.id);
      expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'with it', attachmentIds: [id] }), 400, 'invalid_attachment');
      expect(await messageCount(w, ch.id)).toBe(before);
    },
  );

  it('another workspace’s upload cannot go with a message', async () => {
    const mine = await room();
    const theirs = await room();
    const foreign = await upload(theirs.w, theirs.w.owner, theirs.ch.id);
    expectError(await mine.w.owner.post(`/api/channels/${mine.ch.id}/messages`, { text: 'x', attachmentIds: [foreign.id] }), 400, 'invalid_attachment');
    expect((await theirs.w.owner.get(`/api/attachments/${foreign.id}/meta`)).body.attachment.messageId).toBeNull();
  });

  it('a message needs text or files; more than 10 files is refused', async () => {
    const { w, ch } = await room();
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: '  ' }), 400, 'validation_failed');
    const ids = Array.from({ length: 11 }, () => crypto.randomUUID());
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'x', attachmentIds: ids }), 400, 'validation_failed');
  });

  it('file uploads switched off: a message with files is refused by the admission rule (403), one without goes in', async () => {
    const { w, ch } = await room();
    const a = await upload(w, w.owner, ch.id);
    const res = await api(`${PLATFORM}/api/tenants/${w.t.id}`, { method: 'PUT', headers: adminAuth, json: { plan: 'custom', features: { fileUploads: false } } });
    expect(res.status).toBe(200);
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'x', attachmentIds: [a.id] }), 403, 'feature_not_in_plan');
    expect((await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'x' })).status).toBe(201);
  });

  it('deleting the message takes its files: storage given back, the object gone from R2, downloads 404', async () => {
    const { w, bob, ch } = await room();
    const a = await upload(w, w.owner, ch.id);
    expect(await storage(w)).toEqual({ storage_bytes: PNG.byteLength, files: 1 });
    const posted = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'soon gone', attachmentIds: [a.id] });
    const deleted = await w.owner.del(`/api/messages/${posted.body.message.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.message.attachments).toEqual([]);
    expect(await storage(w)).toEqual({ storage_bytes: 0, files: 0 });
    expect((await env.FILES.list({ prefix: `${w.t.id}/${ch.id}/` })).objects).toEqual([]);
    expectError(await bob.get(`/api/attachments/${a.id}`), 404, 'attachment_not_found');
  });
});
