/**
 * Channels (issue 4, point 4): public and private channels, DMs, membership, read positions and
 * unread counts, through the Worker as a client sees it. Every test uses fresh workspaces.
 */
import { describe, expect, it } from 'vitest';
import { chatWorkspace, deactivateInDatabase, openSocket, ownChannels, range, type ChatWorkspace, type Client } from './support/chat';
import { api, bearer, database, tenantUrl } from './support/tenants';

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

function names(channels: { name: string | null }[]): (string | null)[] {
  return channels.map((c) => c.name);
}

async function count(schema: string, table: string, where: string, params: unknown[]): Promise<number> {
  const rows = (await database().sql.query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE ${where}`, params)) as { n: number }[];
  return Number(rows[0]!.n);
}

describe('creating channels', () => {
  it.each(['public', 'private'] as const)('creates a %s channel: 201, the creator is its owner, the name is lowercased', async (kind) => {
    const w = await chatWorkspace();
    const res = await w.owner.post('/api/channels', { name: '  Team-Updates_2 ', kind, topic: 'weekly', description: 'what we shipped' });
    expect(res.status).toBe(201);
    const ch = res.body.channel;
    expect(ch).toMatchObject({
      kind,
      name: 'team-updates_2',
      topic: 'weekly',
      description: 'what we shipped',
      createdBy: w.owner.id,
      isMember: true,
      memberRole: 'owner',
      lastSeq: 0,
      lastReadSeq: 0,
      unreadCount: 0,
      archivedAt: null,
    });
    expect(ch.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(ch.createdAt))).toBe(false);
    const members = await w.owner.get(`/api/channels/${ch.id}/members`);
    expect(members.status).toBe(200);
    expect(members.body.members).toEqual([expect.objectContaining({ id: w.owner.id, channelRole: 'owner' })]);
  });

  it('a plain member who creates a channel owns it (channel role), whatever their workspace role', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await bob.channel('bobs-room', 'private');
    expect(ch.memberRole).toBe('owner');
    expect(ch.createdBy).toBe(bob.id);
  });

  it('adds memberIds of active users to a new private channel', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('with-bob', 'private', { memberIds: [bob.id] });
    const seen = await bob.get(`/api/channels/${ch.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.channel).toMatchObject({ isMember: true, memberRole: 'member', memberCount: 2 });
  });

  it.each([
    ['Team', 'team'],
    ['team', 'TEAM'],
    ['Random', 'rAnDoM'],
  ])('refuses a duplicate name regardless of case (%s then %s): 409 channel_name_taken', async (first, second) => {
    const w = await chatWorkspace();
    await w.owner.channel(first);
    const again = await w.owner.post('/api/channels', { name: second, kind: 'private' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('channel_name_taken');
    const list = await w.owner.get('/api/channels');
    expect(ownChannels(list.body.channels)).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'Has Space'],
    ['starting with a hyphen', '-x'],
    ['81 characters', 'a'.repeat(81)],
    ['with a slash', 'a/b'],
    ['not a string', 42],
  ])('refuses a name that is %s: 400 validation_failed naming "name", nothing created', async (_label, name) => {
    const w = await chatWorkspace();
    const res = await w.owner.post('/api/channels', { name });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain('name');
    expect(ownChannels((await w.owner.get('/api/channels')).body.channels)).toEqual([]);
  });

  it('accepts a name of exactly 80 characters', async () => {
    const w = await chatWorkspace();
    const res = await w.owner.post('/api/channels', { name: 'b'.repeat(80) });
    expect(res.status).toBe(201);
  });

  it.each([
    ['an unknown kind', { name: 'x1', kind: 'secret' }, 'kind'],
    ['an unknown field', { name: 'x2', colour: 'red' }, ''],
    ['a memberId that is not a uuid', { name: 'x3', memberIds: ['nope'] }, 'memberIds.0'],
  ])('refuses %s: 400 validation_failed', async (_label, body, path) => {
    const w = await chatWorkspace();
    const res = await w.owner.post('/api/channels', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const w = await chatWorkspace();
    const res = await fetchRaw(w, '/api/channels', '{"name":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it.each(['public', 'private'] as const)('a guest cannot create a %s channel: 403, nothing created', async (kind) => {
    const w = await chatWorkspace();
    const guest = await w.user('guest');
    const res = await guest.post('/api/channels', { name: 'guest-room', kind });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(ownChannels((await w.owner.get('/api/channels')).body.channels)).toEqual([]);
  });

  it('without a session: 401', async () => {
    const w = await chatWorkspace();
    const res = await api(tenantUrl(w.t.slug, '/api/channels'), { method: 'POST', json: { name: 'anon' } });
    expect(res.status).toBe(401);
    expect(ownChannels((await w.owner.get('/api/channels')).body.channels)).toEqual([]);
  });
});

function fetchRaw(w: ChatWorkspace, path: string, body: string) {
  return api(tenantUrl(w.t.slug, path), { method: 'POST', headers: { ...bearer(w.owner.token), 'content-type': 'application/json' }, body });
}

describe('listing channels', () => {
  it('shows public channels, the caller’s private channels and DMs; hides other people’s private channels', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member', { displayName: 'Bob Builder' });
    const carol = await w.user('member');
    const pub = await w.owner.channel('alpha');
    const bobsPublic = await bob.channel('bravo');
    const mine = await w.owner.channel('charlie', 'private');
    const bobsPrivate = await bob.channel('delta', 'private');
    const dm = await w.owner.post('/api/dms', { userId: bob.id });
    expect(dm.status).toBe(201);
    await carol.post('/api/dms', { userId: bob.id });

    const list = await w.owner.get('/api/channels');
    expect(list.status).toBe(200);
    const byId = new Map(list.body.channels.map((c: any) => [c.id, c]));
    expect(byId.has(pub.id)).toBe(true);
    expect(byId.has(bobsPublic.id)).toBe(true);
    expect(byId.has(mine.id)).toBe(true);
    expect(byId.has(dm.body.channel.id)).toBe(true);
    expect(byId.has(bobsPrivate.id)).toBe(false);
    // The four, and the workspace's own #general.
    expect(list.body.channels).toHaveLength(5);
    // Member: a number; not a member: null.
    expect(byId.get(pub.id)).toMatchObject({ isMember: true, unreadCount: 0 });
    expect(byId.get(bobsPublic.id)).toMatchObject({ isMember: false, memberRole: null, lastReadSeq: null, unreadCount: null });
    expect(byId.get(dm.body.channel.id)).toMatchObject({ kind: 'direct', name: null, unreadCount: 0, dmWith: { id: bob.id, displayName: 'Bob Builder' } });
    // Channels first by name, then DMs.
    expect(names(list.body.channels)).toEqual(['alpha', 'bravo', 'charlie', 'general', null]);
    expect(JSON.stringify(list.body)).not.toContain('delta');
  });

  it('counts unread messages posted by others, not the caller’s own', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('news');
    await bob.join(ch.id);
    for (const text of ['one', 'two', 'three']) await w.owner.say(ch.id, text);
    await bob.say(ch.id, 'four');
    const ownerView = (await w.owner.get('/api/channels')).body.channels.find((c: any) => c.id === ch.id);
    const bobView = (await bob.get('/api/channels')).body.channels.find((c: any) => c.id === ch.id);
    // The owner's read position is their own last post (seq 3); Bob's post is unread for them.
    expect(ownerView).toMatchObject({ lastSeq: 4, lastReadSeq: 3, unreadCount: 1 });
    // Bob's own post moves his read position to it: everything up to seq 4 counts as read.
    expect(bobView).toMatchObject({ lastSeq: 4, lastReadSeq: 4, unreadCount: 0 });
    await w.owner.say(ch.id, 'five');
    await w.owner.say(ch.id, 'six');
    const later = (await bob.get('/api/channels')).body.channels.find((c: any) => c.id === ch.id);
    expect(later).toMatchObject({ lastSeq: 6, unreadCount: 2 });
    expect(later.lastMessageAt).not.toBeNull();
  });

  it('hides archived channels unless ?archived=true', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('old-stuff');
    await w.owner.channel('current');
    expect((await w.owner.post(`/api/channels/${ch.id}/archive`)).status).toBe(200);
    expect(names(ownChannels((await w.owner.get('/api/channels')).body.channels))).toEqual(['current']);
    expect(names(ownChannels((await w.owner.get('/api/channels?archived=true')).body.channels))).toEqual(['current', 'old-stuff']);
  });
});

