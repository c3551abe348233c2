/**
 * Messages (issue 4, point 5): posting with per-channel sequence numbers, listing with cursors,
 * edits, tombstones, threads, reactions, mentions, full-text search, group commit, and the
 * cross-tenant wall on every chat route. Through the Worker as a client sees it.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatRoom } from '../durable-objects/chat-room';
import worker from '../src/index';
import { chatWorkspace, openSocket, ownChannels, range, untilInPostgres, waitForSeqs, type ChatWorkspace, type Client } from './support/chat';
import { connectionString, envWith, gatewayStats, resetGatewayStats } from './support/gateway';
import { api, bearer, database, tenantUrl, type CreateOptions } from './support/tenants';

/** A 14-day Pro trial: for the Pro features (search). */
const PRO_TRIAL: CreateOptions = { trial: true };

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

async function timeline(c: Client, channelId: string, query = ''): Promise<any[]> {
  const res = await c.get(`/api/channels/${channelId}/messages${query}`);
  if (res.status !== 200) throw new Error(`list: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.messages;
}

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await database().sql.query(query, params)) as T[];
}

/** A workspace with a public channel the owner created and Bob joined. */
async function room(options: CreateOptions = {}): Promise<{ w: ChatWorkspace; bob: Client & { id: string }; ch: Record<string, any> }> {
  const w = await chatWorkspace(options);
  const bob = await w.user('member');
  const ch = await w.owner.channel('lounge');
  await bob.join(ch.id);
  return { w, bob, ch };
}

describe('posting', () => {
  it('201 with the stored message; seq starts at 1 and is consecutive per channel', async () => {
    const { w, bob, ch } = await room();
    const other = await w.owner.channel('other');
    const first = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'hello world', clientId: 'c-1' });
    expect(first.status).toBe(201);
    expect(first.body.message).toEqual({
      id: expect.any(Number),
      channelId: ch.id,
      seq: 1,
      userId: w.owner.id,
      parentId: null,
      text: 'hello world',
      clientId: 'c-1',
      replyCount: 0,
      lastReplyAt: null,
      editedAt: null,
      deleted: false,
      deletedAt: null,
      createdAt: expect.stringMatching(ISO),
      mentions: [],
      reactions: [],
      attachments: [],
    });
    expect(Math.abs(Date.parse(first.body.message.createdAt) - Date.now())).toBeLessThan(60_000);
    const second = await bob.say(ch.id, 'second');
    const third = await w.owner.say(ch.id, 'third');
    expect([second.seq, third.seq]).toEqual([2, 3]);
    expect(third.id).toBeGreaterThan(second.id);
    // Another channel has its own sequence.
    expect((await w.owner.say(other.id, 'elsewhere')).seq).toBe(1);
    // The stored copy is what was returned.
    expect((await w.owner.get(`/api/messages/${first.body.message.id}`)).body.message).toEqual(first.body.message);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel).toMatchObject({ lastSeq: 3 });
  });

  it('accepts exactly 4,000 characters', async () => {
    const { w, ch } = await room();
    const res = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'x'.repeat(4000) });
    expect(res.status).toBe(201);
    expect(res.body.message.text).toHaveLength(4000);
  });

  it.each([
    ['empty text', { text: '' }, 'text'],
    ['whitespace only', { text: ' \n\t ' }, 'text'],
    ['4,001 characters', { text: 'y'.repeat(4001) }, 'text'],
    ['no text', {}, 'text'],
    ['text that is not a string', { text: 42 }, 'text'],
    ['a parentId that is not a positive integer', { text: 'hi', parentId: 'abc' }, 'parentId'],
    ['an unknown field', { text: 'hi', channelId: UNKNOWN_UUID }, ''],
  ])('refuses %s: 400 validation_failed, nothing stored', async (_label, body, path) => {
    const { w, ch } = await room();
    const res = await w.owner.post(`/api/channels/${ch.id}/messages`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((i: any) => i.path)).toContain(path);
    expect(await timeline(w.owner, ch.id)).toEqual([]);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.lastSeq).toBe(0);
    // And no gap: the next message is seq 1.
    expect((await w.owner.say(ch.id, 'ok')).seq).toBe(1);
  });

  it('a non-member of a private channel: 404 channel_not_found, nothing stored', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('secret', 'private');
    const res = await bob.post(`/api/channels/${ch.id}/messages`, { text: 'let me in' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('channel_not_found');
    expect(await timeline(w.owner, ch.id)).toEqual([]);
  });

  it('a non-member of a public channel: 403 not_a_member, nothing stored', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('open');
    const res = await bob.post(`/api/channels/${ch.id}/messages`, { text: 'drive-by' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
    expect(await timeline(w.owner, ch.id)).toEqual([]);
  });

  it.each([
    ['an unknown channel', UNKNOWN_UUID],
    ['a malformed channel id', 'general'],
  ])('%s: 404 channel_not_found', async (_label, id) => {
    const w = await chatWorkspace();
    const res = await w.owner.post(`/api/channels/${id}/messages`, { text: 'into the void' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('channel_not_found');
  });

  it('a guest who was added to a private channel may post there', async () => {
    const w = await chatWorkspace();
    const guest = await w.user('guest');
    const ch = await w.owner.channel('with-guest', 'private', { memberIds: [guest.id] });
    expect((await guest.post(`/api/channels/${ch.id}/messages`, { text: 'hi from a guest' })).status).toBe(201);
  });

  it('without a session: 401', async () => {
    const { w, ch } = await room();
    const res = await api(tenantUrl(w.t.slug, `/api/channels/${ch.id}/messages`), { method: 'POST', json: { text: 'anon' } });
    expect(res.status).toBe(401);
    expect(await timeline(w.owner, ch.id)).toEqual([]);
  });
});

describe('listing', () => {
  async function fiveMessages() {
    const r = await room();
    const ms: Record<string, any>[] = [];
    for (const i of range(5)) ms.push(await (i % 2 ? r.w.owner : r.bob).say(r.ch.id, `m${i}`));
    return { ...r, ms };
  }

  it('newest first by default, with hasMore false when everything fits', async () => {
    const { w, ch } = await fiveMessages();
    const res = await w.owner.get(`/api/channels/${ch.id}/messages`);
    expect(res.status).toBe(200);
    expect(res.body.order).toBe('newest_first');
    expect(res.body.hasMore).toBe(false);
    expect(res.body.messages.map((m: any) => m.text)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(res.body.messages.map((m: any) => m.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  it('limit, before and after cursors; paging with before visits every message once', async () => {
    const { w, ch, ms } = await fiveMessages();
    const limited = await w.owner.get(`/api/channels/${ch.id}/messages?limit=2`);
    expect(limited.body.messages.map((m: any) => m.text)).toEqual(['m5', 'm4']);
    expect(limited.body.hasMore).toBe(true);

    const before = await w.owner.get(`/api/channels/${ch.id}/messages?before=${ms[3]!.id}&limit=2`);
    expect(before.body.messages.map((m: any) => m.text)).toEqual(['m3', 'm2']);
    expect(before.body.hasMore).toBe(true);

    const after = await w.owner.get(`/api/channels/${ch.id}/messages?after=${ms[1]!.id}`);
    expect(after.body.order).toBe('oldest_first');
    expect(after.body.messages.map((m: any) => m.text)).toEqual(['m3', 'm4', 'm5']);
    expect(after.body.hasMore).toBe(false);

    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await w.owner.get(`/api/channels/${ch.id}/messages?limit=2${cursor}`);
      seen.push(...res.body.messages.map((m: any) => m.text));
      if (!res.body.hasMore) break;
      cursor = `&before=${res.body.messages.at(-1).id}`;
    }
    expect(seen).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);

    const afterLast = await w.owner.get(`/api/channels/${ch.id}/messages?after=${ms[4]!.id}`);
    expect(afterLast.body).toEqual({ messages: [], hasMore: false, order: 'oldest_first' });
  });

  it.each([
    ['before=abc', 'before'],
    ['after=abc', 'after'],
    ['before=-1', 'before'],
    ['limit=101', 'limit'],
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['before=3&after=1', ''],
  ])('?%s: 400 validation_failed', async (query, path) => {
    const { w, ch } = await room();
    const res = await w.owner.get(`/api/channels/${ch.id}/messages?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((i: any) => i.path)).toContain(path);
  });

  it('limit=100 is allowed', async () => {
    const { w, ch } = await room();
    expect((await w.owner.get(`/api/channels/${ch.id}/messages?limit=100`)).status).toBe(200);
  });

  it('a non-member may read a public channel, not a private one (404)', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const pub = await w.owner.channel('pub');
    const priv = await w.owner.channel('priv', 'private');
    await w.owner.say(pub.id, 'for everyone');
    await w.owner.say(priv.id, 'for us');
    expect((await timeline(bob, pub.id)).map((m) => m.text)).toEqual(['for everyone']);
    const res = await bob.get(`/api/channels/${priv.id}/messages`);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain('for us');
  });

  it("a private channel's members read it until they are removed (then 404); an unknown or malformed channel is 404", async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const priv = await w.owner.channel('inner', 'private', { memberIds: [bob.id] });
    await w.owner.say(priv.id, 'members only');
    expect((await timeline(bob, priv.id)).map((m) => m.text)).toEqual(['members only']);
    expect((await w.owner.del(`/api/channels/${priv.id}/members/${bob.id}`)).status).toBe(200);
    for (const query of ['', '?limit=1', `?after=0`]) {
      const res = await bob.get(`/api/channels/${priv.id}/messages${query}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('channel_not_found');
      expect(JSON.stringify(res.body)).not.toContain('members only');
    }
    for (const id of [UNKNOWN_UUID, 'not-a-channel']) {
      const res = await w.owner.get(`/api/channels/${id}/messages`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('channel_not_found');
    }
  });
});

describe('getting one message', () => {
  it.each([
    ['a message of a private channel the caller is not in', 'private'],
    ['an unknown id', 'unknown'],
    ['a non-numeric id', 'abc'],
  ])('%s: 404 message_not_found', async (_label, which) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('hush', 'private');
    const m = await w.owner.say(ch.id, 'classified');
    const id = which === 'private' ? m.id : which === 'unknown' ? 999999 : 'abc';
    const res = await bob.get(`/api/messages/${id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('message_not_found');
    expect(JSON.stringify(res.body)).not.toContain('classified');
  });
});

