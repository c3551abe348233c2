/**
 * What the web app needs from the API (issue 11): the one bootstrap request, the platform host's
 * answer, the slug check of the sign-up form, the handoff from sign-up on the platform host to a
 * signed-in session on the workspace's own host, the invitation preview, and #general.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { chatWorkspace } from './support/chat';
import { api, bearer, call, createTenant, expectError, PLATFORM, tenantUrl, uniqueIp, uniqueSlug } from './support/tenants';
import { gateStub } from '../src/tenancy/gate';

function cookieOf(res: { headers: Headers }): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /nchat_session=([^;]+)/.exec(set);
  if (!m) throw new Error(`no session cookie in ${set}`);
  return `nchat_session=${m[1]}`;
}

async function signUp(slug = uniqueSlug()) {
  const res = await api(`${PLATFORM}/api/tenants/create`, {
    method: 'POST',
    headers: { 'cf-connecting-ip': uniqueIp() },
    json: { name: 'Handoff Co', slug, ownerEmail: `owner@${slug}.test`, ownerName: 'Olive Owner', ownerPassword: 'securepass123', plan: 'free', trial: false },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { slug, body: res.body, code: new URL(res.body.handoffUrl).hash.replace(/^#handoff=/, '') };
}

describe('GET /api/tenant: the bootstrap', () => {
  it('on the platform host there is no workspace: {tenant: null, platform}', async () => {
    const res = await api(`${PLATFORM}/api/tenant`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tenant: null, platform: { baseDomain: env.BASE_DOMAIN, trialDays: 14 } });
  });

  it('?include=session gives a member their account and channels (with unread counts) in the same request; others get session: null', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('news');
    await bob.join(ch.id);
    await w.owner.say(ch.id, 'one');
    await w.owner.say(ch.id, 'two');
    const res = await call(w.t, 'GET', '/api/tenant?include=session', bob.token);
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ id: w.t.id, slug: w.t.slug, limitsExceeded: [] });
    expect(res.body.session.user).toMatchObject({ id: bob.id, role: 'member' });
    expect(res.body.session.channels.find((c: { id: string }) => c.id === ch.id)).toMatchObject({ isMember: true, unreadCount: 2 });
    expect(JSON.stringify(res.body)).not.toMatch(/password|session_?version/i);

    expect((await call(w.t, 'GET', '/api/tenant?include=session')).body).toEqual({ tenant: expect.objectContaining({ id: w.t.id }), session: null });
    // Without include: as before (no session key at all).
    expect((await call(w.t, 'GET', '/api/tenant', bob.token)).body).not.toHaveProperty('session');
    // An ended session counts as signed out.
    expect((await call(w.t, 'POST', '/api/auth/logout', bob.token)).status).toBe(204);
    expect((await call(w.t, 'GET', '/api/tenant?include=session', bob.token)).body.session).toBeNull();
    // Another workspace's session is nobody here.
    const other = await createTenant();
    expect((await call(w.t, 'GET', '/api/tenant?include=session', other.token)).body.session).toBeNull();
  });

  it('refuses an include it does not know', async () => {
    const w = await chatWorkspace();
    expectError(await call(w.t, 'GET', '/api/tenant?include=everything', w.owner.token), 400, 'validation_failed');
  });
});

describe('GET /api/tenants/slug-availability', () => {
  it('free, taken, reserved, and malformed (a field error, like sign-up)', async () => {
    const t = await createTenant();
    const free = uniqueSlug('free');
    expect((await api(`${PLATFORM}/api/tenants/slug-availability?slug=${free}`)).body).toEqual({ slug: free, available: true });
    expect((await api(`${PLATFORM}/api/tenants/slug-availability?slug=${t.slug.toUpperCase()}`)).body).toMatchObject({ slug: t.slug, available: false, reason: 'taken' });
    expect((await api(`${PLATFORM}/api/tenants/slug-availability?slug=admin`)).body).toMatchObject({ available: false, reason: 'reserved' });
    const bad = await api(`${PLATFORM}/api/tenants/slug-availability?slug=-no-`);
    expectError(bad, 400, 'validation_failed');
    expect(bad.body.error.details.issues[0].path).toBe('slug');
    // Only on the platform host.
    expectError(await api(tenantUrl(t.slug, `/api/tenants/slug-availability?slug=${free}`)), 404, 'not_found');
  });
});

describe('from sign-up on the platform host to a session on the workspace host', () => {
  it('the handoff code in the URL fragment becomes the workspace host’s session cookie, once', async () => {
    const { slug, body, code } = await signUp();
    expect(body.handoffUrl).toBe(`${body.url}/welcome#handoff=${code}`);
    const res = await api(tenantUrl(slug, '/api/auth/handoff'), { method: 'POST', json: { code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ email: `owner@${slug}.test`, role: 'owner' });
    const cookie = cookieOf(res);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const me = await api(tenantUrl(slug, '/api/me'), { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(`owner@${slug}.test`);
    // Single use.
    expectError(await api(tenantUrl(slug, '/api/auth/handoff'), { method: 'POST', json: { code } }), 401, 'invalid_handoff');
  });

  it('is refused on another workspace’s host, when expired, or when the session ended in between', async () => {
    const a = await signUp();
    const b = await signUp();
    expectError(await api(tenantUrl(b.slug, '/api/auth/handoff'), { method: 'POST', json: { code: a.code } }), 401, 'invalid_handoff');
    // Still good on its own host: the refusal elsewhere did not use it up.
    expect((await api(tenantUrl(a.slug, '/api/auth/handoff'), { method: 'POST', json: { code: a.code } })).status).toBe(200);

    const expiring = await gateStub(env, b.body.tenant.id).issueHandoff({ userId: b.body.owner.id, role: 'owner', sessionVersion: 1 }, 1);
    await new Promise((r) => setTimeout(r, 5));
    expectError(await api(tenantUrl(b.slug, '/api/auth/handoff'), { method: 'POST', json: { code: expiring } }), 401, 'invalid_handoff');

    // The owner signs out (every session) before the browser redeems its code.
    expect((await api(tenantUrl(b.slug, '/api/auth/logout'), { method: 'POST', headers: bearer(b.body.token) })).status).toBe(204);
    expectError(await api(tenantUrl(b.slug, '/api/auth/handoff'), { method: 'POST', json: { code: b.code } }), 401, 'session_revoked');
  });
});

describe('GET /api/invitations/:token/preview', () => {
  it('tells the invitee what they are accepting; refuses used, unknown and other workspaces’ tokens', async () => {
    const w = await chatWorkspace();
    const invited = await w.owner.post('/api/invitations', { email: 'new.person@example.test', role: 'member' });
    expect(invited.status).toBe(201);
    const token = new URL(invited.body.acceptUrl).pathname.split('/').pop()!;
    const preview = await api(tenantUrl(w.t.slug, `/api/invitations/${token}/preview`));
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ invitation: { email: 'new.person@example.test', role: 'member', expiresAt: expect.any(String) }, workspace: { name: w.t.tenant.name, slug: w.t.slug } });
    const other = await createTenant();
    expectError(await api(tenantUrl(other.slug, `/api/invitations/${token}/preview`)), 404, 'invitation_not_found');
    expectError(await api(tenantUrl(w.t.slug, `/api/invitations/${'x'.repeat(43)}/preview`)), 404, 'invitation_not_found');
    expect((await api(tenantUrl(w.t.slug, `/api/invitations/${token}/accept`), { method: 'POST', json: { displayName: 'New Person', password: 'securepass123' } })).status).toBe(201);
    expectError(await api(tenantUrl(w.t.slug, `/api/invitations/${token}/preview`)), 410, 'invitation_used');
  });
});

describe('#general', () => {
  it('a new workspace has #general with its owner; people who accept an invitation join it; it does not count against the channel limit', async () => {
    const w = await chatWorkspace();
    const channels = (await w.owner.get('/api/channels')).body.channels as { id: string; name: string; isMember: boolean; memberRole: string }[];
    expect(channels).toEqual([expect.objectContaining({ name: 'general', kind: 'public', isMember: true, memberRole: 'owner' })]);
    const general = channels[0]!;
    await w.owner.say(general.id, 'welcome');
    const invited = await w.owner.post('/api/invitations', { email: 'joiner@example.test' });
    const token = new URL(invited.body.acceptUrl).pathname.split('/').pop()!;
    const accepted = await api(tenantUrl(w.t.slug, `/api/invitations/${token}/accept`), { method: 'POST', json: { displayName: 'Joiner', password: 'securepass123' } });
    expect(accepted.status).toBe(201);
    const theirs = (await call(w.t, 'GET', '/api/channels', accepted.body.token)).body.channels;
    // A member, with the history there read (not 1 unread).
    expect(theirs).toEqual([expect.objectContaining({ id: general.id, isMember: true, memberRole: 'member', unreadCount: 0 })]);
    // The free plan's 5 channels are the team's own.
    for (let i = 1; i <= 5; i++) expect((await w.owner.post('/api/channels', { name: `c${i}` })).status).toBe(201);
    expectError(await w.owner.post('/api/channels', { name: 'c6' }), 402, 'plan_limit');
    expect((await w.owner.get('/api/tenant/usage')).body.usage.channels).toBe(5);
  });
});