describe('getting a channel', () => {
  it('a public channel is visible to non-members, with the member count', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('open');
    const res = await bob.get(`/api/channels/${ch.id}`);
    expect(res.status).toBe(200);
    expect(res.body.channel).toMatchObject({ id: ch.id, name: 'open', isMember: false, unreadCount: null, memberCount: 1 });
  });

  it.each([
    ['a private channel the caller is not in', 'private'],
    ['an unknown channel id', 'unknown'],
    ['a malformed channel id', 'malformed'],
  ])('%s: 404 channel_not_found', async (_label, which) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('hidden', 'private');
    const id = which === 'private' ? ch.id : which === 'unknown' ? UNKNOWN_UUID : 'not-a-uuid';
    const res = await bob.get(`/api/channels/${id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('channel_not_found');
    expect(JSON.stringify(res.body)).not.toContain('hidden');
  });

  it('a workspace admin does not see a private channel they are not in', async () => {
    const w = await chatWorkspace();
    const admin = await w.user('admin');
    const bob = await w.user('member');
    const ch = await bob.channel('bob-only', 'private');
    expect((await admin.get(`/api/channels/${ch.id}`)).status).toBe(404);
  });
});

describe('updating a channel', () => {
  it.each([
    ['its owner (a plain workspace member)', 'channel-owner'],
    ['a workspace admin who is not a member', 'admin'],
    ['the workspace owner', 'workspace-owner'],
  ])('%s may change name, topic and description', async (_label, who) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const admin = await w.user('admin');
    const ch = await bob.channel('before');
    const actor: Client = who === 'channel-owner' ? bob : who === 'admin' ? admin : w.owner;
    const res = await actor.patch(`/api/channels/${ch.id}`, { name: 'After', topic: 'new topic', description: 'new description' });
    expect(res.status).toBe(200);
    expect(res.body.channel).toMatchObject({ id: ch.id, name: 'after', topic: 'new topic', description: 'new description' });
    expect((await bob.get(`/api/channels/${ch.id}`)).body.channel).toMatchObject({ name: 'after', topic: 'new topic' });
  });

  it('changes only the fields given', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('keep', 'public', { topic: 't0', description: 'd0' });
    const res = await w.owner.patch(`/api/channels/${ch.id}`, { topic: 't1' });
    expect(res.body.channel).toMatchObject({ name: 'keep', topic: 't1', description: 'd0' });
  });

  it.each([
    ['a plain member', 'member'],
    ['a guest', 'guest'],
  ])('%s of the channel may not: 403, nothing changes', async (_label, role) => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('stable', 'private');
    const user = await w.user(role as 'member' | 'guest');
    expect((await w.owner.post(`/api/channels/${ch.id}/members`, { userId: user.id })).status).toBe(201);
    const res = await user.patch(`/api/channels/${ch.id}`, { topic: 'hijacked' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.topic).toBe('');
  });

  it('renaming to a taken name is a 409; a bad name or an empty patch is a 400', async () => {
    const w = await chatWorkspace();
    await w.owner.channel('taken');
    const ch = await w.owner.channel('mine');
    const taken = await w.owner.patch(`/api/channels/${ch.id}`, { name: 'TAKEN' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('channel_name_taken');
    const bad = await w.owner.patch(`/api/channels/${ch.id}`, { name: 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i: any) => i.path)).toContain('name');
    expect((await w.owner.patch(`/api/channels/${ch.id}`, {})).status).toBe(400);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.name).toBe('mine');
  });
});

describe('archiving', () => {
  it('archive, refuse posts (409 channel_archived) and joins, unarchive, post again', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('seasonal');
    const archived = await w.owner.post(`/api/channels/${ch.id}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body.channel.archivedAt).not.toBeNull();
    const post = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'anyone?' });
    expect(post.status).toBe(409);
    expect(post.body.error.code).toBe('channel_archived');
    expect((await bob.post(`/api/channels/${ch.id}/join`)).status).toBe(409);
    expect((await w.owner.get(`/api/channels/${ch.id}/messages`)).body.messages).toEqual([]);
    const unarchived = await w.owner.post(`/api/channels/${ch.id}/unarchive`);
    expect(unarchived.status).toBe(200);
    expect(unarchived.body.channel.archivedAt).toBeNull();
    expect((await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'back' })).status).toBe(201);
  });

  it.each(['archive', 'unarchive'])('a plain member may not %s: 403', async (action) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('guarded');
    await bob.join(ch.id);
    const res = await bob.post(`/api/channels/${ch.id}/${action}`);
    expect(res.status).toBe(403);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.archivedAt).toBeNull();
  });
});