describe('editing', () => {
  it('the author edits: new text, editedAt set, visible in the timeline', async () => {
    const { w, ch } = await room();
    const m = await w.owner.say(ch.id, 'teh typo');
    const res = await w.owner.patch(`/api/messages/${m.id}`, { text: 'the typo' });
    expect(res.status).toBe(200);
    expect(res.body.message).toMatchObject({ id: m.id, seq: m.seq, text: 'the typo', editedAt: expect.stringMatching(ISO), createdAt: m.createdAt, deleted: false });
    expect((await timeline(w.owner, ch.id))[0]).toMatchObject({ id: m.id, text: 'the typo', editedAt: res.body.message.editedAt });
  });

  it.each([
    ['another member', 'member'],
    ['a workspace admin', 'admin'],
    ['the workspace owner', 'owner'],
  ])('%s may not edit someone else’s message: 403, text unchanged', async (_label, who) => {
    const { w, bob, ch } = await room();
    const admin = await w.user('admin');
    await admin.join(ch.id);
    const m = await bob.say(ch.id, 'mine');
    const actor = who === 'member' ? await w.user('member') : who === 'admin' ? admin : w.owner;
    if (who === 'member') await actor.join(ch.id);
    const res = await actor.patch(`/api/messages/${m.id}`, { text: 'not yours' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message).toMatchObject({ text: 'mine', editedAt: null });
  });

  it.each([
    ['empty text', ''],
    ['whitespace', '   '],
    ['4,001 characters', 'z'.repeat(4001)],
  ])('an edit to %s: 400, text unchanged', async (_label, text) => {
    const { w, ch } = await room();
    const m = await w.owner.say(ch.id, 'original');
    const res = await w.owner.patch(`/api/messages/${m.id}`, { text });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message).toMatchObject({ text: 'original', editedAt: null });
  });

  it('a deleted message cannot be edited: 409', async () => {
    const { w, ch } = await room();
    const m = await w.owner.say(ch.id, 'gone soon');
    await w.owner.del(`/api/messages/${m.id}`);
    const res = await w.owner.patch(`/api/messages/${m.id}`, { text: 'resurrect' });
    expect(res.status).toBe(409);
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message).toMatchObject({ text: '', deleted: true });
  });
});

