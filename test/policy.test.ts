/**
 * Policy with no way around it (issue 10): the holes found by trying the product, each as a
 * test that failed before the fix.
 *  - every tenant route re-checks the session: a demoted, deactivated or signed-out admin's old
 *    token gets nothing from /api/tenant/* either;
 *  - one admission rule for a new message, over REST and over a socket: a feature switched off
 *    or a suspension applies to sockets opened before it (the TenantGate pushes the snapshot to
 *    the rooms), a suspension closes them, and a session that ended while a socket stayed open
 *    cannot post through it;
 *  - effects after a commit never fail the request (a room that cannot be reached);
 *  - odd input is a 4xx, never a 500 (examples of each class; test/route-bad-input.test.ts
 *    sends it to every route).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { encodeCursor } from '../src/http/cursor';
import { chatWorkspace, untilInPostgres, type ChatWorkspace, type TestSocket } from './support/chat';
import { TEST_STRIPE_WEBHOOK_SECRET } from './support/constants';
import { WEBHOOK_URL } from './support/stripe';
import { adminAuth, api, call, database, expectError, PLATFORM, tenantUrl } from './support/tenants';

async function adminPut(tenantId: string, json: Record<string, unknown>): Promise<void> {
  const res = await api(`${PLATFORM}/api/tenants/${tenantId}`, { method: 'PUT', headers: adminAuth, json });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function messageTexts(w: ChatWorkspace, channelId: string): Promise<string[]> {
  const rows = (await database().sql.query(`SELECT text FROM "${w.schema}".nchat_messages WHERE channel_id = $1 ORDER BY seq`, [channelId])) as { text: string }[];
  return rows.map((r) => r.text);
}

/** An open socket of the owner in a new public channel with one top-level message. */
async function openRoom(options: Parameters<typeof chatWorkspace>[0] = {}) {
  const w = await chatWorkspace(options);
  const ch = await w.owner.channel('lounge');
  const msg = await w.owner.say(ch.id, 'the parent');
  const socket = await w.owner.socket(ch.id);
  await socket.next((f) => f.type === 'ready');
  return { w, ch, msg, socket };
}

async function errorFrame(socket: TestSocket, clientId: string, timeoutMs = 1000): Promise<Record<string, any>> {
  return socket.next((f) => f.type === 'error' && f.clientId === clientId, timeoutMs);
}

describe('the session check cannot be skipped: /api/tenant/* for owners and admins', () => {
  const routes = [
    ['GET', '/api/tenant/settings', undefined],
    ['PUT', '/api/tenant/settings', { timezone: 'Europe/Paris' }],
    ['GET', '/api/tenant/audit-logs', undefined],
    ['GET', '/api/tenant/usage', undefined],
  ] as const;

  it.each(['demoted', 'deactivated', 'signed out'] as const)('an admin who was %s gets 401 on every one of them, whatever the caches hold', async (what) => {
    const w = await chatWorkspace({ trial: true });
    const admin = await w.user('admin');
    // The token works first (the routes answer it, the caches have seen it).
    for (const [method, path, body] of routes) expect((await call(w.t, method, path, admin.token, body && { timezone: 'Asia/Tokyo' })).status, `${method} ${path}`).toBe(200);
    if (what === 'demoted') expect((await call(w.t, 'PUT', `/api/users/${admin.id}/role`, w.owner.token, { role: 'member' })).status).toBe(200);
    if (what === 'deactivated') expect((await call(w.t, 'POST', `/api/users/${admin.id}/deactivate`, w.owner.token)).status).toBe(200);
    if (what === 'signed out') expect((await call(w.t, 'POST', '/api/auth/logout', admin.token)).status).toBe(204);
    for (const [method, path, body] of routes) expectError(await call(w.t, method, path, admin.token, body), 401, 'session_revoked');
    // Nothing was changed by the refused PUT.
    const settings = await call(w.t, 'GET', '/api/tenant/settings', w.owner.token);
    expect(settings.body.settings.timezone).toBe('Asia/Tokyo');
  });
});

