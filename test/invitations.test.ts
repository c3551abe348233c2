/**
 * Invitations (issue 4, point 2): owners and admins invite by e-mail with a role; the accept
 * URL carries a single-use token stored only as its SHA-256; list, resend (new token, the old
 * one dies), revoke; acceptance creates the user and signs them in, exactly once even when
 * raced, and never across workspaces. Mail is not sent yet: the logging mailer must not leak
 * the token.
 */
import { describe, expect, it } from 'vitest';
import { LogMailer } from '../src/mail';
import { api, bearer, call, createTenant, database, expectError, expectNoSecrets, schemaOf, tenantUrl, type ApiResult, type CreatedTenant } from './support/tenants';

const DAY_MS = 86_400_000;





function freshEmail(t: CreatedTenant, prefix = 'invitee'): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}@${t.slug}.test`;
}

function tokenOf(acceptUrl: string): string {
  return acceptUrl.split('/invite/')[1]!;
}

async function sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function invite(t: CreatedTenant, email = freshEmail(t), role = 'member', token = t.token) {
  const res = await call(t, 'POST', '/api/invitations', token, { email, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.invitation.id as string, email, token: tokenOf(res.body.acceptUrl), res };
}

function accept(t: CreatedTenant, token: string, body: unknown = { displayName: 'New Person', password: 'a-good-password' }) {
  return call(t, 'POST', `/api/invitations/${token}/accept`, undefined, body);
}

async function snapshot(t: CreatedTenant) {
  const sql = database().sql;
  const users = await sql.query(`SELECT id, email, role, status, session_version FROM "${schemaOf(t.slug)}".nchat_users ORDER BY id`, []);
  const invitations = await sql.query('SELECT id, email, role, token_hash, expires_at, accepted_at, accepted_user_id, revoked_at FROM public.tenant_invitations WHERE tenant_id = $1 ORDER BY id', [t.id]);
  const audit = await sql.query('SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1', [t.id]);
  return { users, invitations, audit: audit[0]!.n };
}

async function auditOf(t: CreatedTenant, action: string, token = t.token): Promise<any[]> {
  const res = await call(t, 'GET', `/api/tenant/audit-logs?action=${action}&limit=100`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

async function invitationRow(id: string) {
  const rows = await database().sql.query('SELECT * FROM public.tenant_invitations WHERE id = $1', [id]);
  return rows[0] as Record<string, any>;
}

describe('POST /api/invitations', () => {
  it('creates a pending invitation: 201, the accept URL on the workspace host, only the hash stored, an audit row', async () => {
    const t = await createTenant({ trial: true });
    const email = freshEmail(t);
    const started = Date.now();
    const res = await call(t, 'POST', '/api/invitations', t.token, { email: `  ${email.toUpperCase()} `, role: 'admin' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectNoSecrets(res);
    const { invitation, acceptUrl } = res.body;
    expect(invitation).toMatchObject({ email, role: 'admin', status: 'pending', invitedBy: t.ownerId, acceptedAt: null, revokedAt: null });
    const expiresIn = Date.parse(invitation.expiresAt) - started;
    expect(expiresIn).toBeGreaterThan(7 * DAY_MS - 60_000);
    expect(expiresIn).toBeLessThan(7 * DAY_MS + 60_000);
    expect(acceptUrl).toMatch(new RegExp(`^${tenantUrl(t.slug, '/invite/').replace(/\./g, '\\.')}[A-Za-z0-9_-]{43}$`));

    const row = await invitationRow(invitation.id);
    const token = tokenOf(acceptUrl);
    expect(row.token_hash).toBe(await sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);

    const [entry] = await auditOf(t, 'invitation.created');
    expect(entry).toMatchObject({ actor: { type: 'user', id: t.ownerId }, resource: { type: 'invitation', id: invitation.id }, newValues: { email, role: 'admin' } });
    expect(JSON.stringify(entry)).not.toContain(token);
  });

  it('role defaults to member; admins may invite too', async () => {
    const t = await createTenant();
    const admin = await invite(t, freshEmail(t), 'admin');
    const acc = await accept(t, admin.token);
    expect(acc.status).toBe(201);
    const res = await call(t, 'POST', '/api/invitations', acc.body.token, { email: freshEmail(t) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.invitation).toMatchObject({ role: 'member', invitedBy: acc.body.user.id });
  });

  it('409 for a member, a deactivated user, or an address with a pending invitation (case-insensitively); nothing written', async () => {
    const t = await createTenant();
    const pending = await invite(t);
    const gone = await invite(t);
    const goneUser = (await accept(t, gone.token)).body.user;
    expect((await call(t, 'POST', `/api/users/${goneUser.id}/deactivate`, t.token)).status).toBe(200);
    const before = await snapshot(t);
    expectError(await call(t, 'POST', '/api/invitations', t.token, { email: `owner@${t.slug}.test`.toUpperCase(), role: 'member' }), 409, 'already_member');
    expectError(await call(t, 'POST', '/api/invitations', t.token, { email: pending.email.toUpperCase(), role: 'guest' }), 409, 'already_invited');
    expectError(await call(t, 'POST', '/api/invitations', t.token, { email: gone.email, role: 'member' }), 409, 'user_deactivated');
    expect(await snapshot(t)).toEqual(before);
  });

  it('an address whose invitation expired or was revoked can be invited again', async () => {
    const t = await createTenant();
    const expired = await invite(t);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 minute' WHERE id = $1", [expired.id]);
    const revoked = await invite(t);
    expect((await call(t, 'DELETE', `/api/invitations/${revoked.id}`, t.token)).status).toBe(200);
    await invite(t, expired.email);
    await invite(t, revoked.email);
  });

  it('several admins inviting the same address at the same moment: one invitation, the others 409 already_invited', async () => {
    const t = await createTenant();
    for (let round = 0; round < 5; round++) {
      const email = freshEmail(t);
      const results = await Promise.all([1, 2, 3, 4].map(() => call(t, 'POST', '/api/invitations', t.token, { email, role: 'member' })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('already_invited');
      const rows = await database().sql.query('SELECT id FROM public.tenant_invitations WHERE tenant_id = $1 AND email = $2', [t.id, email]);
      expect(rows).toHaveLength(1);
    }
  });

  it.each([
    ['an owner role', { email: 'x@example.test', role: 'owner' }],
    ['an unknown role', { email: 'x@example.test', role: 'boss' }],
    ['no address', { role: 'member' }],
    ['a malformed address', { email: 'not-an-email', role: 'member' }],
    ['an address over 254 characters', { email: `${'a'.repeat(250)}@example.test`, role: 'member' }],
    ['an unknown field', { email: 'x@example.test', role: 'member', expiresAt: '2099-01-01T00:00:00Z' }],
  ])('refuses %s with 400 validation_failed and writes nothing', async (_name, body) => {
    const t = await createTenant();
    const before = await snapshot(t);
    const res = await call(t, 'POST', '/api/invitations', t.token, body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details.issues.length).toBeGreaterThan(0);
    expect(await snapshot(t)).toEqual(before);
  });

  it.each(['member', 'guest'])('a %s may not invite (403), nor list, resend or revoke', async (role) => {
    const t = await createTenant();
    const pending = await invite(t);
    const u = await accept(t, (await invite(t, freshEmail(t), role)).token);
    const before = await snapshot(t);
    const token = u.body.token;
    expectError(await call(t, 'POST', '/api/invitations', token, { email: freshEmail(t), role: 'member' }), 403, 'forbidden');
    expectError(await call(t, 'GET', '/api/invitations', token), 403, 'forbidden');
    expectError(await call(t, 'POST', `/api/invitations/${pending.id}/resend`, token), 403, 'forbidden');
    expectError(await call(t, 'DELETE', `/api/invitations/${pending.id}`, token), 403, 'forbidden');
    expect(await snapshot(t)).toEqual(before);
  });
});

describe('GET /api/invitations', () => {
  it('lists every invitation with its status, newest first, filtered and paginated', async () => {
    const t = await createTenant();
    const accepted = await invite(t);
    expect((await accept(t, accepted.token)).status).toBe(201);
    const revoked = await invite(t);
    expect((await call(t, 'DELETE', `/api/invitations/${revoked.id}`, t.token)).status).toBe(200);
    const expired = await invite(t);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.id]);
    const pending = await invite(t);

    const all = await call(t, 'GET', '/api/invitations', t.token);
    expect(all.status).toBe(200);
    expectNoSecrets(all);
    const statusById = Object.fromEntries(all.body.invitations.map((i: any) => [i.id, i.status]));
    expect(statusById).toEqual({ [accepted.id]: 'accepted', [revoked.id]: 'revoked', [expired.id]: 'expired', [pending.id]: 'pending' });
    expect(all.body.invitations.map((i: any) => i.id)).toEqual([pending.id, expired.id, revoked.id, accepted.id]);

    for (const [status, id] of [['pending', pending.id], ['accepted', accepted.id], ['revoked', revoked.id], ['expired', expired.id]] as const) {
      const res = await call(t, 'GET', `/api/invitations?status=${status}`, t.token);
      expect(res.body.invitations.map((i: any) => i.id), status).toEqual([id]);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResult<any> = await call(t, 'GET', `/api/invitations?limit=3${cursor ? `&cursor=${cursor}` : ''}`, t.token);
      expect(page.status).toBe(200);
      seen.push(...page.body.invitations.map((i: any) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([pending.id, expired.id, revoked.id, accepted.id]);
  });

  it.each(['status=open', 'limit=0', 'limit=101', 'cursor=%%%'])('refuses ?%s with 400', async (query) => {
    const t = await createTenant();
    const res = await call(t, 'GET', `/api/invitations?${query}`, t.token);
    expect(res.status).toBe(400);
  });

  it("never shows another workspace's invitations", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    await invite(a);
    const res = await call(b, 'GET', '/api/invitations', b.token);
    expect(res.status).toBe(200);
    expect(res.body.invitations).toEqual([]);
  });
});

describe('POST /api/invitations/:id/resend', () => {
  it('issues a new token and expiry; the old token stops working', async () => {
    const t = await createTenant({ trial: true });
    const inv = await invite(t);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() + interval '1 hour' WHERE id = $1", [inv.id]);
    const res = await call(t, 'POST', `/api/invitations/${inv.id}/resend`, t.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectNoSecrets(res);
    const newToken = tokenOf(res.body.acceptUrl);
    expect(newToken).not.toBe(inv.token);
    expect(Date.parse(res.body.invitation.expiresAt) - Date.now()).toBeGreaterThan(7 * DAY_MS - 60_000);
    expect((await invitationRow(inv.id)).token_hash).toBe(await sha256Hex(newToken));

    expectError(await accept(t, inv.token), 404, 'invitation_not_found');
    const ok = await accept(t, newToken);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const [entry] = await auditOf(t, 'invitation.resent');
    expect(entry).toMatchObject({ actor: { id: t.ownerId }, resource: { type: 'invitation', id: inv.id } });
  });

  it('renews an expired invitation', async () => {
    const t = await createTenant();
    const inv = await invite(t);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 day' WHERE id = $1", [inv.id]);
    const res = await call(t, 'POST', `/api/invitations/${inv.id}/resend`, t.token);
    expect(res.status).toBe(200);
    expect(res.body.invitation.status).toBe('pending');
    expect((await accept(t, tokenOf(res.body.acceptUrl))).status).toBe(201);
  });

  it('refuses used (409 invitation_already_accepted), revoked (409 invitation_already_revoked) and unknown (404) invitations, writing nothing', async () => {
    const t = await createTenant();
    const used = await invite(t);
    expect((await accept(t, used.token)).status).toBe(201);
    const revoked = await invite(t);
    expect((await call(t, 'DELETE', `/api/invitations/${revoked.id}`, t.token)).status).toBe(200);
    const before = await snapshot(t);
    expectError(await call(t, 'POST', `/api/invitations/${used.id}/resend`, t.token), 409, 'invitation_already_accepted');
    expectError(await call(t, 'POST', `/api/invitations/${revoked.id}/resend`, t.token), 409, 'invitation_already_revoked');
    expectError(await call(t, 'POST', `/api/invitations/${crypto.randomUUID()}/resend`, t.token), 404, 'invitation_not_found');
    expectError(await call(t, 'POST', '/api/invitations/not-a-uuid/resend', t.token), 404, 'invitation_not_found');
    expect(await snapshot(t)).toEqual(before);
  });

  it("cannot resend another workspace's invitation", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const inv = await invite(a);
    const before = await snapshot(a);
    expectError(await call(b, 'POST', `/api/invitations/${inv.id}/resend`, b.token), 404, 'invitation_not_found');
    expectError(await call(b, 'DELETE', `/api/invitations/${inv.id}`, b.token), 404, 'invitation_not_found');
    expect(await snapshot(a)).toEqual(before);
  });
});

describe('DELETE /api/invitations/:id', () => {
  it('revokes: the token then gets 410 invitation_revoked; revoking again changes nothing', async () => {
    const t = await createTenant({ trial: true });
    const inv = await invite(t);
    const res = await call(t, 'DELETE', `/api/invitations/${inv.id}`, t.token);
    expect(res.status).toBe(200);
    expect(res.body.invitation).toMatchObject({ id: inv.id, status: 'revoked' });
    expectError(await accept(t, inv.token), 410, 'invitation_revoked');
    const before = await snapshot(t);
    expect((await call(t, 'DELETE', `/api/invitations/${inv.id}`, t.token)).status).toBe(200);
    expect(await snapshot(t)).toEqual(before);
    const entries = await auditOf(t, 'invitation.revoked');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: { id: t.ownerId }, resource: { id: inv.id }, oldValues: { email: inv.email } });
  });

  it('an accepted invitation cannot be revoked (409)', async () => {
    const t = await createTenant();
    const inv = await invite(t);
    expect((await accept(t, inv.token)).status).toBe(201);
    expectError(await call(t, 'DELETE', `/api/invitations/${inv.id}`, t.token), 409, 'invitation_already_accepted');
  });
});

describe('POST /api/invitations/:token/accept', () => {
  it('creates the user with the invited address and role, signs them in, marks the invitation used', async () => {
    const t = await createTenant({ trial: true });
    const inv = await invite(t, freshEmail(t), 'guest');
    const res = await accept(t, inv.token, { displayName: '  Grace  ', password: 'correct-horse-battery' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expectNoSecrets(res);
    expect(res.body.user).toMatchObject({ email: inv.email, role: 'guest', displayName: 'Grace', status: 'active' });
    expect(res.headers.get('set-cookie')).toMatch(/^nchat_session=[^;]+; Max-Age=604800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    const me = await call(t, 'GET', '/api/me', res.body.token);
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(res.body.user.id);
    const login = await call(t, 'POST', '/api/auth/login', undefined, { email: inv.email, password: 'correct-horse-battery' });
    expect(login.status).toBe(200);

    const row = await invitationRow(inv.id);
    expect(row.accepted_at).not.toBeNull();
    expect(row.accepted_user_id).toBe(res.body.user.id);
    const [entry] = await auditOf(t, 'invitation.accepted');
    expect(entry).toMatchObject({ actor: { type: 'user', id: res.body.user.id }, resource: { type: 'invitation', id: inv.id }, newValues: { email: inv.email, role: 'guest' } });

    expectError(await accept(t, inv.token), 410, 'invitation_used');
  });

  it('410 invitation_expired for an invitation past its expiry; nothing written', async () => {
    const t = await createTenant();
    const inv = await invite(t);
    await database().sql.query("UPDATE public.tenant_invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [inv.id]);
    const before = await snapshot(t);
    expectError(await accept(t, inv.token), 410, 'invitation_expired');
    expect(await snapshot(t)).toEqual(before);
  });

  it.each([
    ['an unknown token', 'A'.repeat(43)],
    ['a malformed token', 'short'],
    ['a token with odd characters', `${'A'.repeat(42)}.`],
  ])('404 invitation_not_found for %s', async (_name, token) => {
    const t = await createTenant();
    expectError(await accept(t, encodeURIComponent(token)), 404, 'invitation_not_found');
  });

  it("applies the workspace's password policy; a refused attempt leaves the invitation usable", async () => {
    const t = await createTenant();
    expect((await call(t, 'PUT', '/api/tenant/settings', t.token, { passwordMinLength: 14, passwordRequireDigit: true })).status).toBe(200);
    const inv = await invite(t);
    const before = await snapshot(t);
    const res = await accept(t, inv.token, { displayName: 'Weak', password: 'short' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details.issues).toEqual([
      { path: 'password', message: 'must be at least 14 characters' },
      { path: 'password', message: 'must contain a digit' },
    ]);
    expect(await snapshot(t)).toEqual(before);
    expect((await accept(t, inv.token, { displayName: 'Strong', password: 'fourteen-chars-1' })).status).toBe(201);
  });

  it.each([
    ['an empty object', {}],
    ['no password', { displayName: 'X' }],
    ['no name', { password: 'a-good-password' }],
    ['a blank name', { displayName: '   ', password: 'a-good-password' }],
    ['a role (taken from the invitation only)', { displayName: 'X', password: 'a-good-password', role: 'owner' }],
    ['an e-mail (taken from the invitation only)', { displayName: 'X', password: 'a-good-password', email: 'me@evil.test' }],
  ])('refuses %s with 400 and writes nothing', async (_name, body) => {
    const t = await createTenant();
    const inv = await invite(t);
    const before = await snapshot(t);
    expectError(await accept(t, inv.token, body), 400, 'validation_failed');
    expect(await snapshot(t)).toEqual(before);
  });

  it('five simultaneous accepts of one token create exactly one user', async () => {
    const t = await createTenant({ trial: true });
    const inv = await invite(t);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => accept(t, inv.token, { displayName: `Racer ${i}`, password: 'a-good-password' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([201, 410, 410, 410, 410]);
    for (const r of results.filter((x) => x.status === 410)) expect(r.body.error.code).toBe('invitation_used');
    const users = await database().sql.query(`SELECT id FROM "${schemaOf(t.slug)}".nchat_users WHERE lower(email) = $1`, [inv.email]);
    expect(users).toHaveLength(1);
    expect(await auditOf(t, 'invitation.accepted')).toHaveLength(1);
  });

  it("a token of workspace A does nothing on workspace B's host (row-level security hides A's invitations)", async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const inv = await invite(a);
    const [beforeA, beforeB] = [await snapshot(a), await snapshot(b)];
    expectError(await accept(b, inv.token), 404, 'invitation_not_found');
    expect(await snapshot(a)).toEqual(beforeA);
    expect(await snapshot(b)).toEqual(beforeB);
    // Still good on its own host.
    expect((await accept(a, inv.token)).status).toBe(201);
  });

  it('409 when the address got an account some other way in the meantime; the invitation stays open', async () => {
    const t = await createTenant();
    const inv = await invite(t);
    await database().sql.query(`INSERT INTO "${schemaOf(t.slug)}".nchat_users (email, display_name, role) VALUES ($1, 'Elsewhere', 'member')`, [inv.email.toUpperCase()]);
    expectError(await accept(t, inv.token), 409, 'already_member');
    expect((await invitationRow(inv.id)).accepted_at).toBeNull();
  });
});

describe('mail', () => {
  it('the logging mailer records and logs the invitation without its accept URL or token', async () => {
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    const mailer = new LogMailer({ info: (msg, fields) => lines.push({ msg, fields }) });
    const token = 'T'.repeat(43);
    await mailer.send({
      kind: 'invitation',
      to: 'someone@example.test',
      workspace: { id: crypto.randomUUID(), name: 'Acme', slug: 'acme' },
      invitationId: crypto.randomUUID(),
      role: 'member',
      expiresAt: new Date().toISOString(),
      acceptUrl: `https://acme.nchat.app/invite/${token}`,
    });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain('/invite/');
    expect(JSON.stringify(mailer.recorded)).not.toContain(token);
    expect(mailer.recorded[0]).toMatchObject({ kind: 'invitation', to: 'someone@example.test', role: 'member' });
  });
});
