/**
 * The people of a workspace (issue 4, point 3): the directory (paginated, searchable), one
 * user, role changes, deactivation and reactivation — who may do each, the audit rows they
 * leave, the sessions they end, and the one rule that must survive concurrency: a workspace
 * always has at least one active owner. Also, for every account route (auth, me, users,
 * invitations): another workspace's session and a deactivated user's token are refused.
 */
import { describe, expect, it } from 'vitest';
import { openSocket } from './support/sockets';
import { addUser, api, bearer, call, createTenant, database, expectError, expectNoSecrets, schemaOf, tenantUrl, type ApiResult, type CreatedTenant } from './support/tenants';

const OWNER_PASSWORD = 'securepass123';
type Role = 'owner' | 'admin' | 'member' | 'guest';





interface Person {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** A user with a password, through the API (invite + accept); owners are promoted by the workspace owner. */
async function join(t: CreatedTenant, role: Role = 'member', displayName = `${role} person`): Promise<Person> {
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@${t.slug}.test`;
  const password = `pw-${crypto.randomUUID()}`;
  const inv = await call(t, 'POST', '/api/invitations', t.token, { email, role: role === 'owner' ? 'admin' : role });
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const acc = await call(t, 'POST', `/api/invitations/${String(inv.body.acceptUrl).split('/invite/')[1]}/accept`, undefined, { displayName, password });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  const person = { id: acc.body.user.id as string, email, password, token: acc.body.token as string };
  if (role !== 'owner') return person;
  const promoted = await call(t, 'PUT', `/api/users/${person.id}/role`, t.token, { role: 'owner' });
  expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
  return person; // (its token has ended with the role change: sign in for a fresh one)
}

/** A fresh token for someone whose role (and so session version) changed. */
async function signIn(t: CreatedTenant, p: Pick<Person, 'email' | 'password'>): Promise<string> {
  const res = await call(t, 'POST', '/api/auth/login', undefined, { email: p.email, password: p.password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.token;
}

async function snapshot(t: CreatedTenant) {
  const sql = database().sql;
  const users = await sql.query(`SELECT id, email, display_name, role, status, avatar_url, status_text, session_version, password_hash, updated_at FROM "${schemaOf(t.slug)}".nchat_users ORDER BY id`, []);
  const invitations = await sql.query('SELECT id, email, role, token_hash, expires_at, accepted_at, revoked_at FROM public.tenant_invitations WHERE tenant_id = $1 ORDER BY id', [t.id]);
  const audit = await sql.query('SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1', [t.id]);
  return { users, invitations, audit: audit[0]!.n };
}

async function activeOwners(t: CreatedTenant): Promise<string[]> {
  const rows = await database().sql.query(`SELECT id FROM "${schemaOf(t.slug)}".nchat_users WHERE role = 'owner' AND status = 'active' ORDER BY id`, []);
  return rows.map((r) => String(r.id));
}

async function auditOf(t: CreatedTenant, action: string, token = t.token): Promise<any[]> {
  const res = await call(t, 'GET', `/api/tenant/audit-logs?action=${action}&limit=100`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

describe('GET /api/users', () => {
  it('lists active people by name, pages through them without gaps or repeats, and never shows a password', async () => {
    const t = await createTenant({ ownerName: 'Zed Owner' });
    const names = ['alice Smith', 'Bob Jones', 'carol White', 'Dave Brown', 'Eve Black'];
    const people = [];
    for (const n of names) people.push(await join(t, 'member', n));
    const gone = await join(t, 'member', 'Aaron Gone');
    expect((await call(t, 'POST', `/api/users/${gone.id}/deactivate`, t.token)).status).toBe(200);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResult<any> = await call(t, 'GET', `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, people[0]!.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectNoSecrets(res);
      expect(res.body.users.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.users.map((u: any) => u.displayName));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['alice Smith', 'Bob Jones', 'carol White', 'Dave Brown', 'Eve Black', 'Zed Owner']);
    expect(pages).toBe(3);
  });

  it('pages through names in any script (the cursor carries Unicode)', async () => {
    const t = await createTenant({ ownerName: 'Ωmega Owner' });
    for (const n of ['Zoë', '李雷', 'Ørjan', 'Émile']) await join(t, 'member', n);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResult<any> = await call(t, 'GET', `/api/users?limit=1${cursor ? `&cursor=${cursor}` : ''}`, t.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.users.map((u: any) => u.displayName));
      cursor = res.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect([...seen].sort()).toEqual(['Émile', 'Ωmega Owner', 'Ørjan', 'Zoë', '李雷'].sort());
  });

  it('searches names and e-mail addresses, case-insensitively, with LIKE wildcards taken literally', async () => {
    const t = await createTenant();
    const grace = await join(t, 'member', 'Grace Hopper');
    await join(t, 'member', 'Alan Turing');
    const byName = await call(t, 'GET', '/api/users?search=HOPP', t.token);
    expect(byName.body.users.map((u: any) => u.id)).toEqual([grace.id]);
    const byEmail = await call(t, 'GET', `/api/users?search=${encodeURIComponent(grace.email.slice(0, 14).toUpperCase())}`, t.token);
    expect(byEmail.body.users.map((u: any) => u.id)).toEqual([grace.id]);
    const wildcard = await call(t, 'GET', '/api/users?search=%25', t.token);
    expect(wildcard.status).toBe(200);
    expect(wildcard.body.users).toEqual([]);
  });

  it('shows deactivated people to owners and admins only', async () => {
    const t = await createTenant();
    const [admin, member, guest, gone] = [await join(t, 'admin'), await join(t, 'member'), await join(t, 'guest'), await join(t, 'member', 'Gone Person')];
    expect((await call(t, 'POST', `/api/users/${gone.id}/deactivate`, t.token)).status).toBe(200);
    for (const token of [t.token, admin.token]) {
      const res = await call(t, 'GET', '/api/users?status=deactivated', token);
      expect(res.status).toBe(200);
      expect(res.body.users.map((u: any) => u.id)).toEqual([gone.id]);
      const all = await call(t, 'GET', '/api/users?status=all', token);
      expect(all.body.users).toHaveLength(5);
    }
    for (const token of [member.token, guest.token]) {
      expectError(await call(t, 'GET', '/api/users?status=deactivated', token), 403, 'forbidden');
      const active = await call(t, 'GET', '/api/users', token);
      expect(active.status).toBe(200);
      expect(active.body.users.map((u: any) => u.id)).not.toContain(gone.id);
    }
  });

  it.each([
    ['limit=0', 'validation_failed'],
    ['limit=101', 'validation_failed'],
    ['limit=abc', 'validation_failed'],
    ['status=banned', 'validation_failed'],
    ['role=owner', 'validation_failed'],
    ['cursor=not-a-cursor', 'invalid_cursor'],
    [`cursor=${btoa(JSON.stringify({ n: 'a', id: 'nope' }))}`, 'invalid_cursor'],
    [`search=${'x'.repeat(101)}`, 'validation_failed'],
  ])('refuses ?%s with 400 %s', async (query, code) => {
    const t = await createTenant();
    expectError(await call(t, 'GET', `/api/users?${query}`, t.token), 400, code);
  });
});

