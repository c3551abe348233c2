/**
 * The per-person event stream (issue 11): GET /api/me/stream, one PersonStream Durable Object per
 * tenant user, subscribed to the rooms of their channels while they listen. Unread activity and
 * mentions across channels, DMs and channels appearing and going, reads from other devices,
 * resuming by sequence number, and nothing of a channel they are not in.
 */
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { chatWorkspace, openSocket, sleep, type ChatWorkspace, type Client, type TestSocket } from './support/chat';
import { bearer, createTenant, database, tenantUrl } from './support/tenants';

async function stream(who: Client, query = ''): Promise<TestSocket> {
  const res = await openSocket(who.url(`/api/me/stream${query}`), bearer(who.token));
  if (!res.socket) throw new Error(`stream: ${res.status} ${JSON.stringify(res.body)}`);
  await res.socket.next((f) => f.type === 'ready');
  return res.socket;
}

async function team(): Promise<{ w: ChatWorkspace; bob: Client & { id: string; displayName: string }; ch: Record<string, any> }> {
  const w = await chatWorkspace();
  const bob = await w.user('member', { displayName: 'Bob Builder', localPart: 'bob' });
  const ch = await w.owner.channel('team');
  await bob.join(ch.id);
  return { w, bob, ch };
}

/** Everything the stream sent since `from`, after a round trip (so nothing is still on its way). */
async function settled(s: TestSocket, from = 0): Promise<Record<string, any>[]> {
  await sleep(50);
  s.send({ type: 'ping' });
  await s.next((f) => f.type === 'pong');
  return s.frames.slice(from).filter((f) => f.type !== 'pong' && f.type !== 'ready');
}

