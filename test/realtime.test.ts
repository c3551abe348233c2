/**
 * Realtime (issue 4, point 7): GET /api/channels/:id/ws into the channel's ChatRoom Durable
 * Object — two clients in one room, typing, presence, the ready frame, reconnect with ?since
 * (exactly the missed messages, also while others keep posting), tickets for browsers,
 * malformed frames, the events REST changes cause, and sockets closed on removal/deactivation.
 * Real WebSockets from response.webSocket inside workerd.
 */
import { describe, expect, it } from 'vitest';
import { chatWorkspace, createdSeqs, deactivateInDatabase, openSocket, range, sleep, untilInPostgres, waitForSeqs, type ChatWorkspace, type Client, type TestSocket } from './support/chat';
import { api, bearer, tenantUrl } from './support/tenants';

/** A workspace with a public channel the owner created and Bob joined. */
async function room(): Promise<{ w: ChatWorkspace; bob: Client & { id: string }; ch: Record<string, any> }> {
  const w = await chatWorkspace();
  const bob = await w.user('member');
  const ch = await w.owner.channel('lounge');
  await bob.join(ch.id);
  return { w, bob, ch };
}

/** A round trip through the room on `socket`: every frame the room sent it before is in `frames`. */
async function settle(socket: TestSocket): Promise<void> {
  socket.send({ type: 'ping' });
  await socket.next((f) => f.type === 'pong');
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Both sockets open and each has seen the other online. */
async function pair(w: ChatWorkspace, bob: Client, channelId: string): Promise<[TestSocket, TestSocket]> {
  const a = await w.owner.socket(channelId);
  const b = await bob.socket(channelId);
  await a.next((f) => f.type === 'presence' && f.online.length === 2);
  await b.next((f) => f.type === 'ready');
  return [a, b];
}

describe('two clients in one room', () => {
  it('the ready frame carries the user, the last seq and who is online', async () => {
    const { w, bob, ch } = await room();
    for (const t of ['one', 'two', 'three']) await w.owner.say(ch.id, t);
    const a = await w.owner.socket(ch.id);
    const ready = await a.next((f) => f.type === 'ready');
    expect(ready).toEqual({ type: 'ready', userId: w.owner.id, lastSeq: 3, online: [w.owner.id] });
    const b = await bob.socket(ch.id);
    const bReady = await b.next((f) => f.type === 'ready');
    expect(bReady).toEqual({ type: 'ready', userId: bob.id, lastSeq: 3, online: [w.owner.id, bob.id].sort() });
    a.close();
    b.close();
  });

  it('each sees the other’s message, sent over the socket and through REST, stored before it is broadcast', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);

    a.send({ type: 'message', text: 'over the socket', clientId: 'a-1' });
    const onB = await b.next((f) => f.type === 'message.created');
    expect(onB.message).toMatchObject({ text: 'over the socket', userId: w.owner.id, clientId: 'a-1', seq: 1, channelId: ch.id, id: expect.any(Number) });
    expect(onB.replay).toBeUndefined();
    // The sender hears its own message back, with the database id (its acknowledgement).
    const onA = await a.next((f) => f.type === 'message.created');
    expect(onA.message).toEqual(onB.message);
    // Announced means durable (in the room's log); Postgres, where REST reads, has it moments later.
    await untilInPostgres(w.schema, ch.id, 1);
    const stored = await bob.get(`/api/messages/${onB.message.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.message).toEqual(onB.message);

    const posted = await bob.say(ch.id, 'through REST');
    const restOnA = await a.next((f) => f.type === 'message.created' && f.message.seq === 2);
    expect(restOnA.message).toEqual(posted);
    await b.next((f) => f.type === 'message.created' && f.message.seq === 2);
    a.close();
    b.close();
  });

  it('typing reaches the others and is not echoed to the sender', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    a.send({ type: 'typing' });
    expect(await b.next((f) => f.type === 'typing')).toEqual({ type: 'typing', userId: w.owner.id });
    await settle(a);
    expect(a.frames.filter((f) => f.type === 'typing')).toEqual([]);
    b.send({ type: 'typing' });
    expect(await a.next((f) => f.type === 'typing')).toEqual({ type: 'typing', userId: bob.id });
    await settle(b);
    expect(b.frames.filter((f) => f.type === 'typing')).toHaveLength(1);
    a.close();
    b.close();
  });

  it('presence: both online, then one after the other closes', async () => {
    const { w, bob, ch } = await room();
    const a = await w.owner.socket(ch.id);
    await a.next((f) => f.type === 'ready');
    const b = await bob.socket(ch.id);
    expect(await a.next((f) => f.type === 'presence' && f.online.length === 2)).toEqual({ type: 'presence', online: [w.owner.id, bob.id].sort() });
    b.close();
    expect(await a.next((f) => f.type === 'presence' && f.online.length === 1)).toEqual({ type: 'presence', online: [w.owner.id] });
    a.close();
  });

  it('a user with two sockets stays online until both are closed; typing reaches their other socket', async () => {
    const { w, bob, ch } = await room();
    const a = await w.owner.socket(ch.id);
    await a.next((f) => f.type === 'ready');
    const both = [w.owner.id, bob.id].sort();
    const b1 = await bob.socket(ch.id);
    await b1.next((f) => f.type === 'ready');
    const b2 = await bob.socket(ch.id);
    await b2.next((f) => f.type === 'ready');
    b1.send({ type: 'typing' });
    await b2.next((f) => f.type === 'typing' && f.userId === bob.id);
    b1.close();
    // Presence frames on A: its own arrival, Bob's first socket, his second, then the first one closing.
    await until(() => a.frames.filter((f) => f.type === 'presence').length >= 4);
    expect(a.frames.filter((f) => f.type === 'presence').map((f) => f.online)).toEqual([[w.owner.id], both, both, both]);
    b2.close();
    await a.next((f) => f.type === 'presence' && f.online.length === 1);
    a.close();
  });

  it('events stay in their room: another channel’s sockets hear nothing', async () => {
    const { w, bob, ch } = await room();
    const other = await w.owner.channel('other');
    await bob.join(other.id);
    const here = await bob.socket(ch.id);
    const there = await bob.socket(other.id);
    await here.next((f) => f.type === 'ready');
    await there.next((f) => f.type === 'ready');
    await w.owner.say(ch.id, 'only here');
    await here.next((f) => f.type === 'message.created');
    await settle(there);
    expect(there.frames.filter((f) => f.type === 'message.created')).toEqual([]);
    here.close();
    there.close();
  });
});

describe('reconnecting with ?since', () => {
  it('receives exactly the missed messages, in order, flagged replay, then live ones', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    for (const i of range(3)) a.send({ type: 'message', text: `seen ${i}` });
    await waitForSeqs(b, [1, 2, 3]);
    const lastSeen = Math.max(...createdSeqs(b));
    expect(lastSeen).toBe(3);
    b.close();
    await a.next((f) => f.type === 'presence' && f.online.length === 1);

    // While Bob is away: 5 messages, through the socket and through REST.
    for (const i of range(3)) a.send({ type: 'message', text: `missed ${i}` });
    await waitForSeqs(a, [4, 5, 6]);
    await w.owner.say(ch.id, 'missed 4');
    await w.owner.say(ch.id, 'missed 5');

    const back = await bob.socket(ch.id, `?since=${lastSeen}`);
    expect((await back.next((f) => f.type === 'ready')).lastSeq).toBe(8);
    await waitForSeqs(back, [4, 5, 6, 7, 8]);
    await settle(back);
    const replayed = back.frames.filter((f) => f.type === 'message.created');
    expect(replayed.map((f) => f.message.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(replayed.map((f) => f.message.text)).toEqual(['missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5']);
    expect(replayed.every((f) => f.replay === true)).toBe(true);

    // Live messages continue, once each, not flagged.
    a.send({ type: 'message', text: 'live again' });
    const live = await back.next((f) => f.type === 'message.created' && f.message.seq === 9);
    expect(live.replay).toBeUndefined();
    await w.owner.say(ch.id, 'and via REST');
    await waitForSeqs(back, [10]);
    await settle(back);
    expect(createdSeqs(back)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    a.close();
    back.close();
  });

  it('since at the current end replays nothing; since=0 replays everything; a bad since is a 400', async () => {
    const { w, bob, ch } = await room();
    await w.owner.say(ch.id, 'one');
    await w.owner.say(ch.id, 'two');
    const atEnd = await bob.socket(ch.id, '?since=2');
    await atEnd.next((f) => f.type === 'ready');
    await settle(atEnd);
    expect(createdSeqs(atEnd)).toEqual([]);
    const all = await bob.socket(ch.id, '?since=0');
    await waitForSeqs(all, [1, 2]);
    await settle(all);
    expect(createdSeqs(all)).toEqual([1, 2]);
    for (const since of ['abc', '-1', '1.5']) {
      const bad = await openSocket(bob.url(`/api/channels/${ch.id}/ws?since=${since}`), bearer(bob.token));
      expect(bad.status, since).toBe(400);
    }
    atEnd.close();
    all.close();
  });

  it('replay includes thread replies and tombstones (no words of deleted messages)', async () => {
    const { w, bob, ch } = await room();
    const parent = await w.owner.say(ch.id, 'parent');
    await w.owner.say(ch.id, 'a reply', { parentId: parent.id });
    const doomed = await w.owner.say(ch.id, 'to be deleted');
    await w.owner.del(`/api/messages/${doomed.id}`);
    const back = await bob.socket(ch.id, '?since=0');
    await waitForSeqs(back, [1, 2, 3]);
    const frames = back.frames.filter((f) => f.type === 'message.created');
    expect(frames.map((f) => [f.message.seq, f.message.parentId, f.message.text, f.message.deleted])).toEqual([
      [1, null, 'parent', false],
      [2, parent.id, 'a reply', false],
      [3, null, '', true],
    ]);
    back.close();
  });

  it.each([1, 2, 3])('stress (round %i): messages posted concurrently with the reconnect arrive exactly once, in order', async () => {
    const { w, bob, ch } = await room();
    const carol = await w.user('member');
    await carol.join(ch.id);
    const b = await bob.socket(ch.id);
    await b.next((f) => f.type === 'ready');
    for (const i of range(4)) await w.owner.say(ch.id, `before ${i}`);
    await waitForSeqs(b, [1, 2, 3, 4]);
    b.close();
    for (const i of range(5)) await carol.say(ch.id, `missed ${i}`);

    // Others keep posting (REST and a socket) while Bob reconnects from seq 4.
    const writer = await w.owner.socket(ch.id);
    await writer.next((f) => f.type === 'ready');
    const restPosts = Promise.all(range(15).map((i) => (i % 2 ? w.owner : carol).post(`/api/channels/${ch.id}/messages`, { text: `during ${i}` })));
    for (const i of range(10)) writer.send({ type: 'message', text: `socket during ${i}` });
    const back = await bob.socket(ch.id, '?since=4');
    const statuses = (await restPosts).map((r) => r.status);
    expect(statuses.every((s) => s === 201)).toBe(true);
    const total = 4 + 5 + 15 + 10;
    await waitForSeqs(writer, range(total - 9, 10));
    await waitForSeqs(back, range(total - 4, 5));
    await settle(back);
    expect(createdSeqs(back)).toEqual(range(total - 4, 5));
    writer.close();
    back.close();
  });
});

describe('tickets (browsers cannot set headers on a WebSocket)', () => {
  it('POST ws-ticket → {ticket}; the socket opens with ?ticket= and no credentials; the ticket works once', async () => {
    const { bob, ch } = await room();
    const issued = await bob.post(`/api/channels/${ch.id}/ws-ticket`);
    expect(issued.status).toBe(201);
    expect(issued.body.ticket).toEqual(expect.any(String));
    expect(issued.body.ticket.length).toBeGreaterThanOrEqual(32);
    expect(Date.parse(issued.body.expiresAt)).toBeGreaterThan(Date.now());
    const url = tenantUrl(bob.t.slug, `/api/channels/${ch.id}/ws?ticket=${encodeURIComponent(issued.body.ticket)}`);
    const opened = await openSocket(url);
    expect(opened.status).toBe(101);
    const ready = await opened.socket!.next((f) => f.type === 'ready');
    expect(ready.userId).toBe(bob.id);
    // The socket is Bob's: what he sends is his.
    opened.socket!.send({ type: 'message', text: 'via ticket' });
    expect((await opened.socket!.next((f) => f.type === 'message.created')).message.userId).toBe(bob.id);
    const reused = await openSocket(url);
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('invalid_ticket');
    opened.socket!.close();
  });

  it('a ticket works with ?since too', async () => {
    const { w, bob, ch } = await room();
    await w.owner.say(ch.id, 'earlier');
    const { ticket } = (await bob.post(`/api/channels/${ch.id}/ws-ticket`)).body;
    const opened = await openSocket(tenantUrl(bob.t.slug, `/api/channels/${ch.id}/ws?ticket=${encodeURIComponent(ticket)}&since=0`));
    expect(opened.status).toBe(101);
    await waitForSeqs(opened.socket!, [1]);
    opened.socket!.close();
  });

  it.each([
    ['a made-up ticket', 'made-up', 401],
    ['no credentials and no ticket', 'none', 401],
    ['an empty ticket', 'empty', 401],
    ['a ticket for another channel', 'other-channel', 401],
    ['a ticket on a malformed channel id', 'malformed', 404],
  ])('%s (%s): %i', async (_label, which, status) => {
    const { w, bob, ch } = await room();
    const other = await w.owner.channel('other');
    await bob.join(other.id);
    const otherTicket = (await bob.post(`/api/channels/${other.id}/ws-ticket`)).body.ticket;
    const ticket = { 'made-up': 'x'.repeat(32), none: null, empty: '', 'other-channel': otherTicket, malformed: otherTicket }[which];
    const channelId = which === 'malformed' ? 'general' : ch.id;
    const res = await openSocket(tenantUrl(w.t.slug, `/api/channels/${channelId}/ws${ticket === null ? '' : `?ticket=${encodeURIComponent(ticket)}`}`));
    expect(res.status).toBe(status);
    expect(res.socket).toBeUndefined();
  });

  it.each([
    ['a private channel', 'private', 404, 'channel_not_found'],
    ['a public channel they have not joined', 'public', 403, 'not_a_member'],
  ])('a non-member of %s (%s) gets neither a ticket nor a socket: %i %s', async (_label, kind, status, code) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('members-only', kind as 'public' | 'private');
    const ticket = await bob.post(`/api/channels/${ch.id}/ws-ticket`);
    expect(ticket.status).toBe(status);
    expect(ticket.body.error.code).toBe(code);
    const socket = await openSocket(bob.url(`/api/channels/${ch.id}/ws`), bearer(bob.token));
    expect(socket.status).toBe(status);
    expect(socket.body.error.code).toBe(code);
  });

  it.each([
    ['with a session', true],
    ['without credentials', false],
  ])('a plain GET (no upgrade) %s: 426', async (_label, signedIn) => {
    const { w, ch } = await room();
    const res = await api(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws`), { headers: signedIn ? bearer(w.owner.token) : {} });
    expect(res.status).toBe(426);
    expect(res.body.error.code).toBe('upgrade_required');
  });

  it('a ticket issued before its holder was removed from the channel no longer opens a socket', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('tight', 'private', { memberIds: [bob.id] });
    const { ticket } = (await bob.post(`/api/channels/${ch.id}/ws-ticket`)).body;
    expect((await w.owner.del(`/api/channels/${ch.id}/members/${bob.id}`)).status).toBe(200);
    const res = await openSocket(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws?ticket=${encodeURIComponent(ticket)}`));
    res.socket?.close();
    expect(res.status).not.toBe(101);
    expect([401, 403, 404]).toContain(res.status);
  });

  it('a ticket issued before its holder was deactivated no longer opens a socket', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('tight', 'private', { memberIds: [bob.id] });
    const { ticket } = (await bob.post(`/api/channels/${ch.id}/ws-ticket`)).body;
    expect((await w.owner.post(`/api/users/${bob.id}/deactivate`)).status).toBe(200);
    const res = await openSocket(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws?ticket=${encodeURIComponent(ticket)}`));
    res.socket?.close();
    expect(res.status).not.toBe(101);
    expect(res.status).toBe(401);
  });

  it('a session ended where the room did not hear of it (changed in the database only): its socket closes (4401) once its next message reaches Postgres', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('tight', 'private', { memberIds: [bob.id] });
    const [a, b] = await pair(w, bob, ch.id);
    await deactivateInDatabase(w.schema, bob.id);
    b.send({ type: 'message', text: 'sent after the session ended', clientId: 'late' });
    expect((await b.closed).code).toBe(4401);
    await a.next((f) => f.type === 'presence' && f.online.length === 1);
    a.close();
  });

  it('a ticket for a channel deleted since: a clear 4xx, not a socket and not a 500', async () => {
    const { w, bob, ch } = await room();
    const { ticket } = (await bob.post(`/api/channels/${ch.id}/ws-ticket`)).body;
    expect((await w.owner.del(`/api/channels/${ch.id}`)).status).toBe(200);
    const res = await openSocket(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws?ticket=${encodeURIComponent(ticket)}`));
    res.socket?.close();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('an unknown channel: 404 (with a session)', async () => {
    const w = await chatWorkspace();
    const res = await openSocket(tenantUrl(w.t.slug, '/api/channels/00000000-0000-4000-8000-000000000000/ws'), bearer(w.owner.token));
    expect(res.status).toBe(404);
  });
});

describe('malformed frames', () => {
  it.each([
    ['not JSON', 'not json'],
    ['an unknown type', { type: 'nope' }],
    ['an empty message', { type: 'message', text: '' }],
    ['a whitespace message', { type: 'message', text: '   ' }],
    ['a message over 4,000 characters', { type: 'message', text: 'w'.repeat(4001) }],
    ['a read without seq', { type: 'read' }],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
  ])('%s gets an error frame; the room keeps working', async (_label, frame) => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    b.send(frame);
    const err = await b.next((f) => f.type === 'error');
    expect(err.code).toBe('bad_frame');
    expect(typeof err.message).toBe('string');
    // Nothing stored, nothing broadcast.
    await settle(a);
    expect(a.frames.filter((f) => f.type === 'message.created' || f.type === 'error')).toEqual([]);
    expect((await w.owner.get(`/api/channels/${ch.id}/messages`)).body.messages).toEqual([]);
    // The same socket still works, and so does the room.
    b.send({ type: 'message', text: 'still here' });
    expect((await a.next((f) => f.type === 'message.created')).message).toMatchObject({ text: 'still here', seq: 1 });
    a.send({ type: 'message', text: 'me too' });
    expect((await b.next((f) => f.type === 'message.created' && f.message.seq === 2)).message.text).toBe('me too');
    a.close();
    b.close();
  });

  it('a reply over the socket to an invalid parent gets an error frame with the clientId', async () => {
    const { w, bob, ch } = await room();
    const parent = await w.owner.say(ch.id, 'parent');
    const reply = await w.owner.say(ch.id, 'reply', { parentId: parent.id });
    const b = await bob.socket(ch.id);
    await b.next((f) => f.type === 'ready');
    b.send({ type: 'message', text: 'nested', parentId: reply.id, clientId: 'c-9' });
    expect(await b.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_parent', clientId: 'c-9' });
    b.send({ type: 'message', text: 'threaded', parentId: parent.id, clientId: 'c-10' });
    const ok = await b.next((f) => f.type === 'message.created');
    expect(ok.message).toMatchObject({ parentId: parent.id, clientId: 'c-10', seq: 3 });
    b.close();
  });
});

describe('archived channels', () => {
  it('an open socket cannot post into a channel once it is archived: an error frame, nothing stored', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    b.send({ type: 'message', text: 'before archiving' });
    await a.next((f) => f.type === 'message.created');
    await untilInPostgres(w.schema, ch.id, 1);
    expect((await w.owner.post(`/api/channels/${ch.id}/archive`)).status).toBe(200);
    b.send({ type: 'message', text: 'after archiving', clientId: 'late' });
    const answer = await b.next((f) => f.type === 'error' || (f.type === 'message.created' && f.message.clientId === 'late'));
    expect(answer).toMatchObject({ type: 'error', clientId: 'late' });
    const stored = (await w.owner.get(`/api/channels/${ch.id}/messages`)).body.messages.map((m: any) => m.text);
    expect(stored).toEqual(['before archiving']);
    a.close();
    b.close();
  });
});

describe('events caused by REST calls', () => {
  it('message.updated, reaction.added/removed, thread.reply, read, message.deleted', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    const m = await bob.say(ch.id, 'original');
    await a.next((f) => f.type === 'message.created');

    await bob.patch(`/api/messages/${m.id}`, { text: 'edited' });
    const updated = await a.next((f) => f.type === 'message.updated');
    expect(updated.message).toMatchObject({ id: m.id, text: 'edited', editedAt: expect.any(String) });

    await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':tada:' });
    expect(await b.next((f) => f.type === 'reaction.added')).toEqual({ type: 'reaction.added', messageId: m.id, emoji: ':tada:', userId: w.owner.id });
    // Re-adding changes nothing and announces nothing.
    await w.owner.post(`/api/messages/${m.id}/reactions`, { emoji: ':tada:' });
    await w.owner.del(`/api/messages/${m.id}/reactions/${encodeURIComponent(':tada:')}`);
    expect(await b.next((f) => f.type === 'reaction.removed')).toEqual({ type: 'reaction.removed', messageId: m.id, emoji: ':tada:', userId: w.owner.id });
    expect(b.frames.filter((f) => f.type === 'reaction.added')).toHaveLength(1);

    const reply = await w.owner.say(ch.id, 'in thread', { parentId: m.id });
    const threadEvent = await b.next((f) => f.type === 'thread.reply');
    expect(threadEvent).toMatchObject({ parentId: m.id, replyCount: 1, lastReplyAt: reply.createdAt, message: { id: reply.id, text: 'in thread' } });

    await bob.post(`/api/channels/${ch.id}/read`, { seq: 2 });
    expect(await a.next((f) => f.type === 'read')).toEqual({ type: 'read', userId: bob.id, seq: 2 });

    await bob.del(`/api/messages/${m.id}`);
    const deleted = await a.next((f) => f.type === 'message.deleted');
    expect(deleted).toMatchObject({ messageId: m.id, seq: m.seq, deletedAt: expect.any(String) });
    expect(JSON.stringify(deleted)).not.toContain('edited');
    a.close();
    b.close();
  });

  it('a read frame over the socket moves the read position and is announced', async () => {
    const { w, bob, ch } = await room();
    const [a, b] = await pair(w, bob, ch.id);
    for (const t of ['1', '2', '3']) await w.owner.say(ch.id, t);
    b.send({ type: 'read', seq: 2 });
    expect(await a.next((f) => f.type === 'read')).toEqual({ type: 'read', userId: bob.id, seq: 2 });
    const view = (await bob.get(`/api/channels/${ch.id}`)).body.channel;
    expect(view).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    a.close();
    b.close();
  });
});

describe('sockets closed when access ends', () => {
  it('removing a member closes their sockets (4003) and updates presence; the others stay', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('private-room', 'private', { memberIds: [bob.id] });
    const [a, b] = await pair(w, bob, ch.id);
    await w.owner.del(`/api/channels/${ch.id}/members/${bob.id}`);
    expect((await b.closed).code).toBe(4003);
    await a.next((f) => f.type === 'presence' && f.online.length === 1);
    await w.owner.say(ch.id, 'after bob left');
    await a.next((f) => f.type === 'message.created');
    a.close();
  });

  it('deactivating a user (POST /api/users/:id/deactivate) closes their sockets in every channel; their token is then refused', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const pub = await w.owner.channel('public-one');
    await bob.join(pub.id);
    const priv = await w.owner.channel('private-one', 'private', { memberIds: [bob.id] });
    const s1 = await bob.socket(pub.id);
    const s2 = await bob.socket(priv.id);
    const watcher = await w.owner.socket(pub.id);
    await watcher.next((f) => f.type === 'presence' && f.online.length === 2);
    const res = await w.owner.post(`/api/users/${bob.id}/deactivate`);
    expect(res.status).toBe(200);
    const [c1, c2] = await Promise.all([s1.closed, s2.closed]);
    expect([c1.code, c2.code]).toEqual([4003, 4003]);
    await watcher.next((f) => f.type === 'presence' && f.online.length === 1);
    expect((await openSocket(bob.url(`/api/channels/${pub.id}/ws`), bearer(bob.token))).status).toBe(401);
    expect((await bob.post(`/api/channels/${pub.id}/ws-ticket`)).status).toBe(401);
    watcher.close();
  });

  it('a socket stays open through an idle pause (hibernation) and still receives', async () => {
    const { w, bob, ch } = await room();
    const b = await bob.socket(ch.id);
    await b.next((f) => f.type === 'ready');
    await sleep(300);
    await w.owner.say(ch.id, 'after a pause');
    expect((await b.next((f) => f.type === 'message.created')).message.text).toBe('after a pause');
    b.close();
  });
});