describe('GET /api/users/:id', () => {
  it('returns one user, to any member, without secrets', async () => {
    const t = await createTenant();
    const guest = await join(t, 'guest');
    const res = await call(t, 'GET', `/api/users/${t.ownerId}`, guest.token);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: t.ownerId, role: 'owner', status: 'active' });
    expectNoSecrets(res);
  });

  it.each([crypto.randomUUID(), 'not-a-uuid', "1' OR '1'='1"])('answers 404 user_not_found for %s', async (id) => {
    const t = await createTenant();
    expectError(await call(t, 'GET', `/api/users/${encodeURIComponent(id)}`, t.token), 404, 'user_not_found');
  });

  it("does not find another workspace's user", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    expectError(await call(b, 'GET', `/api/users/${a.ownerId}`, b.token), 404, 'user_not_found');
  });

  it("cannot change another workspace's user with its own session: role, deactivate, reactivate → 404, A unchanged", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const member = await addUser(a, 'member');
    expectError(await call(b, 'PUT', `/api/users/${member.id}/role`, b.token, { role: 'admin' }), 404, 'user_not_found');
    expectError(await call(b, 'POST', `/api/users/${member.id}/deactivate`, b.token), 404, 'user_not_found');
    expectError(await call(b, 'POST', `/api/users/${member.id}/reactivate`, b.token), 404, 'user_not_found');
    const seen = await call(a, 'GET', `/api/users/${member.id}`, a.token);
    expect(seen.body.user).toMatchObject({ role: 'member', status: 'active' });
    expect((await call(a, 'GET', '/api/me', member.token)).status).toBe(200);
  });
});