describe('GET /api/me/stream', () => {
  it('new messages in any of my channels arrive as activity, with mentions flagged; my sequence numbers count up', async () => {
    const { w, bob, ch } = await team();
    const s = await stream(bob);
    const first = await w.owner.say(ch.id, 'hello team');
    const a = await s.next((f) => f.type === 'activity');
    expect(a).toEqual({ type: 'activity', seq: expect.any(Number), channelId: ch.id, messageId: first.id, messageSeq: first.seq, authorId: w.owner.id, parentId: null, at: first.createdAt, mention: false });
    await w.owner.say(ch.id, 'ping @bob please');
    const b = await s.next((f) => f.type === 'activity' && f.messageSeq === 2);
    expect(b.mention).toBe(true);
    expect(b.seq).toBe(a.seq + 1);
    s.close();
  });

  it('hears nothing of a channel I am not in (a private one, or a public one I did not join)', async () => {
    const { w, bob } = await team();
    const secret = await w.owner.channel('secret-plans', 'private');
    const open = await w.owner.channel('open-but-not-joined');
    const s = await stream(bob);
    await w.owner.say(secret.id, 'top secret');
    await w.owner.say(open.id, 'public words');
    const frames = await settled(s);
    expect(frames).toEqual([]);
    expect(JSON.stringify(s.frames)).not.toContain(secret.id);
    s.close();
  });

  it('a new DM appears at once, with who it is with; its messages follow', async () => {
    const { w, bob } = await team();
    const s = await stream(bob);
    const dm = await w.owner.post('/api/dms', { userId: bob.id });
    expect(dm.status).toBe(201);
    const added = await s.next((f) => f.type === 'channel.added');
    expect(added.channel).toMatchObject({ id: dm.body.channel.id, kind: 'direct', isMember: true, unreadCount: 0, dmWith: { id: w.owner.id } });
    await w.owner.say(dm.body.channel.id, 'psst');
    expect(await s.next((f) => f.type === 'activity' && f.channelId === dm.body.channel.id)).toMatchObject({ authorId: w.owner.id });
    s.close();
  });

  it('added to a channel, it appears; removed, it goes, and its messages stop coming', async () => {
    const { w, bob } = await team();
    const room = await w.owner.channel('design', 'private');
    const s = await stream(bob);
    expect((await w.owner.post(`/api/channels/${room.id}/members`, { userId: bob.id })).status).toBe(201);
    expect((await s.next((f) => f.type === 'channel.added')).channel).toMatchObject({ id: room.id, name: 'design', kind: 'private' });
    await w.owner.say(room.id, 'welcome bob');
    await s.next((f) => f.type === 'activity' && f.channelId === room.id);
    expect((await w.owner.del(`/api/channels/${room.id}/members/${bob.id}`)).status).toBe(200);
    expect(await s.next((f) => f.type === 'channel.removed')).toMatchObject({ channelId: room.id });
    const mark = s.frames.length;
    await w.owner.say(room.id, 'after bob left');
    expect((await settled(s, mark)).filter((f) => f.type === 'activity')).toEqual([]);
    s.close();
  });

  it('a channel renamed or archived is updated; a deleted one is removed', async () => {
    const { w, bob, ch } = await team();
    const s = await stream(bob);
    expect((await w.owner.patch(`/api/channels/${ch.id}`, { name: 'team-renamed' })).status).toBe(200);
    expect((await s.next((f) => f.type === 'channel.updated')).channel).toMatchObject({ id: ch.id, name: 'team-renamed', archivedAt: null });
    expect((await w.owner.post(`/api/channels/${ch.id}/archive`)).status).toBe(200);
    expect((await s.next((f) => f.type === 'channel.updated' && f.channel.archivedAt !== null)).channel.id).toBe(ch.id);
    expect((await w.owner.del(`/api/channels/${ch.id}`)).status).toBe(200);
    expect(await s.next((f) => f.type === 'channel.removed')).toMatchObject({ channelId: ch.id });
    s.close();
  });

  it('reading on one device moves the read position on the others', async () => {
    const { w, bob, ch } = await team();
    await w.owner.say(ch.id, 'one');
    const s = await stream(bob);
    expect((await bob.post(`/api/channels/${ch.id}/read`, { seq: 1 })).status).toBe(200);
    expect(await s.next((f) => f.type === 'read')).toMatchObject({ channelId: ch.id, lastReadSeq: 1 });
    s.close();
  });

  it('resumes with ?since: exactly what was missed while away (within the grace period), in order', async () => {
    const { w, bob, ch } = await team();
    const s = await stream(bob);
    await w.owner.say(ch.id, 'seen live');
    const live = await s.next((f) => f.type === 'activity');
    s.close();
    await s.closed;
    for (const text of ['missed 1', 'missed 2', 'missed 3']) await w.owner.say(ch.id, text);
    await sleep(100);
    const again = await stream(bob, `?since=${live.seq}`);
    const replayed = await settled(again);
    expect(replayed.map((f) => [f.type, f.messageSeq, f.seq])).toEqual([
      ['activity', 2, live.seq + 1],
      ['activity', 3, live.seq + 2],
      ['activity', 4, live.seq + 3],
    ]);
    // Resuming from the last seq: nothing again.
    const third = await stream(bob, `?since=${live.seq + 3}`);
    expect(await settled(third)).toEqual([]);
    again.close();
    third.close();
  });

  it('signing out closes the stream (4003); a stream cannot be opened without a valid session of this workspace', async () => {
    const { w, bob } = await team();
    const s = await stream(bob);
    expect((await bob.post('/api/auth/logout')).status).toBe(204);
    expect((await s.closed).code).toBe(4003);
    const ended = await openSocket(bob.url('/api/me/stream'), bearer(bob.token));
    expect(ended.status).toBe(401);
    expect(ended.body.error.code).toBe('session_revoked');
    const other = await createTenant();
    const foreign = await openSocket(tenantUrl(w.t.slug, '/api/me/stream'), bearer(other.token));
    expect(foreign.status).toBe(401);
    const anonymous = await openSocket(tenantUrl(w.t.slug, '/api/me/stream'));
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /api/me/stream: the edges', () => {
  it('away longer than the grace period: coming back with ?since gets resync (nothing was recorded meanwhile)', async () => {
    const { w, bob, ch } = await team();
    const s = await stream(bob);
    await w.owner.say(ch.id, 'before');
    const last = await s.next((f) => f.type === 'activity');
    s.close();
    await s.closed;
    // The grace period ends: the alarm runs (as it would 5 minutes later).
    const id = env.PERSON_STREAM.idFromName(`${w.t.id}:${bob.id}`);
    expect(await runDurableObjectAlarm(env.PERSON_STREAM.get(id))).toBe(true);
    await w.owner.say(ch.id, 'while away');
    const res = await openSocket(bob.url(`/api/me/stream?since=${last.seq}`), bearer(bob.token));
    const ready = await res.socket!.next((f) => f.type === 'ready');
    expect(ready.seq).toBeGreaterThan(last.seq);
    expect(await res.socket!.next((f) => f.type === 'resync')).toMatchObject({ type: 'resync' });
    // Listening again from here on.
    await w.owner.say(ch.id, 'after');
    expect(await res.socket!.next((f) => f.type === 'activity')).toMatchObject({ messageSeq: 3 });
    res.socket!.close();
  });

  it('a read marked over a room socket reaches the reader’s stream (their other devices)', async () => {
    const { w, bob, ch } = await team();
    await w.owner.say(ch.id, 'one');
    const s = await stream(bob);
    const room = await bob.socket(ch.id);
    await room.next((f) => f.type === 'ready');
    room.send({ type: 'read', seq: 1 });
    expect(await s.next((f) => f.type === 'read')).toMatchObject({ channelId: ch.id, lastReadSeq: 1 });
    room.close();
    s.close();
  });

  it('a session that ended behind the Worker’s back is noticed at the next event: the stream closes (4401) and hears nothing more', async () => {
    const { w, bob, ch } = await team();
    const s = await stream(bob);
    await database().sql.query(`UPDATE "${w.schema}".nchat_users SET session_version = session_version + 1 WHERE id = $1`, [bob.id]);
    await w.owner.say(ch.id, 'not for an ended session');
    expect((await s.closed).code).toBe(4401);
    expect(s.frames.filter((f) => f.type === 'activity')).toEqual([]);
  });
});