describe('deleting', () => {
  it.each([
    ['its author', 'author'],
    ['a workspace admin', 'admin'],
    ['the workspace owner', 'owner'],
  ])('%s deletes a message: a tombstone stays in its place (deleted, empty text)', async (_label, who) => {
    const { w, bob, ch } = await room();
    const admin = await w.user('admin');
    await bob.say(ch.id, 'before');
    const m = await bob.say(ch.id, 'regrettable');
    await bob.say(ch.id, 'after');
    await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':eyes:' });
    const actor = who === 'author' ? bob : who === 'admin' ? admin : w.owner;
    const res = await actor.del(`/api/messages/${m.id}`);
    expect(res.status).toBe(200);
    expect(res.body.message).toMatchObject({ id: m.id, seq: m.seq, deleted: true, text: '', deletedAt: expect.stringMatching(ISO), reactions: [] });
    const list = await timeline(w.owner, ch.id);
    expect(list.map((x) => [x.seq, x.text, x.deleted])).toEqual([
      [3, 'after', false],
      [2, '', true],
      [1, 'before', false],
    ]);
    // The words are gone from the database too, not only from the view.
    const rows = await sql<{ text: string }>(`SELECT text FROM "${w.schema}".nchat_messages WHERE id = $1`, [m.id]);
    expect(rows[0]!.text).toBe('');
    // Deleting again is harmless.
    expect((await actor.del(`/api/messages/${m.id}`)).status).toBe(200);
  });

  it.each([
    ['another member', 'member'],
    ['a guest member', 'guest'],
  ])('%s may not delete someone else’s message: 403', async (_label, role) => {
    const { w, ch } = await room();
    const actor = await w.user(role as 'member' | 'guest');
    await w.owner.post(`/api/channels/${ch.id}/members`, { userId: actor.id });
    const m = await w.owner.say(ch.id, 'keep me');
    const res = await actor.del(`/api/messages/${m.id}`);
    expect(res.status).toBe(403);
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message).toMatchObject({ text: 'keep me', deleted: false });
  });
});