describe('one admission rule for a new message, over REST and over a socket', () => {
  it('threads switched off: a reply over an open socket is refused like over REST, and nothing is stored; switched on again, it goes in', async () => {
    const { w, ch, msg, socket } = await openRoom();
    await adminPut(w.t.id, { plan: 'custom', features: { threads: false } });
    socket.send({ type: 'message', text: 'socket reply', parentId: msg.id, clientId: 'r1' });
    const refused = await errorFrame(socket, 'r1');
    expect(refused).toMatchObject({ code: 'feature_not_in_plan', details: { feature: 'threads', plan: 'custom' } });
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'rest reply', parentId: msg.id }), 403, 'feature_not_in_plan');
    // Top-level messages still go in over the same socket.
    socket.send({ type: 'message', text: 'top level', clientId: 't1' });
    const topLevel = await socket.next((f) => f.type === 'message.created' && f.message.clientId === 't1');
    await untilInPostgres(w.schema, ch.id, topLevel.message.seq);
    expect(await messageTexts(w, ch.id)).toEqual(['the parent', 'top level']);

    await adminPut(w.t.id, { features: { threads: true } });
    socket.send({ type: 'message', text: 'socket reply', parentId: msg.id, clientId: 'r2' });
    const created = await socket.next((f) => f.type === 'message.created' && f.message.clientId === 'r2', 1000);
    expect(created.message.parentId).toBe(msg.id);
    socket.close();
  });

  it('an operator suspends the workspace: open sockets are told and closed (4403) within a second, and store nothing more', async () => {
    const { w, ch, socket } = await openRoom();
    const bob = await w.user('member');
    await bob.join(ch.id);
    const bobSocket = await bob.socket(ch.id);
    await bobSocket.next((f) => f.type === 'ready');
    const started = Date.now();
    const suspended = await api(`${PLATFORM}/api/tenants/${w.t.id}/suspend`, { method: 'POST', headers: adminAuth, json: { reason: 'abuse report' } });
    expect(suspended.status).toBe(200);
    for (const s of [socket, bobSocket]) {
      const frame = await s.next((f) => f.type === 'error', 1000);
      expect(frame.code).toBe('tenant_suspended');
      const closed = await s.closed;
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(/suspended/);
    }
    expect(Date.now() - started).toBeLessThan(1000);
    // A socket cannot be opened again, and nothing was stored after the suspension.
    const again = await api(tenantUrl(w.t.slug, `/api/channels/${ch.id}/ws`), { headers: { upgrade: 'websocket', authorization: `Bearer ${w.owner.token}` } });
    expectError(again, 403, 'tenant_suspended');
    expect(await messageTexts(w, ch.id)).toEqual(['the parent']);
  });

  it('a session that ended while its socket stayed open: a message checked as it is stored is refused (session_revoked) and the socket closed with 4401', async () => {
    const { w, ch, socket } = await openRoom();
    // Ended behind the room's back (as if closing its sockets had failed): only the checks in Postgres stand.
    await database().sql.query(`UPDATE "${w.schema}".nchat_users SET session_version = session_version + 1 WHERE id = $1`, [w.owner.id]);
    socket.send({ type: 'message', text: 'after the end, @owner', clientId: 'x1' });
    expect(await errorFrame(socket, 'x1')).toMatchObject({ code: 'session_revoked' });
    expect((await socket.closed).code).toBe(4401);
    expect(await messageTexts(w, ch.id)).toEqual(['the parent']);
  });

  it('a session that ended while its socket stayed open: a plain message (durable in the room log when accepted) is its last; the re-check as it reaches Postgres closes the socket (4401)', async () => {
    const { w, ch, socket } = await openRoom();
    await database().sql.query(`UPDATE "${w.schema}".nchat_users SET session_version = session_version + 1 WHERE id = $1`, [w.owner.id]);
    socket.send({ type: 'message', text: 'after the end', clientId: 'x2' });
    expect((await socket.closed).code).toBe(4401);
    expect(await messageTexts(w, ch.id)).toEqual(['the parent', 'after the end']);
  });

  it('REST and socket give the same refusals for an archived channel and an invalid parent', async () => {
    const { w, ch, msg, socket } = await openRoom();
    const reply = await w.owner.say(ch.id, 'a reply', { parentId: msg.id });
    socket.send({ type: 'message', text: 'reply to a reply', parentId: reply.id, clientId: 'p1' });
    expect(await errorFrame(socket, 'p1')).toMatchObject({ code: 'invalid_parent' });
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'reply to a reply', parentId: reply.id }), 400, 'invalid_parent');
    expect((await w.owner.post(`/api/channels/${ch.id}/archive`)).status).toBe(200);
    socket.send({ type: 'message', text: 'into the archive', clientId: 'a1' });
    expect(await errorFrame(socket, 'a1')).toMatchObject({ code: 'channel_archived' });
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'into the archive' }), 409, 'channel_archived');
    expect(await messageTexts(w, ch.id)).toEqual(['the parent', 'a reply']);
    socket.close();
  });
});

