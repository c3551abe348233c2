/**
 * Accounts and sessions (issue 4, point 1): sign-in with the session cookie and bearer token,
 * the same answer for every wrong credential, throttling and lockout of repeated failures,
 * sign-out, the signed-in user's own account (profile, password), and sessions that end at once
 * when they should. Everything goes through the Worker as a client sees it; the database is
 * read directly only to check that refused requests wrote nothing.
 */
import { describe, expect, it } from 'vitest';
import { signSession } from '../src/auth/session';
import { TEST_SESSION_SECRET } from './support/constants';
import { openSocket } from './support/sockets';
import { addUser, api, bearer, call, createTenant, database, expectError, expectNoSecrets, PLATFORM, schemaOf, tenantUrl, type ApiResult, type CreatedTenant } from './support/tenants';

const OWNER_PASSWORD = 'securepass123';

function ownerEmail(t: CreatedTenant): string {
  return `owner@${t.slug}.test`;
}


function login(t: CreatedTenant, email: string, password: string) {
  return api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', json: { email, password } });
}



/** A member with a password, through the API: the owner invites, the invitee accepts. */
async function join(t: CreatedTenant, role: 'admin' | 'member' | 'guest' = 'member') {
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@${t.slug}.test`;
  const password = `pw-${crypto.randomUUID()}`;
  const inv = await call(t, 'POST', '/api/invitations', t.token, { email, role });
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const token = String(inv.body.acceptUrl).split('/invite/')[1]!;
  const acc = await call(t, 'POST', `/api/invitations/${token}/accept`, undefined, { displayName: `${role} person`, password });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  return { id: acc.body.user.id as string, email, password, token: acc.body.token as string };
}

/** What a refused request must not have changed. */
async function snapshot(t: CreatedTenant) {
  const sql = database().sql;
  const users = await sql.query(`SELECT id, email, display_name, role, status, avatar_url, status_text, session_version, password_hash, updated_at FROM "${schemaOf(t.slug)}".nchat_users ORDER BY id`, []);
  const audit = await sql.query('SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1', [t.id]);
  return { users, audit: audit[0]!.n };
}

function cookieOf(res: ApiResult<any>): string {
  return res.headers.get('set-cookie') ?? '';
}

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
}

describe('POST /api/auth/login', () => {
  it('signs in: 200 {user, token} and the session cookie, valid as cookie and as bearer', async () => {
    const t = await createTenant();
    const res = await login(t, ownerEmail(t), OWNER_PASSWORD);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ id: t.ownerId, email: ownerEmail(t), role: 'owner', status: 'active' });
    expect(Object.keys(res.body.user).sort()).toEqual(['avatarUrl', 'createdAt', 'displayName', 'email', 'id', 'lastSeenAt', 'role', 'status', 'statusText', 'updatedAt']);
    expectNoSecrets(res);

    const cookie = cookieOf(res);
    expect(cookie).toMatch(new RegExp(`^nchat_session=${res.body.token.replace(/\./g, '\\.')};`));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=604800/); // the default session timeout: 10080 minutes
    expect(cookie).not.toMatch(/Domain=/i);

    const claims = claimsOf(res.body.token);
    expect(claims).toMatchObject({ sub: t.ownerId, tid: t.id, role: 'owner', sv: 1 });
    expect(claims.exp - claims.iat).toBe(604800);

    const viaBearer = await call(t, 'GET', '/api/me', res.body.token);
    expect(viaBearer.status).toBe(200);
    const viaCookie = await api(tenantUrl(t.slug, '/api/me'), { headers: { cookie: `nchat_session=${res.body.token}` } });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.user.id).toBe(t.ownerId);
  });

  it('matches the address case-insensitively and ignores surrounding spaces', async () => {
    const t = await createTenant();
    const res = await login(t, `  ${ownerEmail(t).toUpperCase()} `, OWNER_PASSWORD);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user.id).toBe(t.ownerId);
  });

  it("lasts as long as the workspace's session timeout (token expiry and cookie Max-Age)", async () => {
    const t = await createTenant();
    const put = await call(t, 'PUT', '/api/tenant/settings', t.token, { sessionTimeoutMinutes: 30 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const res = await login(t, ownerEmail(t), OWNER_PASSWORD);
    expect(res.status).toBe(200);
    expect(cookieOf(res)).toMatch(/; Max-Age=1800/);
    const claims = claimsOf(res.body.token);
    expect(claims.exp - claims.iat).toBe(1800);
  });

  it('gives the same 401 for an unknown address, a wrong password, a deactivated account and an account without a password', async () => {
    const t = await createTenant();
    const gone = await join(t);
    expect((await call(t, 'POST', `/api/users/${gone.id}/deactivate`, t.token)).status).toBe(200);
    const noPassword = await addUser(t, 'member'); // inserted directly, without a password hash
    const noPasswordEmail = `member-${noPassword.id.slice(0, 8)}@${t.slug}.test`;

    const answers = await Promise.all([
      login(t, `nobody-${crypto.randomUUID().slice(0, 6)}@${t.slug}.test`, OWNER_PASSWORD),
      login(t, ownerEmail(t), 'wrong-password-1'),
      login(t, gone.email, gone.password),
      login(t, noPasswordEmail, 'anything-at-all'),
    ]);
    for (const res of answers) {
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.error.code).toBe('invalid_credentials');
      expect(res.body.error.message).toBe(answers[0]!.body.error.message);
      expect(cookieOf(res)).toBe('');
    }
  });

  it('takes about as long for an unknown address as for a wrong password (a PBKDF2 verification runs either way)', async () => {
    const t = await createTenant();
    // Warm both paths once, then time a few of each (each on a fresh address, to stay clear of the throttle).
    const time = async (email: string) => {
      const started = performance.now();
      expect((await login(t, email, 'wrong-password-x')).status).toBe(401);
      return performance.now() - started;
    };
    await time(`warm@${t.slug}.test`);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time(ownerEmail(t)));
      unknown.push(await time(`nobody-${i}@${t.slug}.test`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Generous: what matters is that the unknown address is not answered without hashing.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
  });

  it.each([
    ['no body', undefined, 'validation_failed'],
    ['an empty object', {}, 'validation_failed'],
    ['no password', { email: 'a@b.test' }, 'validation_failed'],
    ['an empty password', { email: 'a@b.test', password: '' }, 'validation_failed'],
    ['a malformed address', { email: 'not-an-email', password: 'x' }, 'validation_failed'],
    ['a number for the address', { email: 42, password: 'x' }, 'validation_failed'],
    ['a password over 256 characters', { email: 'a@b.test', password: 'x'.repeat(257) }, 'validation_failed'],
    ['an unknown field', { email: 'a@b.test', password: 'x', remember: true }, 'validation_failed'],
  ])('refuses %s with 400 %s', async (_name, body, code) => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', ...(body === undefined ? {} : { json: body }) });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(Array.isArray(res.body.error.details.issues)).toBe(true);
  });

  it('refuses malformed JSON with 400 invalid_json, and a huge body with 413', async () => {
    const t = await createTenant();
    const bad = await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const huge = await api(tenantUrl(t.slug, '/api/auth/login'), { method: 'POST', json: { email: 'a@b.test', password: 'x'.repeat(20_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });

  it("does not sign in with another workspace's credentials", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const res = await login(b, ownerEmail(a), OWNER_PASSWORD);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
  });

  it('is only served on workspace hosts', async () => {
    const res = await api(`${PLATFORM}/api/auth/login`, { method: 'POST', json: { email: 'a@b.test', password: 'x' } });
    expect(res.status).toBe(404);
  });
});

describe('failed sign-ins: slowed down, then locked', () => {
  it('slows down after 3 failures, locks after 5 with 429 and Retry-After, even for the right password', async () => {
    const t = await createTenant();
    const durations: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const started = performance.now();
      const res = await login(t, ownerEmail(t), `wrong-${i}`);
      durations.push(performance.now() - started);
      expect(res.status, `attempt ${i}: ${JSON.stringify(res.body)}`).toBe(401);
      expect(res.body.error.code).toBe('invalid_credentials');
    }
    // Attempts 4 and 5 follow 3 and 4 failures: 250 ms, then 500 ms before the password is checked.
    expect(durations[3]).toBeGreaterThanOrEqual(240);
    expect(durations[4]).toBeGreaterThanOrEqual(490);

    for (const password of ['wrong-6', OWNER_PASSWORD]) {
      const locked = await login(t, ownerEmail(t), password);
      expect(locked.status, JSON.stringify(locked.body)).toBe(429);
      expect(locked.body.error.code).toBe('rate_limited');
      const retryAfter = Number(locked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(locked.body.error.details.retryAfterSeconds).toBe(retryAfter);
    }
    // The lock is on the address, not the account: a session already open goes on working.
    expect((await call(t, 'GET', '/api/me', t.token)).status).toBe(200);
  });

  it('locks an address that does not exist exactly like one that does', async () => {
    const t = await createTenant();
    const email = `ghost-${crypto.randomUUID().slice(0, 6)}@${t.slug}.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(t, email, 'whatever')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('a successful sign-in resets the count', async () => {
    const t = await createTenant();
    for (let i = 0; i < 4; i++) expect((await login(t, ownerEmail(t), 'wrong')).status).toBe(401);
    expect((await login(t, ownerEmail(t), OWNER_PASSWORD)).status).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push((await login(t, ownerEmail(t), 'wrong')).status);
    expect(after).toEqual([401, 401, 401, 401]);
    expect((await login(t, ownerEmail(t), OWNER_PASSWORD)).status).toBe(200);
  });

  it('counts per workspace: a locked address in one workspace signs in fine in another', async () => {
    const shared = `shared-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const [a, b] = await Promise.all([createTenant({ ownerEmail: shared }), createTenant({ ownerEmail: shared })]);
    for (let i = 0; i < 5; i++) await login(a, shared, 'wrong');
    expect((await login(a, shared, OWNER_PASSWORD)).status).toBe(429);
    expect((await login(b, shared, OWNER_PASSWORD)).status).toBe(200);
  });

  it('counts per address, case-insensitively', async () => {
    const t = await createTenant();
    for (let i = 0; i < 5; i++) await login(t, i % 2 ? ownerEmail(t).toUpperCase() : ownerEmail(t), 'wrong');
    expect((await login(t, ownerEmail(t), OWNER_PASSWORD)).status).toBe(429);
    // Another address of the same workspace is not affected.
    const m = await join(t);
    expect((await login(t, m.email, m.password)).status).toBe(200);
  });
});

describe('POST /api/auth/logout', () => {
  it('ends every session of the user, clears the cookie, and sign-in works again', async () => {
    const t = await createTenant();
    const first = await login(t, ownerEmail(t), OWNER_PASSWORD);
    const second = await login(t, ownerEmail(t), OWNER_PASSWORD);
    const res = await call(t, 'POST', '/api/auth/logout', first.body.token);
    expect(res.status).toBe(204);
    expect(cookieOf(res)).toMatch(/^nchat_session=;/);
    expect(cookieOf(res)).toMatch(/Max-Age=0/);
    for (const token of [first.body.token, second.body.token, t.token]) {
      const me = await call(t, 'GET', '/api/me', token);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('session_revoked');
    }
    const again = await login(t, ownerEmail(t), OWNER_PASSWORD);
    expect(again.status).toBe(200);
    expect((await call(t, 'GET', '/api/me', again.body.token)).status).toBe(200);
  });

  it('needs a session', async () => {
    const t = await createTenant();
    const res = await call(t, 'POST', '/api/auth/logout');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });
});

describe('cookie-authenticated writes from another origin', () => {
  /** POST /api/auth/logout with the session cookie and the given browser headers. */
  async function logoutWith(t: CreatedTenant, token: string, headers: Record<string, string>) {
    return api(tenantUrl(t.slug, '/api/auth/logout'), { method: 'POST', headers: { cookie: `nchat_session=${token}`, ...headers } });
  }

  it.each([
    ['another workspace of the same site', { origin: 'http://evil.nchat.test' }],
    ['another site', { origin: 'https://attacker.example' }],
    ['the same host over another scheme', { origin: 'https://SLUG.nchat.test' }],
    ['an opaque origin', { origin: 'null' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ])('are refused from %s (403), and nothing happens', async (_name, headers) => {
    const t = await createTenant();
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('SLUG', t.slug)]));
    const res = await logoutWith(t, t.token, h);
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.error.code).toBe('cross_origin_request');
    expect((await call(t, 'GET', '/api/me', t.token)).status).toBe(200);
  });

  it.each([
    ['the same origin', (t: CreatedTenant) => ({ origin: `http://${t.slug}.nchat.test`, 'sec-fetch-site': 'same-origin' })],
    ['a client that says nothing about origins', () => ({})],
  ])('are accepted from %s', async (_name, headers) => {
    const t = await createTenant();
    expect((await logoutWith(t, t.token, headers(t))).status).toBe(204);
  });

  it('a bearer token is not ambient: accepted whatever the Origin', async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/auth/logout'), { method: 'POST', headers: { ...bearer(t.token), origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(204);
  });

  // Only a bearer token authenticates by the header; with any other Authorization the cookie
  // still does, and the request is checked like any cookie-authenticated one.
  it.each([
    ['Basic x'],
    ['Basic dXNlcjpwYXNz'],
    ['Bearer'],
    ['Bearer two tokens'],
  ])('carrying "Authorization: %s" beside the session cookie does not exempt them (403), and nothing happens', async (authorization) => {
    const t = await createTenant();
    const res = await logoutWith(t, t.token, { authorization, origin: 'http://evil.nchat.test', 'sec-fetch-site': 'same-site' });
    expectError(res, 403, 'cross_origin_request');
    expect((await call(t, 'GET', '/api/me', t.token)).status).toBe(200);
    // The same request from the workspace's own page is the cookie's sign-out, as without the header.
    expect((await logoutWith(t, t.token, { authorization, origin: `http://${t.slug}.nchat.test`, 'sec-fetch-site': 'same-origin' })).status).toBe(204);
  });

  it('reads are not affected', async () => {
    const t = await createTenant();
    const res = await api(tenantUrl(t.slug, '/api/me'), { headers: { cookie: `nchat_session=${t.token}`, origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(200);
  });
});

describe('ending sessions also closes their sockets', () => {
  /** A workspace, a channel, and a member with an open socket in it (plus the owner's, which must stay). */
  async function withSockets() {
    const t = await createTenant();
    const m = await join(t);
    const created = await call(t, 'POST', '/api/channels', t.token, { name: `room-${crypto.randomUUID().slice(0, 6)}`, kind: 'public' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const channelId = created.body.channel.id as string;
    expect((await call(t, 'POST', `/api/channels/${channelId}/join`, m.token)).status).toBeLessThan(300);
    const mine = await openSocket(tenantUrl(t.slug, `/api/channels/${channelId}/ws`), bearer(m.token));
    const owners = await openSocket(tenantUrl(t.slug, `/api/channels/${channelId}/ws`), bearer(t.token));
    expect([mine.status, owners.status]).toEqual([101, 101]);
    let ownerClosed = false;
    void owners.socket!.closed.then(() => (ownerClosed = true));
    return { t, m, mine: mine.socket!, owners: owners.socket!, ownerClosed: () => ownerClosed };
  }

  it.each([
    ['logout', 'signed out'],
    ['password change', 'password changed'],
  ])('%s closes the user\'s sockets (4003 "%s"), and nobody else\'s', async (what, reason) => {
    const { t, m, mine, owners, ownerClosed } = await withSockets();
    const res =
      what === 'logout'
        ? await call(t, 'POST', '/api/auth/logout', m.token)
        : await call(t, 'PUT', '/api/me/password', m.token, { currentPassword: m.password, newPassword: 'a-fresh-passphrase' });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const closed = await Promise.race([mine.closed, scheduler.wait(5000).then(() => null)]);
    expect(closed).toMatchObject({ code: 4003, reason });
    expect(ownerClosed()).toBe(false);
    owners.close();
  });
});

describe('GET /api/me', () => {
  it('returns the user and the workspace (id, slug, name only)', async () => {
    const t = await createTenant({ name: 'Acme Chat' });
    const res = await call(t, 'GET', '/api/me', t.token);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: t.ownerId, role: 'owner', email: ownerEmail(t) });
    expect(res.body.tenant).toEqual({ id: t.id, slug: t.slug, name: 'Acme Chat' });
    expectNoSecrets(res);
  });

  it.each([
    ['no session', {}, 'unauthorized'],
    ['a malformed token', bearer('not.a.token'), 'invalid_session'],
    ['a token signed with another secret', 'forged', 'invalid_session'],
    ['an expired token', 'expired', 'invalid_session'],
  ])('refuses %s with 401 %s', async (_name, how, code) => {
    const t = await createTenant();
    const claims = { sub: t.ownerId, tid: t.id, role: 'owner' as const, sv: 1 };
    const headers =
      how === 'forged'
        ? bearer(await signSession('another-secret-0123456789abcdef0123456789', claims))
        : how === 'expired'
          ? bearer(await signSession(TEST_SESSION_SECRET, claims, 1, Date.now() - 3_600_000))
          : (how as Record<string, string>);
    const res = await api(tenantUrl(t.slug, '/api/me'), { headers });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(code);
  });
});

describe('PATCH /api/me', () => {
  it('updates display name, avatar URL and status text; null clears', async () => {
    const t = await createTenant();
    const res = await call(t, 'PATCH', '/api/me', t.token, { displayName: '  Ada Lovelace ', avatarUrl: 'https://cdn.example.com/ada.png', statusText: 'In the engine room' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ displayName: 'Ada Lovelace', avatarUrl: 'https://cdn.example.com/ada.png', statusText: 'In the engine room', role: 'owner' });
    expectNoSecrets(res);
    const cleared = await call(t, 'PATCH', '/api/me', t.token, { avatarUrl: null, statusText: '' });
    expect(cleared.status).toBe(200);
    expect(cleared.body.user).toMatchObject({ displayName: 'Ada Lovelace', avatarUrl: null, statusText: null });
    expect((await call(t, 'GET', '/api/me', t.token)).body.user.displayName).toBe('Ada Lovelace');
  });

  it.each([
    ['an empty object', {}],
    ['an empty display name', { displayName: '   ' }],
    ['a display name over 80 characters', { displayName: 'x'.repeat(81) }],
    ['an http avatar', { avatarUrl: 'http://cdn.example.com/a.png' }],
    ['a javascript: avatar', { avatarUrl: 'javascript:alert(1)' }],
    ['a data: avatar', { avatarUrl: 'data:image/png;base64,AAAA' }],
    ['a status over 100 characters', { statusText: 'x'.repeat(101) }],
    ['a role (not a profile field)', { role: 'owner' }],
    ['an email (not editable here)', { email: 'new@example.test' }],
    ['a password hash', { passwordHash: 'pbkdf2-sha256$1$a$b' }],
  ])('refuses %s with 400 validation_failed and writes nothing', async (_name, body) => {
    const t = await createTenant();
    const before = await snapshot(t);
    const res = await call(t, 'PATCH', '/api/me', t.token, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await snapshot(t)).toEqual(before);
  });
});

describe('PUT /api/me/password', () => {
  it('changes the password, ends every session and returns a fresh one', async () => {
    const t = await createTenant({ trial: true });
    const other = await login(t, ownerEmail(t), OWNER_PASSWORD);
    const res = await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: OWNER_PASSWORD, newPassword: 'a-brand-new-passphrase' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectNoSecrets(res);
    expect(typeof res.body.token).toBe('string');
    expect(cookieOf(res)).toMatch(/^nchat_session=/);
    expect(claimsOf(res.body.token).sv).toBe(2);

    for (const old of [t.token, other.body.token]) {
      const me = await call(t, 'GET', '/api/me', old);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('session_revoked');
    }
    expect((await call(t, 'GET', '/api/me', res.body.token)).status).toBe(200);
    expect((await login(t, ownerEmail(t), OWNER_PASSWORD)).status).toBe(401);
    expect((await login(t, ownerEmail(t), 'a-brand-new-passphrase')).status).toBe(200);

    const audit = await call(t, 'GET', '/api/tenant/audit-logs?action=user.password_changed', res.body.token);
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({ actor: { type: 'user', id: t.ownerId }, resource: { type: 'user', id: t.ownerId } });
    expectNoSecrets(audit);
  });

  it('refuses a wrong current password with 403 and writes nothing', async () => {
    const t = await createTenant();
    const before = await snapshot(t);
    const res = await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: 'not-it', newPassword: 'a-brand-new-passphrase' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('wrong_password');
    expect(await snapshot(t)).toEqual(before);
    expect((await call(t, 'GET', '/api/me', t.token)).status).toBe(200);
  });

  it('locks guessing of the current password after 5 failures', async () => {
    const t = await createTenant();
    for (let i = 0; i < 5; i++) expect((await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: `guess-${i}`, newPassword: 'a-brand-new-passphrase' })).status).toBe(403);
    const res = await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: OWNER_PASSWORD, newPassword: 'a-brand-new-passphrase' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("applies the workspace's password policy", async () => {
    const t = await createTenant();
    const put = await call(t, 'PUT', '/api/tenant/settings', t.token, { passwordMinLength: 12, passwordRequireDigit: true, passwordRequireMixed: true });
    expect(put.status).toBe(200);
    const before = await snapshot(t);
    const cases: [string, string[]][] = [
      ['short', ['must be at least 12 characters', 'must mix upper and lower case letters', 'must contain a digit']],
      ['longenoughbutplain', ['must mix upper and lower case letters', 'must contain a digit']],
      ['LongEnoughNoDigits', ['must contain a digit']],
      [OWNER_PASSWORD, ['must mix upper and lower case letters']],
    ];
    for (const [newPassword, messages] of cases) {
      const res = await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: OWNER_PASSWORD, newPassword });
      expect(res.status, newPassword).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.issues.map((i: any) => i.message)).toEqual(expect.arrayContaining(messages));
      expect(res.body.error.details.issues.every((i: any) => i.path === 'newPassword')).toBe(true);
    }
    expect(await snapshot(t)).toEqual(before);
    const ok = await call(t, 'PUT', '/api/me/password', t.token, { currentPassword: OWNER_PASSWORD, newPassword: 'LongEnough123' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it.each([
    ['an empty object', {}],
    ['no new password', { currentPassword: OWNER_PASSWORD }],
    ['an empty new password', { currentPassword: OWNER_PASSWORD, newPassword: '' }],
    ['a new password over 256 characters', { currentPassword: OWNER_PASSWORD, newPassword: 'Ab1'.repeat(90) }],
    ['an unknown field', { currentPassword: OWNER_PASSWORD, newPassword: 'a-brand-new-passphrase', userId: 'x' }],
  ])('refuses %s with 400 and writes nothing', async (_name, body) => {
    const t = await createTenant();
    const before = await snapshot(t);
    const res = await call(t, 'PUT', '/api/me/password', t.token, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await snapshot(t)).toEqual(before);
  });
});

/** Every route of this file's groups, with a body that would be valid. */
const ROUTES: { name: string; method: string; path: string; body?: unknown }[] = [
  { name: 'logout', method: 'POST', path: '/api/auth/logout' },
  { name: 'me', method: 'GET', path: '/api/me' },
  { name: 'update profile', method: 'PATCH', path: '/api/me', body: { displayName: 'Intruder' } },
  { name: 'change password', method: 'PUT', path: '/api/me/password', body: { currentPassword: OWNER_PASSWORD, newPassword: 'an-intruders-password' } },
];

describe("sessions are refused where they do not belong", () => {
  it.each(ROUTES.map((r) => [r.name, r] as const))("%s: tenant A's session on tenant B's host → 401, nothing of B returned or changed", async (_name, r) => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const before = await snapshot(b);
    const res = await call(b, r.method, r.path, a.token, r.body);
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body.error.code).toBe('invalid_session');
    expect(JSON.stringify(res.body)).not.toContain(b.id);
    expect(JSON.stringify(res.body)).not.toContain(b.ownerId);
    expect(await snapshot(b)).toEqual(before);
    // A's session is intact on its own host.
    expect((await call(a, 'GET', '/api/me', a.token)).status).toBe(200);
  });

  it.each(ROUTES.map((r) => [r.name, r] as const))("%s: a deactivated user's old token → 401 session_revoked", async (_name, r) => {
    const t = await createTenant();
    const m = await join(t, 'admin');
    expect((await call(t, 'POST', `/api/users/${m.id}/deactivate`, t.token)).status).toBe(200);
    const before = await snapshot(t);
    const body = r.body && typeof r.body === 'object' && 'currentPassword' in r.body ? { currentPassword: m.password, newPassword: 'an-intruders-password' } : r.body;
    const res = await call(t, r.method, r.path, m.token, body);
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');
    expect(await snapshot(t)).toEqual(before);
  });
});