describe('PUT /api/users/:id/role', () => {
  /** [actor, target's role, new role, status, code ('' when allowed)] */
  const CASES: [Role, Role, Role, number, string][] = [
    ['owner', 'member', 'admin', 200, ''],
    ['owner', 'guest', 'member', 200, ''],
    ['owner', 'admin', 'owner', 200, ''],
    ['owner', 'owner', 'admin', 200, ''],
    ['admin', 'member', 'admin', 200, ''],
    ['admin', 'admin', 'guest', 200, ''],
    ['admin', 'guest', 'member', 200, ''],
    ['admin', 'member', 'owner', 403, 'forbidden'],
    ['admin', 'owner', 'member', 403, 'forbidden'],
    ['member', 'guest', 'member', 403, 'forbidden'],
    ['member', 'member', 'admin', 403, 'forbidden'],
    ['guest', 'member', 'guest', 403, 'forbidden'],
  ];

  it.each(CASES)('%s changes a %s to %s → %i %s', async (actorRole, fromRole, toRole, status, code) => {
    const t = await createTenant({ trial: true });
    const actor = actorRole === 'owner' ? { id: t.ownerId, token: t.token } : await join(t, actorRole);
    const target = await join(t, fromRole);
    const targetToken = fromRole === 'owner' ? await signIn(t, target) : target.token;
    const before = await snapshot(t);
    const res = await call(t, 'PUT', `/api/users/${target.id}/role`, actor.token, { role: toRole });
    if (code) {
      expectError(res, status, code);
      expect(await snapshot(t)).toEqual(before);
      expect((await call(t, 'GET', '/api/me', targetToken)).status).toBe(200);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ id: target.id, role: toRole });
    expectNoSecrets(res);
    // The role is in the target's tokens: all of them end.
    expectError(await call(t, 'GET', '/api/me', targetToken), 401, 'session_revoked');
    const fresh = await signIn(t, target);
    expect((await call(t, 'GET', '/api/me', fresh)).body.user.role).toBe(toRole);
    const [entry] = await auditOf(t, 'user.role_changed').then((es) => es.filter((e) => e.resource.id === target.id && e.newValues.role === toRole));
    expect(entry).toMatchObject({ actor: { type: 'user', id: actor.id }, resource: { type: 'user', id: target.id }, oldValues: { role: fromRole }, newValues: { role: toRole } });
  });

  it('setting the role a user already has changes nothing and ends no session', async () => {
    const t = await createTenant();
    const m = await join(t, 'member');
    const before = await snapshot(t);
    const res = await call(t, 'PUT', `/api/users/${m.id}/role`, t.token, { role: 'member' });
    expect(res.status).toBe(200);
    expect(await snapshot(t)).toEqual(before);
    expect((await call(t, 'GET', '/api/me', m.token)).status).toBe(200);
  });

  it.each([
    ['an unknown role', 400, 'validation_failed', { role: 'superuser' }],
    ['no role', 400, 'validation_failed', {}],
    ['an extra field', 400, 'validation_failed', { role: 'admin', status: 'active' }],
  ])('refuses %s with %i %s and writes nothing', async (_name, status, code, body) => {
    const t = await createTenant();
    const m = await join(t, 'member');
    const before = await snapshot(t);
    expectError(await call(t, 'PUT', `/api/users/${m.id}/role`, t.token, body), status, code);
    expect(await snapshot(t)).toEqual(before);
  });

  it('answers 404 for an unknown user and 409 for a deactivated one', async () => {
    const t = await createTenant();
    expectError(await call(t, 'PUT', `/api/users/${crypto.randomUUID()}/role`, t.token, { role: 'admin' }), 404, 'user_not_found');
    const m = await join(t, 'member');
    expect((await call(t, 'POST', `/api/users/${m.id}/deactivate`, t.token)).status).toBe(200);
    const before = await snapshot(t);
    expectError(await call(t, 'PUT', `/api/users/${m.id}/role`, t.token, { role: 'admin' }), 409, 'user_deactivated');
    expect(await snapshot(t)).toEqual(before);
  });

  it('the last active owner cannot step down; with a second owner they can', async () => {
    const t = await createTenant();
    const before = await snapshot(t);
    expectError(await call(t, 'PUT', `/api/users/${t.ownerId}/role`, t.token, { role: 'admin' }), 409, 'last_owner');
    expect(await snapshot(t)).toEqual(before);

    // A deactivated owner does not count.
    const second = await join(t, 'owner');
    expect((await call(t, 'POST', `/api/users/${second.id}/deactivate`, t.token)).status).toBe(200);
    expectError(await call(t, 'PUT', `/api/users/${t.ownerId}/role`, t.token, { role: 'admin' }), 409, 'last_owner');

    expect((await call(t, 'POST', `/api/users/${second.id}/reactivate`, t.token)).status).toBe(200);
    const res = await call(t, 'PUT', `/api/users/${t.ownerId}/role`, t.token, { role: 'admin' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await activeOwners(t)).toEqual([second.id]);
    // The former owner's token carried the owner role: it is gone.
    expectError(await call(t, 'GET', '/api/me', t.token), 401, 'session_revoked');
  });

  it('two owners demoting each other at the same moment: exactly one succeeds, one owner remains', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await createTenant({ trial: true });
      const b = await join(t, 'owner');
      const bToken = await signIn(t, b);
      const [ab, ba] = await Promise.all([
        call(t, 'PUT', `/api/users/${b.id}/role`, t.token, { role: 'member' }),
        call(t, 'PUT', `/api/users/${t.ownerId}/role`, bToken, { role: 'member' }),
      ]);
      const statuses = [ab.status, ba.status].sort();
      expect(statuses[0], `${JSON.stringify(ab.body)} ${JSON.stringify(ba.body)}`).toBe(200);
      // The loser either found no other owner left (409 last_owner) or had already lost its
      // owner session to the winner's change (401 session_revoked).
      const loser = ab.status === 200 ? ba : ab;
      expect([409, 401]).toContain(loser.status);
      expect(['last_owner', 'session_revoked']).toContain(loser.body.error.code);
      const owners = await activeOwners(t);
      expect(owners).toHaveLength(1);
      expect(owners[0]).toBe(ab.status === 200 ? t.ownerId : b.id);
      // Read as the owner who remains: the other one's session ended with the demotion.
      const winnerToken = ab.status === 200 ? t.token : bToken;
      expect(await auditOf(t, 'user.role_changed', winnerToken).then((es) => es.filter((e) => e.newValues.role === 'member'))).toHaveLength(1);
    }
  });

  it('two owners deactivating each other at the same moment: exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await createTenant({ trial: true });
      const b = await join(t, 'owner');
      const bToken = await signIn(t, b);
      const [ab, ba] = await Promise.all([
        call(t, 'POST', `/api/users/${b.id}/deactivate`, t.token),
        call(t, 'POST', `/api/users/${t.ownerId}/deactivate`, bToken),
      ]);
      expect([ab.status, ba.status].filter((s) => s === 200), `${JSON.stringify(ab.body)} ${JSON.stringify(ba.body)}`).toHaveLength(1);
      expect(await activeOwners(t)).toHaveLength(1);
      // Read as the owner who remains: the other one's sessions ended with the deactivation.
      expect(await auditOf(t, 'user.deactivated', ab.status === 200 ? t.token : bToken)).toHaveLength(1);
    }
  });
});