describe('threads', () => {
  it('a reply counts on its parent, lists in the thread, and stays out of the timeline', async () => {
    const { w, bob, ch } = await room();
    const parent = await w.owner.say(ch.id, 'thread starter');
    const r1 = await bob.post(`/api/channels/${ch.id}/messages`, { text: 'first reply', parentId: parent.id });
    expect(r1.status).toBe(201);
    expect(r1.body.message).toMatchObject({ parentId: parent.id, seq: 2, text: 'first reply' });
    const afterOne = (await w.owner.get(`/api/messages/${parent.id}`)).body.message;
    expect(afterOne).toMatchObject({ replyCount: 1, lastReplyAt: r1.body.message.createdAt });
    const r2 = await w.owner.say(ch.id, 'second reply', { parentId: parent.id });
    const afterTwo = (await w.owner.get(`/api/messages/${parent.id}`)).body.message;
    expect(afterTwo).toMatchObject({ replyCount: 2, lastReplyAt: r2.createdAt });

    const thread = await bob.get(`/api/messages/${parent.id}/thread`);
    expect(thread.status).toBe(200);
    expect(thread.body.parent).toMatchObject({ id: parent.id, replyCount: 2 });
    expect(thread.body.replies.map((m: any) => m.text)).toEqual(['first reply', 'second reply']);
    expect(thread.body.hasMore).toBe(false);
    const paged = await bob.get(`/api/messages/${parent.id}/thread?limit=1`);
    expect(paged.body.replies.map((m: any) => m.text)).toEqual(['first reply']);
    expect(paged.body.hasMore).toBe(true);
    const rest = await bob.get(`/api/messages/${parent.id}/thread?after=${r1.body.message.id}`);
    expect(rest.body.replies.map((m: any) => m.text)).toEqual(['second reply']);

    const top = await timeline(w.owner, ch.id);
    expect(top.map((m) => m.text)).toEqual(['thread starter']);
    expect(top[0]).toMatchObject({ replyCount: 2 });
  });

  it.each([
    ['a reply (threads are one level deep)', 'reply'],
    ['a message of another channel', 'other-channel'],
    ['an unknown message', 'unknown'],
    ['a deleted message', 'deleted'],
    ['a message of a private channel the caller is not in', 'hidden'],
  ])('a reply to %s: 400 invalid_parent, nothing stored', async (_label, which) => {
    const { w, bob, ch } = await room();
    const parent = await w.owner.say(ch.id, 'parent');
    const reply = await w.owner.say(ch.id, 'reply', { parentId: parent.id });
    const other = await w.owner.channel('elsewhere');
    const elsewhere = await w.owner.say(other.id, 'over there');
    const hiddenCh = await w.owner.channel('hidden', 'private');
    const hidden = await w.owner.say(hiddenCh.id, 'secret parent');
    const doomed = await w.owner.say(ch.id, 'doomed');
    await w.owner.del(`/api/messages/${doomed.id}`);
    const parentId = { reply: reply.id, 'other-channel': elsewhere.id, unknown: 987654, deleted: doomed.id, hidden: hidden.id }[which];
    const res = await bob.post(`/api/channels/${ch.id}/messages`, { text: 'misplaced', parentId });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_parent');
    const rows = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${w.schema}".nchat_messages WHERE text = 'misplaced'`);
    expect(Number(rows[0]!.n)).toBe(0);
    expect((await w.owner.get(`/api/messages/${parent.id}`)).body.message.replyCount).toBe(1);
  });

  it('the thread of a reply is refused (400); of an unknown message 404', async () => {
    const { w, ch } = await room();
    const parent = await w.owner.say(ch.id, 'p');
    const reply = await w.owner.say(ch.id, 'r', { parentId: parent.id });
    expect((await w.owner.get(`/api/messages/${reply.id}/thread`)).status).toBe(400);
    expect((await w.owner.get('/api/messages/424242/thread')).status).toBe(404);
    expect((await w.owner.get(`/api/messages/${parent.id}/thread?after=abc`)).status).toBe(400);
  });
});