describe('effects after a commit never fail the request', () => {
  const unreachable = () => {
    throw new Error('ChatRoom unreachable');
  };
  const roomsDown = { ...env, CHAT_ROOM: { idFromName: unreachable, idFromString: unreachable, newUniqueId: unreachable, get: unreachable } } as unknown as Env;

  async function viaRoomsDown(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, any> }> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(url, init), roomsDown, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it.each(['leave', 'removal by a manager', 'edit', 'read position'] as const)('%s commits and answers 2xx with every room unreachable', async (what) => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('lounge');
    await bob.join(ch.id);
    const msg = await bob.say(ch.id, 'hello');
    const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const url = (path: string) => tenantUrl(w.t.slug, path);
    const res =
      what === 'leave'
        ? await viaRoomsDown(url(`/api/channels/${ch.id}/leave`), { method: 'POST', headers: auth(bob.token) })
        : what === 'removal by a manager'
          ? await viaRoomsDown(url(`/api/channels/${ch.id}/members/${bob.id}`), { method: 'DELETE', headers: auth(w.owner.token) })
          : what === 'edit'
            ? await viaRoomsDown(url(`/api/messages/${msg.id}`), { method: 'PATCH', headers: auth(bob.token), body: JSON.stringify({ text: 'edited' }) })
            : await viaRoomsDown(url(`/api/channels/${ch.id}/read`), { method: 'POST', headers: auth(bob.token), body: JSON.stringify({ seq: 1 }) });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const members = (await database().sql.query(`SELECT user_id FROM "${w.schema}".nchat_channel_members WHERE channel_id = $1`, [ch.id])) as { user_id: string }[];
    if (what === 'leave' || what === 'removal by a manager') expect(members.map((m) => m.user_id)).toEqual([w.owner.id]);
    if (what === 'edit') expect(await messageTexts(w, ch.id)).toEqual(['edited']);
  });
});

describe('odd input is a 4xx with the JSON error, never a 500', () => {
  it('a NUL byte in message text, a channel topic, a search, and the anonymous by-domain lookup', async () => {
    const w = await chatWorkspace({ trial: true });
    const ch = await w.owner.channel('lounge');
    expectError(await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'a\u0000b' }), 400, 'validation_failed');
    expectError(await w.owner.patch(`/api/channels/${ch.id}`, { topic: 'x\u0000' }), 400, 'validation_failed');
    expectError(await w.owner.get('/api/search?q=%00'), 400, 'validation_failed');
    expectError(await api(`${PLATFORM}/api/tenants/by-domain?domain=%00`), 400, 'validation_failed');
    expectError(await api(tenantUrl(w.t.slug, '/api/channels/%ff')), 400, 'bad_request');
    expect(await messageTexts(w, ch.id)).toEqual([]);
  });

  it('a lone UTF-16 surrogate in JSON text', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    const res = await api(tenantUrl(w.t.slug, `/api/channels/${ch.id}/messages`), {
      method: 'POST',
      headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'application/json' },
      body: '{"text":"half a pair: \\ud800"}',
    });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details.issues).toEqual([{ path: 'text', message: expect.stringMatching(/surrogate/) }]);
  });

  it('a crafted cursor whose time Date.parse accepts but no database does, and out-of-range audit-log dates', async () => {
    const w = await chatWorkspace({ trial: true });
    for (const t of ['2026', 'Tue', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00Z']) {
      expectError(await w.owner.get(`/api/invitations?cursor=${encodeCursor({ t, id: crypto.randomUUID() })}`), 400, 'invalid_cursor');
    }
    for (const from of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-14:00', '+275760-09-13T00:00:00Z', '2026-13-01T00:00:00Z']) {
      expectError(await w.owner.get(`/api/tenant/audit-logs?from=${encodeURIComponent(from)}`), 400, 'validation_failed');
    }
    expect((await w.owner.get(`/api/tenant/audit-logs?from=${encodeURIComponent('2026-01-01T00:00:00+02:00')}`)).status).toBe(200);
  });

  it('a malformed user id when removing a channel member', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    expectError(await w.owner.del(`/api/channels/${ch.id}/members/not-a-uuid`), 404, 'user_not_found');
  });

  it('a validly signed Stripe event whose data.object is null: 400, nothing stored, no internals', async () => {
    const stripe = new Stripe('sk_test_unused', { httpClient: Stripe.createFetchHttpClient() });
    const id = `evt_policy_${crypto.randomUUID().replace(/-/g, '')}`;
    const payload = JSON.stringify({ id, object: 'event', type: 'customer.subscription.updated', created: Math.floor(Date.now() / 1000), data: { object: null } });
    const signature = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: TEST_STRIPE_WEBHOOK_SECRET, cryptoProvider: Stripe.createSubtleCryptoProvider() });
    const res = await api(WEBHOOK_URL, { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body: payload });
    expectError(res, 400, 'invalid_payload');
    expect(JSON.stringify(res.body)).not.toMatch(/TypeError|Cannot read/);
    const stored = (await database().sql.query('SELECT 1 FROM public.stripe_webhooks WHERE event_id = $1', [id])) as unknown[];
    expect(stored).toEqual([]);
  });
});