describe('POST /api/users/:id/deactivate and /reactivate', () => {
  it('deactivates: sessions end, sign-in is refused, the audit says who; reactivation lets them sign in again', async () => {
    const t = await createTenant({ trial: true });
    const admin = await join(t, 'admin');
    const m = await join(t, 'member');
    const res = await call(t, 'POST', `/api/users/${m.id}/deactivate`, admin.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ id: m.id, status: 'deactivated' });
    expectNoSecrets(res);
    expectError(await call(t, 'GET', '/api/me', m.token), 401, 'session_revoked');
    expectError(await call(t, 'POST', '/api/auth/login', undefined, { email: m.email, password: m.password }), 401, 'invalid_credentials');

    // Again: nothing more happens (no second audit row).
    expect((await call(t, 'POST', `/api/users/${m.id}/deactivate`, admin.token)).status).toBe(200);
    const deactivations = await auditOf(t, 'user.deactivated');
    expect(deactivations).toHaveLength(1);
    expect(deactivations[0]).toMatchObject({ actor: { type: 'user', id: admin.id }, resource: { type: 'user', id: m.id }, oldValues: { status: 'active' }, newValues: { status: 'deactivated' } });

    const back = await call(t, 'POST', `/api/users/${m.id}/reactivate`, admin.token);
    expect(back.status).toBe(200);
    expect(back.body.user.status).toBe('active');
    // The old token stays dead; signing in works again.
    expectError(await call(t, 'GET', '/api/me', m.token), 401, 'session_revoked');
    expect((await call(t, 'GET', '/api/me', await signIn(t, m))).status).toBe(200);
    expect((await call(t, 'POST', `/api/users/${m.id}/reactivate`, admin.token)).status).toBe(200);
    const reactivations = await auditOf(t, 'user.reactivated');
    expect(reactivations).toHaveLength(1);
    expect(reactivations[0]).toMatchObject({ actor: { id: admin.id }, resource: { id: m.id }, newValues: { status: 'active' } });
  });

  it("closes the deactivated user's open sockets, and only theirs", async () => {
    const t = await createTenant();
    const m = await join(t, 'member');
    const created = await call(t, 'POST', '/api/channels', t.token, { name: `general-${crypto.randomUUID().slice(0, 6)}`, kind: 'public' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const channelId = created.body.channel.id as string;
    const joined = await call(t, 'POST', `/api/channels/${channelId}/join`, m.token);
    expect(joined.status, JSON.stringify(joined.body)).toBeLessThan(300);
    const mine = await openSocket(tenantUrl(t.slug, `/api/channels/${channelId}/ws`), bearer(m.token));
    const owners = await openSocket(tenantUrl(t.slug, `/api/channels/${channelId}/ws`), bearer(t.token));
    expect(mine.status, JSON.stringify(mine.body)).toBe(101);
    expect(owners.status, JSON.stringify(owners.body)).toBe(101);
    let ownerClosed = false;
    void owners.socket!.closed.then(() => (ownerClosed = true));

    expect((await call(t, 'POST', `/api/users/${m.id}/deactivate`, t.token)).status).toBe(200);
    const closed = await Promise.race([mine.socket!.closed, scheduler.wait(5000).then(() => null)]);
    expect(closed).toMatchObject({ code: 4003, reason: 'account deactivated' });
    expect(ownerClosed).toBe(false);
    owners.socket!.close();
  });

  /** [actor, action, target, status, code] */
  const REFUSED: [Role | 'self', 'deactivate' | 'reactivate', Role, number, string][] = [
    ['admin', 'deactivate', 'owner', 403, 'forbidden'],
    ['admin', 'reactivate', 'owner', 403, 'forbidden'],
    ['member', 'deactivate', 'guest', 403, 'forbidden'],
    ['member', 'reactivate', 'guest', 403, 'forbidden'],
    ['guest', 'deactivate', 'member', 403, 'forbidden'],
    ['self', 'deactivate', 'admin', 409, 'cannot_deactivate_self'],
  ];

  it.each(REFUSED)('%s may not %s a(n) %s → %i %s, and nothing is written', async (actorRole, action, targetRole, status, code) => {
    const t = await createTenant();
    const target = await join(t, targetRole);
    if (action === 'reactivate') expect((await call(t, 'POST', `/api/users/${target.id}/deactivate`, t.token)).status).toBe(200);
    const actorToken = actorRole === 'self' ? target.token : (await join(t, actorRole)).token;
    const before = await snapshot(t);
    expectError(await call(t, 'POST', `/api/users/${target.id}/${action}`, actorToken), status, code);
    expect(await snapshot(t)).toEqual(before);
  });

  it('the sole owner cannot deactivate themselves', async () => {
    const t = await createTenant();
    expectError(await call(t, 'POST', `/api/users/${t.ownerId}/deactivate`, t.token), 409, 'cannot_deactivate_self');
    expect(await activeOwners(t)).toEqual([t.ownerId]);
  });

  it('an owner may deactivate another owner, and only an owner may bring them back', async () => {
    const t = await createTenant();
    const second = await join(t, 'owner');
    const admin = await join(t, 'admin');
    expect((await call(t, 'POST', `/api/users/${second.id}/deactivate`, t.token)).status).toBe(200);
    expectError(await call(t, 'POST', `/api/users/${second.id}/reactivate`, admin.token), 403, 'forbidden');
    expect((await call(t, 'POST', `/api/users/${second.id}/reactivate`, t.token)).status).toBe(200);
  });

  it.each(['deactivate', 'reactivate'])('%s of an unknown or malformed id → 404', async (action) => {
    const t = await createTenant();
    for (const id of [crypto.randomUUID(), 'nope']) expectError(await call(t, 'POST', `/api/users/${id}/${action}`, t.token), 404, 'user_not_found');
  });
});

/** Every account route, with a body that would be valid; :target is a user or invitation of the host's workspace. */
interface RouteCase {
  name: string;
  method: string;
  path: (ids: { user: string; invitation: string }) => string;
  body?: unknown;
}
const ROUTES: RouteCase[] = [
  { name: 'logout', method: 'POST', path: () => '/api/auth/logout' },
  { name: 'me', method: 'GET', path: () => '/api/me' },
  { name: 'update profile', method: 'PATCH', path: () => '/api/me', body: { displayName: 'Intruder' } },
  { name: 'change password', method: 'PUT', path: () => '/api/me/password', body: { currentPassword: OWNER_PASSWORD, newPassword: 'an-intruders-password' } },
  { name: 'list users', method: 'GET', path: () => '/api/users' },
  { name: 'get user', method: 'GET', path: (ids) => `/api/users/${ids.user}` },
  { name: 'change role', method: 'PUT', path: (ids) => `/api/users/${ids.user}/role`, body: { role: 'admin' } },
  { name: 'deactivate', method: 'POST', path: (ids) => `/api/users/${ids.user}/deactivate` },
  { name: 'reactivate', method: 'POST', path: (ids) => `/api/users/${ids.user}/reactivate` },
  { name: 'list invitations', method: 'GET', path: () => '/api/invitations' },
  { name: 'invite', method: 'POST', path: () => '/api/invitations', body: { email: 'newcomer@example.test', role: 'member' } },
  { name: 'resend invitation', method: 'POST', path: (ids) => `/api/invitations/${ids.invitation}/resend` },
  { name: 'revoke invitation', method: 'DELETE', path: (ids) => `/api/invitations/${ids.invitation}` },
];

/** A workspace with a member and a pending invitation to aim at. */
async function furnished() {
  const t = await createTenant();
  const member = await join(t, 'member');
  const inv = await call(t, 'POST', '/api/invitations', t.token, { email: `pending-${crypto.randomUUID().slice(0, 6)}@example.test`, role: 'guest' });
  expect(inv.status).toBe(201);
  return { t, ids: { user: member.id, invitation: inv.body.invitation.id as string } };
}

describe('every account route refuses sessions that do not belong', () => {
  it.each(ROUTES.map((r) => [r.name, r] as const))("%s: tenant A's owner session on tenant B's host → 401, no data of B, nothing written", async (_name, r) => {
    const [{ t: b, ids }, a] = await Promise.all([furnished(), createTenant()]);
    const before = await snapshot(b);
    const res = await call(b, r.method, r.path(ids), a.token, r.body);
    expectError(res, 401, 'invalid_session');
    const text = JSON.stringify(res.body);
    for (const secret of [b.id, b.ownerId, ids.user, ids.invitation, b.slug]) expect(text).not.toContain(secret);
    expect(await snapshot(b)).toEqual(before);
  });

  it.each(ROUTES.map((r) => [r.name, r] as const))("%s: a deactivated admin's old token → 401 session_revoked, nothing written", async (_name, r) => {
    const { t, ids } = await furnished();
    const admin = await join(t, 'admin');
    expect((await call(t, 'POST', `/api/users/${admin.id}/deactivate`, t.token)).status).toBe(200);
    const before = await snapshot(t);
    const body = r.name === 'change password' ? { currentPassword: admin.password, newPassword: 'an-intruders-password' } : r.body;
    expectError(await call(t, r.method, r.path(ids), admin.token, body), 401, 'session_revoked');
    expect(await snapshot(t)).toEqual(before);
  });

  it.each(ROUTES.map((r) => [r.name, r] as const))('%s: no session → 401 unauthorized', async (_name, r) => {
    const { t, ids } = await furnished();
    expectError(await call(t, r.method, r.path(ids), undefined, r.body), 401, 'unauthorized');
  });

  it('a token made for a user who does not exist in this workspace is refused', async () => {
    const t = await createTenant();
    const stranger = await addUser(t, 'member');
    await database().sql.query(`DELETE FROM "${schemaOf(t.slug)}".nchat_users WHERE id = $1`, [stranger.id]);
    expectError(await call(t, 'GET', '/api/users', stranger.token), 401, 'session_revoked');
  });
});