describe('reactions', () => {
  it('add (201), re-add (200, no duplicate), counts and who, remove', async () => {
    const { w, bob, ch } = await room();
    const m = await w.owner.say(ch.id, 'react to me');
    const add = await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':thumbsup:' });
    expect(add.status).toBe(201);
    expect(add.body.reactions).toEqual([{ emoji: ':thumbsup:', count: 1, users: [w.owner.id] }]);
    const again = await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':thumbsup:' });
    expect(again.status).toBe(200);
    expect(again.body.reactions).toEqual([{ emoji: ':thumbsup:', count: 1, users: [w.owner.id] }]);
    const bobs = await bob.post(`/api/messages/${m.id}/reactions`, { emoji: ':thumbsup:' });
    expect(bobs.body.reactions).toEqual([{ emoji: ':thumbsup:', count: 2, users: [w.owner.id, bob.id] }]);
    const party = await bob.post(`/api/messages/${m.id}/reactions`, { emoji: '🎉' });
    expect(party.status).toBe(201);
    expect(party.body.reactions).toEqual([
      { emoji: ':thumbsup:', count: 2, users: [w.owner.id, bob.id] },
      { emoji: '🎉', count: 1, users: [bob.id] },
    ]);
    // The message carries them.
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message.reactions).toEqual(party.body.reactions);

    const removed = await w.owner.del(`/api/messages/${m.id}/reactions/${encodeURIComponent(':thumbsup:')}`);
    expect(removed.status).toBe(200);
    expect(removed.body.reactions).toEqual([
      { emoji: ':thumbsup:', count: 1, users: [bob.id] },
      { emoji: '🎉', count: 1, users: [bob.id] },
    ]);
    const unicode = await bob.del(`/api/messages/${m.id}/reactions/${encodeURIComponent('🎉')}`);
    expect(unicode.status).toBe(200);
    expect(unicode.body.reactions).toEqual([{ emoji: ':thumbsup:', count: 1, users: [bob.id] }]);
    // Removing what is not there: 404.
    expect((await w.owner.del(`/api/messages/${m.id}/reactions/${encodeURIComponent(':thumbsup:')}`)).status).toBe(404);
  });

  it.each([
    ['a word', 'nope'],
    ['empty', ''],
    ['a shortcode with a space', ':has space:'],
    ['markup', '<script>'],
    ['a very long shortcode', `:${'a'.repeat(60)}:`],
  ])('a bad emoji (%s): 400, nothing stored', async (_label, emoji) => {
    const { w, ch } = await room();
    const m = await w.owner.say(ch.id, 'no reactions here');
    const res = await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message.reactions).toEqual([]);
  });

  it.each([
    ['a percent sign', '%25'],
    ['a stray escape', '%25E0%25A4%25A'],
    ['a word', 'nope'],
  ])('removing a reaction named by %s in the path: 400, not a 500', async (_label, raw) => {
    const { w, ch } = await room();
    const m = await w.owner.say(ch.id, 'path games');
    await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':ok:' });
    const res = await w.owner.del(`/api/messages/${m.id}/reactions/${raw}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message.reactions).toHaveLength(1);
  });

  it('a non-member of a public channel cannot react (403); a deleted message cannot get reactions (409)', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('watchers');
    const m = await w.owner.say(ch.id, 'look');
    const outsider = await bob.post(`/api/messages/${m.id}/reactions`, { emoji: ':wave:' });
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBe('not_a_member');
    await w.owner.del(`/api/messages/${m.id}`);
    expect((await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':wave:' })).status).toBe(409);
  });
});

describe('mentions', () => {
  it('@handles resolve to users by e-mail local part or display name without spaces', async () => {
    const { w, ch } = await room();
    const dana = await w.user('member', { localPart: 'dana.scully', displayName: 'Agent Scully' });
    const fox = await w.user('member', { localPart: 'fmulder', displayName: 'Fox Mulder' });
    const walter = await w.user('member', { localPart: 'skinner', displayName: 'Walter' });
    await deactivate(w, walter.id);
    const m = await w.owner.say(ch.id, 'ping @Dana.Scully, @foxmulder! and @nobody, mail me@fmulder, also @skinner');
    expect(m.mentions).toEqual([dana.id, fox.id].sort());
    expect((await w.owner.get(`/api/messages/${m.id}`)).body.message.mentions).toEqual([dana.id, fox.id].sort());
    const stored = await sql<{ user_id: string }>(`SELECT user_id FROM "${w.schema}".nchat_mentions WHERE message_id = $1 ORDER BY user_id`, [m.id]);
    expect(stored.map((r) => r.user_id)).toEqual([dana.id, fox.id].sort());
  });

  it('an edit re-resolves mentions; a delete removes them', async () => {
    const { w, ch } = await room();
    const dana = await w.user('member', { localPart: 'dana', displayName: 'Dana' });
    const fox = await w.user('member', { localPart: 'fox', displayName: 'Fox' });
    const m = await w.owner.say(ch.id, 'hey @dana');
    expect(m.mentions).toEqual([dana.id]);
    const edited = await w.owner.patch(`/api/messages/${m.id}`, { text: 'hey @fox' });
    expect(edited.body.message.mentions).toEqual([fox.id]);
    const deleted = await w.owner.del(`/api/messages/${m.id}`);
    expect(deleted.body.message.mentions).toEqual([]);
  });
});

async function deactivate(w: ChatWorkspace, userId: string) {
  await database().sql.query(`UPDATE "${w.schema}".nchat_users SET status = 'deactivated', session_version = session_version + 1 WHERE id = $1`, [userId]);
}

// Search is a Pro feature: these workspaces are on a Pro trial (test/feature-gating.test.ts has the free plan).
describe('search', () => {
  it('finds messages in public and member channels, ranked; never in others’ private channels or deleted messages', async () => {
    const w = await chatWorkspace(PRO_TRIAL);
    const bob = await w.user('member');
    const pub = await bob.channel('bobs-public'); // the owner is not a member
    const shared = await bob.channel('shared-private', 'private', { memberIds: [w.owner.id] });
    const bobsOnly = await bob.channel('bobs-secret', 'private');
    const weak = await bob.say(pub.id, 'the kumquat harvest was late this year');
    const strong = await bob.say(shared.id, 'kumquat kumquat kumquat everywhere');
    await bob.say(bobsOnly.id, 'secret kumquat recipe');
    const gone = await bob.say(pub.id, 'deleted kumquat words');
    await bob.del(`/api/messages/${gone.id}`);
    await bob.say(pub.id, 'nothing to see');

    const res = await w.owner.get('/api/search?q=kumquat');
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.message.id)).toEqual([strong.id, weak.id]);
    expect(res.body.results[0]).toMatchObject({ channelName: 'shared-private', message: { text: 'kumquat kumquat kumquat everywhere' } });
    expect(res.body.results[0].rank).toBeGreaterThan(res.body.results[1].rank);
    expect(res.body.results[0].highlight).toContain('kumquat');
    expect(res.body.nextCursor).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(JSON.stringify(res.body)).not.toContain('deleted kumquat');
    // Bob sees his private channel's message too.
    expect((await bob.get('/api/search?q=kumquat')).body.results).toHaveLength(3);
  });

  it('paginates with the cursor: every match exactly once', async () => {
    const { w, ch } = await room(PRO_TRIAL);
    const ids = [];
    for (const i of range(5)) ids.push((await w.owner.say(ch.id, `rutabaga number ${i}`)).id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await w.owner.get(`/api/search?q=rutabaga&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.results.map((r: any) => r.message.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(ids);
  });

  it.each([
    ['q=', 'q'],
    ['q=%20%20', 'q'],
    ['', 'q'],
    ['q=x&cursor=abc', 'cursor'],
    ['q=x&limit=101', 'limit'],
  ])('?%s: 400 validation_failed', async (query, path) => {
    const w = await chatWorkspace(PRO_TRIAL);
    const res = await w.owner.get(`/api/search?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((i: any) => i.path)).toContain(path);
  });

  it('search syntax in q is not an error', async () => {
    const { w, ch } = await room(PRO_TRIAL);
    await w.owner.say(ch.id, 'apples and pears');
    for (const q of ['"apples and"', 'apples -pears', 'apples OR plums', "it's (broken", '&|!:*']) {
      const res = await w.owner.get(`/api/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
  });
});