describe('deleting a channel', () => {
  it('a workspace admin deletes it: its messages are gone and its sockets are closed with 4004', async () => {
    const w = await chatWorkspace();
    const admin = await w.user('admin');
    const ch = await w.owner.channel('doomed');
    const m = await w.owner.say(ch.id, 'first');
    await w.owner.say(ch.id, 'reply', { parentId: m.id });
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    const res = await admin.del(`/api/channels/${ch.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: true, id: ch.id });
    expect((await socket.closed).code).toBe(4004);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).status).toBe(404);
    expect((await w.owner.get(`/api/channels/${ch.id}/messages`)).status).toBe(404);
    expect((await w.owner.get(`/api/messages/${m.id}`)).status).toBe(404);
    expect(await count(w.schema, 'nchat_messages', 'channel_id = $1', [ch.id])).toBe(0);
    expect(await count(w.schema, 'nchat_channel_members', 'channel_id = $1', [ch.id])).toBe(0);
    expect(ownChannels((await w.owner.get('/api/channels')).body.channels)).toEqual([]);
  });

  it.each([
    ['a plain member', 'member'],
    ['a guest', 'guest'],
  ])('%s may not delete: 403, the channel and its messages stay', async (_label, role) => {
    const w = await chatWorkspace();
    const user = await w.user(role as 'member' | 'guest');
    const ch = await w.owner.channel('sturdy', 'private', { memberIds: [user.id] });
    await w.owner.say(ch.id, 'still here');
    const res = await user.del(`/api/channels/${ch.id}`);
    expect(res.status).toBe(403);
    expect((await w.owner.get(`/api/channels/${ch.id}/messages`)).body.messages).toHaveLength(1);
  });
});

describe('membership', () => {
  it('joining a public channel makes the caller a member whose read position starts at the end', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('lobby');
    await w.owner.say(ch.id, 'history 1');
    await w.owner.say(ch.id, 'history 2');
    const res = await bob.post(`/api/channels/${ch.id}/join`);
    expect(res.status).toBe(200);
    expect(res.body.channel).toMatchObject({ isMember: true, memberRole: 'member', lastReadSeq: 2, unreadCount: 0, memberCount: 2 });
    // Joining twice changes nothing.
    expect((await bob.post(`/api/channels/${ch.id}/join`)).body.channel.memberCount).toBe(2);
  });

  it('a private channel cannot be joined: 404 for a non-member (its existence is hidden), 403 for a member', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('closed', 'private');
    const outsider = await bob.post(`/api/channels/${ch.id}/join`);
    expect(outsider.status).toBe(404);
    expect(outsider.body.error.code).toBe('channel_not_found');
    const member = await w.owner.post(`/api/channels/${ch.id}/join`);
    expect(member.status).toBe(403);
    expect(member.body.error.code).toBe('forbidden');
  });

  it('a guest cannot join a public channel: 403', async () => {
    const w = await chatWorkspace();
    const guest = await w.user('guest');
    const ch = await w.owner.channel('public-but-not-for-guests');
    const res = await guest.post(`/api/channels/${ch.id}/join`);
    expect(res.status).toBe(403);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(1);
  });

  it('leaving: 200, no longer a member, the caller’s sockets in the room are closed (others stay)', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('drop-in');
    await bob.join(ch.id);
    const bobSocket = await bob.socket(ch.id);
    const ownerSocket = await w.owner.socket(ch.id);
    await ownerSocket.next((f) => f.type === 'presence' && f.online.length === 2);
    const res = await bob.post(`/api/channels/${ch.id}/leave`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ left: true });
    expect((await bobSocket.closed).code).toBe(4003);
    await ownerSocket.next((f) => f.type === 'presence' && f.online.length === 1 && f.online[0] === w.owner.id);
    expect((await bob.get(`/api/channels/${ch.id}`)).body.channel.isMember).toBe(false);
    const post = await bob.post(`/api/channels/${ch.id}/messages`, { text: 'still here?' });
    expect(post.status).toBe(403);
    expect(post.body.error.code).toBe('not_a_member');
    // Leaving again: not a member.
    expect((await bob.post(`/api/channels/${ch.id}/leave`)).status).toBe(403);
    ownerSocket.close();
  });

  it('a DM cannot be left: 400', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const dm = (await w.owner.post('/api/dms', { userId: bob.id })).body.channel;
    expect((await w.owner.post(`/api/channels/${dm.id}/leave`)).status).toBe(400);
  });

  it('members of a private channel add people; the added user then sees it', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const carol = await w.user('member');
    const ch = await w.owner.channel('inner-circle', 'private');
    expect((await bob.get(`/api/channels/${ch.id}`)).status).toBe(404);
    const add = await w.owner.post(`/api/channels/${ch.id}/members`, { userId: bob.id });
    expect(add.status).toBe(201);
    expect(add.body.members.map((m: any) => m.id).sort()).toEqual([w.owner.id, bob.id].sort());
    expect((await bob.get(`/api/channels/${ch.id}`)).body.channel).toMatchObject({ isMember: true, memberRole: 'member' });
    // A plain member of the private channel may add someone too.
    expect((await bob.post(`/api/channels/${ch.id}/members`, { userId: carol.id })).status).toBe(201);
    // Adding again changes nothing.
    const again = await w.owner.post(`/api/channels/${ch.id}/members`, { userId: carol.id });
    expect(again.body.members).toHaveLength(3);
  });

  it('a non-member cannot add anyone to a private channel (it is not found for them)', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const carol = await w.user('member');
    const ch = await w.owner.channel('invite-only', 'private');
    const res = await bob.post(`/api/channels/${ch.id}/members`, { userId: carol.id });
    expect(res.status).toBe(404);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(1);
  });

  it.each([
    ['an unknown user', 'unknown', 404, 'user_not_found'],
    ['a deactivated user', 'deactivated', 409, 'user_deactivated'],
    ['a malformed user id', 'malformed', 400, 'validation_failed'],
  ])('adding %s (%s): %i %s', async (_label, which, status, code) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    if (which === 'deactivated') await deactivateInDatabase(w.schema, bob.id);
    const ch = await w.owner.channel('add-edge', 'private');
    const userId = which === 'unknown' ? UNKNOWN_UUID : which === 'malformed' ? 'bob' : bob.id;
    const res = await w.owner.post(`/api/channels/${ch.id}/members`, { userId });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(1);
  });

  it('a public channel: a non-member adds nobody (403 not_a_member) unless they manage it; a workspace admin may', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const carol = await w.user('member');
    const admin = await w.user('admin');
    const ch = await w.owner.channel('open-door');
    const res = await bob.post(`/api/channels/${ch.id}/members`, { userId: carol.id });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(1);
    const added = await admin.post(`/api/channels/${ch.id}/members`, { userId: carol.id });
    expect(added.status).toBe(201);
    expect(added.body.members.map((m: any) => m.id).sort()).toEqual([w.owner.id, carol.id].sort());
  });

  it.each([
    ['join', 'an unknown channel', UNKNOWN_UUID],
    ['join', 'a malformed channel id', 'not-a-channel'],
    ['members', 'an unknown channel', UNKNOWN_UUID],
    ['members', 'a malformed channel id', 'not-a-channel'],
  ])('POST /api/channels/:id/%s on %s: 404 channel_not_found, nothing written', async (action, _label, id) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const res = await w.owner.post(`/api/channels/${id}/${action}`, action === 'members' ? { userId: bob.id } : undefined);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('channel_not_found');
    expect(await count(w.schema, 'nchat_channel_members', 'user_id = $1', [bob.id])).toBe(0);
  });

  it('a guest member cannot add people: 403', async () => {
    const w = await chatWorkspace();
    const guest = await w.user('guest');
    const bob = await w.user('member');
    const ch = await w.owner.channel('with-guest', 'private', { memberIds: [guest.id] });
    expect((await guest.post(`/api/channels/${ch.id}/members`, { userId: bob.id })).status).toBe(403);
  });

  it('removing a member closes their sockets with 4003; afterwards the channel is not found for them', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('ops', 'private', { memberIds: [bob.id] });
    const bobSocket = await bob.socket(ch.id);
    await bobSocket.next((f) => f.type === 'ready');
    const res = await w.owner.del(`/api/channels/${ch.id}/members/${bob.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ removed: true });
    const closed = await bobSocket.closed;
    expect(closed.code).toBe(4003);
    expect((await bob.get(`/api/channels/${ch.id}`)).status).toBe(404);
    expect((await bob.get(`/api/channels/${ch.id}/messages`)).status).toBe(404);
    expect((await bob.post(`/api/channels/${ch.id}/messages`, { text: 'let me in' })).status).toBe(404);
    expect((await openSocket(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws`), bearer(bob.token))).status).toBe(404);
    expect((await bob.post(`/api/channels/${ch.id}/ws-ticket`)).status).toBe(404);
    expect((await w.owner.get(`/api/channels/${ch.id}/members`)).body.members.map((m: any) => m.id)).toEqual([w.owner.id]);
  });

  it('a plain member may not remove someone else (403) but may remove themself', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const carol = await w.user('member');
    const ch = await w.owner.channel('peers', 'private', { memberIds: [bob.id, carol.id] });
    const res = await bob.del(`/api/channels/${ch.id}/members/${carol.id}`);
    expect(res.status).toBe(403);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(3);
    expect((await bob.del(`/api/channels/${ch.id}/members/${bob.id}`)).status).toBe(200);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(2);
  });

  it('removing someone who is not a member: 404', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('solo', 'private');
    expect((await w.owner.del(`/api/channels/${ch.id}/members/${bob.id}`)).status).toBe(404);
  });
});

describe('direct messages', () => {
  it('POST /api/dms opens one channel per pair: 201 first, then 200 with the same channel from either side', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member', { displayName: 'Bob' });
    const first = await w.owner.post('/api/dms', { userId: bob.id });
    expect(first.status).toBe(201);
    expect(first.body.channel).toMatchObject({ kind: 'direct', name: null, isMember: true, dmWith: { id: bob.id, displayName: 'Bob' } });
    const again = await w.owner.post('/api/dms', { userId: bob.id });
    expect(again.status).toBe(200);
    expect(again.body.channel.id).toBe(first.body.channel.id);
    const reverse = await bob.post('/api/dms', { userId: w.owner.id });
    expect(reverse.status).toBe(200);
    expect(reverse.body.channel.id).toBe(first.body.channel.id);
    expect(reverse.body.channel.dmWith).toEqual({ id: w.owner.id, displayName: 'Owner' });
    expect((await bob.get(`/api/channels/${first.body.channel.id}`)).body.channel.memberCount).toBe(2);
  });

  it('both sides can talk in it; a third user cannot see it', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const eve = await w.user('member');
    const dm = (await w.owner.post('/api/dms', { userId: bob.id })).body.channel;
    await w.owner.say(dm.id, 'psst');
    const bobView = (await bob.get('/api/channels')).body.channels.find((c: any) => c.id === dm.id);
    expect(bobView).toMatchObject({ unreadCount: 1, dmWith: { id: w.owner.id } });
    expect((await bob.get(`/api/channels/${dm.id}/messages`)).body.messages.map((m: any) => m.text)).toEqual(['psst']);
    expect((await eve.get(`/api/channels/${dm.id}`)).status).toBe(404);
    expect((await eve.get(`/api/channels/${dm.id}/messages`)).status).toBe(404);
    expect((await eve.post(`/api/channels/${dm.id}/join`)).status).toBe(404);
    expect(ownChannels((await eve.get('/api/channels')).body.channels)).toEqual([]);
  });

  it.each([
    ['with oneself', 'self', 400, 'bad_request'],
    ['with an unknown user', 'unknown', 404, 'user_not_found'],
    ['with a deactivated user', 'deactivated', 409, 'user_deactivated'],
    ['with a malformed id', 'malformed', 400, 'validation_failed'],
  ])('a DM %s (%s): %i %s, nothing created', async (_label, which, status, code) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    if (which === 'deactivated') await deactivateInDatabase(w.schema, bob.id);
    const userId = which === 'self' ? w.owner.id : which === 'unknown' ? UNKNOWN_UUID : which === 'malformed' ? '123' : bob.id;
    const res = await w.owner.post('/api/dms', { userId });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await count(w.schema, 'nchat_channels', "kind = 'direct'", [])).toBe(0);
  });

  it('a DM has no name to change', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const dm = (await w.owner.post('/api/dms', { userId: bob.id })).body.channel;
    expect((await w.owner.patch(`/api/channels/${dm.id}`, { name: 'renamed' })).status).toBe(400);
  });
});

describe('concurrent requests', () => {
  it('opening the same DM from both sides at once yields one channel: one 201, the rest 200', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const results = await Promise.all(range(6).map((i) => (i % 2 ? w.owner.post('/api/dms', { userId: bob.id }) : bob.post('/api/dms', { userId: w.owner.id }))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.channel.id)).size).toBe(1);
    expect(await count(w.schema, 'nchat_channels', "kind = 'direct'", [])).toBe(1);
    expect(await count(w.schema, 'nchat_channel_members', 'channel_id = $1', [results[0]!.body.channel.id])).toBe(2);
  });

  it('creating one name at once: one 201, the others 409 channel_name_taken', async () => {
    const w = await chatWorkspace();
    const results = await Promise.all(['race', 'RACE', 'Race', 'race'].map((name) => w.owner.post('/api/channels', { name })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('channel_name_taken');
    expect(names(ownChannels((await w.owner.get('/api/channels')).body.channels))).toEqual(['race']);
  });

  it('joining at once from many requests: one membership', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('crowded');
    const results = await Promise.all(range(5).map(() => bob.post(`/api/channels/${ch.id}/join`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.memberCount).toBe(2);
  });
});

describe('read positions', () => {
  it('POST /api/channels/:id/read lowers the unread count; it never goes backwards or past the end', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('reading');
    await bob.join(ch.id);
    for (const text of ['a', 'b', 'c', 'd']) await w.owner.say(ch.id, text);
    const unread = async () => (await bob.get('/api/channels')).body.channels.find((c: any) => c.id === ch.id).unreadCount;
    expect(await unread()).toBe(4);

    const r1 = await bob.post(`/api/channels/${ch.id}/read`, { seq: 2 });
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ lastReadSeq: 2, unreadCount: 2 });
    expect(await unread()).toBe(2);
    expect((await bob.get(`/api/channels/${ch.id}`)).body.channel).toMatchObject({ lastReadSeq: 2, unreadCount: 2 });

    const back = await bob.post(`/api/channels/${ch.id}/read`, { seq: 1 });
    expect(back.body).toEqual({ lastReadSeq: 2, unreadCount: 2 });

    const past = await bob.post(`/api/channels/${ch.id}/read`, { seq: 999 });
    expect(past.body).toEqual({ lastReadSeq: 4, unreadCount: 0 });
    expect(await unread()).toBe(0);

    await w.owner.say(ch.id, 'e');
    expect(await unread()).toBe(1);
  });

  it.each([
    ['a negative seq', { seq: -1 }],
    ['a fractional seq', { seq: 1.5 }],
    ['a string seq', { seq: '3' }],
    ['no seq', {}],
  ])('%s: 400 validation_failed', async (_label, body) => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('strict-read');
    const res = await w.owner.post(`/api/channels/${ch.id}/read`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('a non-member of a public channel cannot mark it read: 403 not_a_member', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('not-yours');
    const res = await bob.post(`/api/channels/${ch.id}/read`, { seq: 0 });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
  });
});

describe('a deactivated user’s old token', () => {
  type Ids = { ch: string; msg: number; other: string };
  const routes: [string, string, (ids: Ids) => string, ((ids: Ids) => unknown)?][] = [
    ['GET', 'list channels', () => '/api/channels'],
    ['POST', 'create a channel', () => '/api/channels', () => ({ name: 'late' })],
    ['GET', 'get a channel', ({ ch }) => `/api/channels/${ch}`],
    ['PATCH', 'update a channel', ({ ch }) => `/api/channels/${ch}`, () => ({ topic: 'x' })],
    ['GET', 'list members', ({ ch }) => `/api/channels/${ch}/members`],
    ['POST', 'mark read', ({ ch }) => `/api/channels/${ch}/read`, () => ({ seq: 1 })],
    ['POST', 'leave', ({ ch }) => `/api/channels/${ch}/leave`],
    ['POST', 'join', ({ ch }) => `/api/channels/${ch}/join`],
    ['POST', 'add a member', ({ ch }) => `/api/channels/${ch}/members`, ({ other }) => ({ userId: other })],
    ['POST', 'ws-ticket', ({ ch }) => `/api/channels/${ch}/ws-ticket`],
    ['GET', 'list messages', ({ ch }) => `/api/channels/${ch}/messages`],
    ['POST', 'post a message', ({ ch }) => `/api/channels/${ch}/messages`, () => ({ text: 'ghost' })],
    ['GET', 'get a message', ({ msg }) => `/api/messages/${msg}`],
    ['PATCH', 'edit a message', ({ msg }) => `/api/messages/${msg}`, () => ({ text: 'ghost edit' })],
    ['DELETE', 'delete a message', ({ msg }) => `/api/messages/${msg}`],
    ['GET', 'a thread', ({ msg }) => `/api/messages/${msg}/thread`],
    ['POST', 'react', ({ msg }) => `/api/messages/${msg}/reactions`, () => ({ emoji: ':ghost:' })],
    ['GET', 'search', () => '/api/search?q=hello'],
    ['POST', 'open a DM', () => '/api/dms', ({ other }) => ({ userId: other })],
  ];

  it.each(routes)('is refused on %s (%s): 401 session_revoked, nothing written', async (method, _label, path, body) => {
    // A Pro trial: search is a Pro feature, and a free plan would refuse it (403) before the session is checked.
    const w = await chatWorkspace({ trial: true });
    const bob = await w.user('member');
    const ch = await w.owner.channel('team');
    await bob.join(ch.id);
    const msg = await bob.say(ch.id, 'hello from bob');
    await deactivateInDatabase(w.schema, bob.id);
    const ids = { ch: ch.id, msg: msg.id, other: w.owner.id };
    const res = await api(bob.url(path(ids)), { method, headers: bearer(bob.token), ...(body ? { json: body(ids) } : {}) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');
    const messages = (await w.owner.get(`/api/channels/${ch.id}/messages`)).body.messages;
    expect(messages).toEqual([expect.objectContaining({ id: msg.id, text: 'hello from bob', deleted: false, editedAt: null, reactions: [] })]);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel).toMatchObject({ topic: '', memberCount: 2 });
    expect(names(ownChannels((await w.owner.get('/api/channels')).body.channels))).toEqual(['team']);
  });

  it('cannot open the channel’s WebSocket: 401 session_revoked', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('team', 'private', { memberIds: [bob.id] });
    await deactivateInDatabase(w.schema, bob.id);
    const res = await openSocket(bob.url(`/api/channels/${ch.id}/ws`), bearer(bob.token));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');
  });
});