describe('group commit and sequence numbers', () => {
  it('30 concurrent POSTs: all 201, seqs exactly 1..30, in fewer transactions than messages', async () => {
    const { w, bob, ch } = await room();
    const results = await Promise.all(range(30).map((i) => (i % 2 ? w.owner : bob).post(`/api/channels/${ch.id}/messages`, { text: `burst ${i}` })));
    expect(results.map((r) => r.status)).toEqual(range(30).map(() => 201));
    const seqs = results.map((r) => r.body.message.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(range(30));
    const listed = await timeline(w.owner, ch.id, '?limit=100');
    expect(listed.map((m) => m.seq)).toEqual(range(30).reverse());
    expect(new Set(listed.map((m) => m.text)).size).toBe(30);
    // Each row's xmin is the transaction that inserted it: fewer transactions than messages.
    const [tx] = await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${w.schema}".nchat_messages WHERE channel_id = $1`, [ch.id]);
    console.log(`[group commit] 30 concurrent REST posts in ${tx!.n} transactions`);
    expect(Number(tx!.n)).toBeLessThan(30);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.lastSeq).toBe(30);
  });

  it('30 frames sent at once over one socket reach Postgres in a handful of transactions, seqs 1..30', async () => {
    const { w, ch } = await room();
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    for (const i of range(30)) socket.send({ type: 'message', text: `frame ${i}`, clientId: `f${i}` });
    await waitForSeqs(socket, range(30));
    const created = socket.frames.filter((f) => f.type === 'message.created');
    expect(created.map((f) => f.message.seq)).toEqual(range(30));
    expect(created.map((f) => f.message.clientId)).toEqual(range(30).map((i) => `f${i}`));
    await untilInPostgres(w.schema, ch.id, 30);
    const [tx] = await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${w.schema}".nchat_messages WHERE channel_id = $1`, [ch.id]);
    console.log(`[group commit] 30 socket frames in ${tx!.n} transactions`);
    expect(Number(tx!.n)).toBeLessThanOrEqual(10);
    socket.close();
  });

  it('counted at the database gateway: 30 concurrent posts take fewer than 30 commit round trips', async () => {
    const { w, ch } = await room();
    // A connection of its own, so the gateway's counters see only this test. The Worker gets it
    // through its env; the room has its own env (that of the object, not of the request), so
    // the room instance is pointed at the same connection.
    const conn = connectionString(`chat-gc-${crypto.randomUUID().slice(0, 8)}`);
    const counted = envWith({ DATABASE_URL: conn });
    const stub = (env.CHAT_ROOM as unknown as DurableObjectNamespace<ChatRoom>).get(env.CHAT_ROOM.idFromName(`${w.t.id}:${ch.id}`));
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { env: Env }).env = counted;
    });
    const post = async (text: string) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(tenantUrl(w.t.slug, `/api/channels/${ch.id}/messages`), { method: 'POST', headers: { ...bearer(w.owner.token), 'content-type': 'application/json' }, body: JSON.stringify({ text }) }), counted, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as any };
    };
    // Warm up: tenant resolution cached, the room's sequence loaded.
    expect((await post('warm-up')).body.message.seq).toBe(1);
    const single = await measure(conn, () => post('one more'));
    await resetGatewayStats(conn);
    const results = await Promise.all(range(30).map((i) => post(`counted ${i}`)));
    const stats = await gatewayStats(conn);
    expect(results.map((r) => r.status)).toEqual(range(30).map(() => 201));
    expect(results.map((r) => r.body.message.seq).sort((a, b) => a - b)).toEqual(range(30, 3));
    // One post alone: its commit, which also checks the channel, membership and session.
    expect(single.roundTrips).toBe(1);
    // 30 posts: only the commits — far fewer than 30 of them.
    const commits = stats.roundTrips;
    const [tx] = await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM "${w.schema}".nchat_messages WHERE channel_id = $1 AND seq > 2`, [ch.id]);
    console.log(`[group commit] gateway: ${stats.roundTrips} round trips, ${stats.statements} statements for 30 posts; ${commits} commit round trips; ${tx!.n} inserting transactions`);
    expect(commits).toBe(Number(tx!.n));
    expect(commits).toBeLessThan(30);
    expect(stats.errors).toBe(0);
  });
});

async function measure(conn: string, work: () => Promise<unknown>) {
  await resetGatewayStats(conn);
  await work();
  return gatewayStats(conn);
}

describe('cross-tenant', () => {
  // Two fresh workspaces: A (the intruder's) and B (the target), each with a channel and messages.
  let a: ChatWorkspace;
  let b: ChatWorkspace;
  let aCh: Record<string, any>;
  let bCh: Record<string, any>;
  let bPriv: Record<string, any>;
  let aMsg: Record<string, any>;
  let bMsg: Record<string, any>;
  let bBob: Client & { id: string };
  let aTicket: string;
  const B_SECRET = 'b-confidential-words';

  beforeAll(async () => {
    // Pro trials: the search route is part of what is checked.
    [a, b] = await Promise.all([chatWorkspace(PRO_TRIAL), chatWorkspace(PRO_TRIAL)]);
    aCh = await a.owner.channel('a-general');
    // A has several messages, B one: A's last message id does not exist in B (ids are per schema).
    for (const i of range(4)) await a.owner.say(aCh.id, `a message ${i}`);
    aMsg = await a.owner.say(aCh.id, 'a last message');
    bCh = await b.owner.channel('b-general');
    bPriv = await b.owner.channel('b-private-room', 'private');
    bBob = await b.user('member');
    bMsg = await b.owner.say(bCh.id, `${B_SECRET} in public`);
    await b.owner.post(`/api/messages/${bMsg.id}/reactions`, { emoji: ':lock:' });
    expect(aMsg.id).toBeGreaterThan(bMsg.id);
    aTicket = (await a.owner.post(`/api/channels/${aCh.id}/ws-ticket`)).body.ticket;
  }, 60_000);

  type Target = { ch: string; priv: string; msg: number; user: string };
  const routes: [string, string, (t: Target) => string, ((t: Target) => unknown)?][] = [
    ['POST', 'create channel', () => '/api/channels', () => ({ name: 'intruder' })],
    ['GET', 'list channels', () => '/api/channels'],
    ['GET', 'get channel', (t) => `/api/channels/${t.ch}`],
    ['GET', 'get private channel', (t) => `/api/channels/${t.priv}`],
    ['PATCH', 'update channel', (t) => `/api/channels/${t.ch}`, () => ({ topic: 'pwned' })],
    ['POST', 'archive', (t) => `/api/channels/${t.ch}/archive`],
    ['POST', 'unarchive', (t) => `/api/channels/${t.ch}/unarchive`],
    ['DELETE', 'delete channel', (t) => `/api/channels/${t.ch}`],
    ['POST', 'join', (t) => `/api/channels/${t.ch}/join`],
    ['POST', 'leave', (t) => `/api/channels/${t.ch}/leave`],
    ['GET', 'list members', (t) => `/api/channels/${t.priv}/members`],
    ['POST', 'add member', (t) => `/api/channels/${t.priv}/members`, (t) => ({ userId: t.user })],
    ['DELETE', 'remove member', (t) => `/api/channels/${t.ch}/members/${t.user}`],
    ['POST', 'mark read', (t) => `/api/channels/${t.ch}/read`, () => ({ seq: 1 })],
    ['GET', 'list messages', (t) => `/api/channels/${t.ch}/messages`],
    ['POST', 'post message', (t) => `/api/channels/${t.ch}/messages`, () => ({ text: 'intruder was here' })],
    ['GET', 'get message', (t) => `/api/messages/${t.msg}`],
    ['PATCH', 'edit message', (t) => `/api/messages/${t.msg}`, () => ({ text: 'pwned' })],
    ['DELETE', 'delete message', (t) => `/api/messages/${t.msg}`],
    ['GET', 'thread', (t) => `/api/messages/${t.msg}/thread`],
    ['POST', 'add reaction', (t) => `/api/messages/${t.msg}/reactions`, () => ({ emoji: ':skull:' })],
    ['DELETE', 'remove reaction', (t) => `/api/messages/${t.msg}/reactions/${encodeURIComponent(':lock:')}`],
    ['GET', 'search', () => `/api/search?q=${B_SECRET}`],
    ['POST', 'open DM', () => '/api/dms', (t) => ({ userId: t.user })],
    ['POST', 'ws-ticket', (t) => `/api/channels/${t.ch}/ws-ticket`],
    ['GET', 'ws', (t) => `/api/channels/${t.ch}/ws`],
  ];

  async function call(method: string, host: ChatWorkspace, path: string, token: string, body?: unknown) {
    if (path.endsWith('/ws')) return openSocket(tenantUrl(host.t.slug, path), bearer(token));
    return api(tenantUrl(host.t.slug, path), { method, headers: bearer(token), ...(body === undefined ? {} : { json: body }) });
  }

  it.each(routes)("tenant A's session on B's host: %s %s → 401, none of B's data", async (method, _label, path, body) => {
    const target = { ch: bCh.id, priv: bPriv.id, msg: bMsg.id, user: bBob.id };
    const res = await call(method, b, path(target), a.t.token, body?.(target));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_session');
    const text = JSON.stringify(res.body);
    for (const secret of [B_SECRET, 'b-general', 'b-private-room', bBob.id, b.owner.id]) expect(text).not.toContain(secret);
  });

  // Every route that takes an id (the others are covered below: lists and search show nothing of A).
  const WITHOUT_IDS = new Set(['create channel', 'list channels', 'search']);

  it.each(routes.filter(([, label]) => !WITHOUT_IDS.has(label)))(
    "A's ids on B's host with B's session: %s %s → 404",
    async (method, label, path, body) => {
      const target = { ch: aCh.id, priv: aCh.id, msg: aMsg.id, user: a.owner.id };
      let p = path(target);
      const json = body?.(target);
      // Routes that name a user in a B channel: the channel is B's, the user is A's.
      if (label === 'add member') p = `/api/channels/${bPriv.id}/members`;
      if (label === 'remove member') p = `/api/channels/${bCh.id}/members/${a.owner.id}`;
      const res = await call(method, b, p, b.t.token, json);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('a last message');
      expect(JSON.stringify(res.body)).not.toContain('a-general');
    },
  );

  it("B's session on B's host never lists or finds A's channels and messages", async () => {
    const list = await b.owner.get('/api/channels');
    expect(JSON.stringify(list.body)).not.toContain(aCh.id);
    const found = await b.owner.get(`/api/search?q=${encodeURIComponent('a last message')}`);
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([]);
  });

  it("A's ticket does not open a socket on B's host (401), nor does A's session (401)", async () => {
    const withTicket = await openSocket(tenantUrl(b.t.slug, `/api/channels/${aCh.id}/ws?ticket=${encodeURIComponent(aTicket)}`));
    expect(withTicket.status).toBe(401);
    const bTicket = (await b.owner.post(`/api/channels/${bCh.id}/ws-ticket`)).body.ticket;
    // And B's ticket is not valid for A's channel on A's host either.
    expect((await openSocket(tenantUrl(a.t.slug, `/api/channels/${aCh.id}/ws?ticket=${encodeURIComponent(bTicket)}`))).status).toBe(401);
  });

  it("B's data is unchanged after every attempt", async () => {
    const ch = (await b.owner.get(`/api/channels/${bCh.id}`)).body.channel;
    expect(ch).toMatchObject({ name: 'b-general', topic: '', archivedAt: null, memberCount: 1, lastSeq: 1 });
    const msgs = await timeline(b.owner, bCh.id);
    expect(msgs).toEqual([expect.objectContaining({ id: bMsg.id, text: `${B_SECRET} in public`, editedAt: null, deleted: false, reactions: [{ emoji: ':lock:', count: 1, users: [b.owner.id] }] })]);
    expect(ownChannels((await b.owner.get('/api/channels')).body.channels).map((c) => c.name)).toEqual(['b-general', 'b-private-room']);
    expect((await b.owner.get(`/api/channels/${bPriv.id}/members`)).body.members.map((m: any) => m.id)).toEqual([b.owner.id]);
    // And A's as well: B's session did nothing to A.
    expect((await a.owner.get(`/api/channels/${aCh.id}`)).body.channel).toMatchObject({ name: 'a-general', lastSeq: 5, archivedAt: null, topic: '' });
    expect((await a.owner.get(`/api/messages/${aMsg.id}`)).body.message).toMatchObject({ text: 'a last message', deleted: false, reactions: [] });
  });
});
