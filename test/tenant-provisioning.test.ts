/**
 * Workspace sign-up (POST /api/tenants/create) and what it leaves in Postgres: the quick start,
 * the plans sign-up may choose, the tenant's row, schema, NOLOGIN role, migrations, owner,
 * settings and audit entry; bad input; duplicate and concurrent slugs; a failed provisioning
 * leaving nothing behind; the per-IP rate limit; the isolation Postgres itself enforces between
 * tenants (schema rights, row-level security); and password hashing and policy.
 */
import { sql as dsql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword } from '../src/auth/password';
import { DEFAULT_PASSWORD_POLICY, PASSWORD_MAX_LENGTH, passwordProblems } from '../src/auth/password-policy';
import { verifySession } from '../src/auth/session';
import { sqlState } from '../src/db/errors';
import { quoteIdent } from '../src/db/identifiers';
import { TENANT_MIGRATION_FILES, tenantMigrations } from '../src/db/migrations/bundled';
import { prepareMigrations } from '../src/db/migrations/migration';
import { nchatUsers } from '../src/db/schema';
import { provisionTenant, TRIAL_DAYS } from '../src/tenancy/provisioning';
import { dropStatements } from '../src/tenancy/schema-ops';
import { TenantDb } from '../src/tenancy/tenant-db';
import { TEST_SESSION_SECRET } from './support/constants';
import { adminAuth, api, createTenant, database, PLATFORM, schemaOf, tenantUrl, uniqueIp, uniqueSlug, type CreatedTenant } from './support/tenants';
import { insertActiveDomain } from './support/domains';

const CREATE = `${PLATFORM}/api/tenants/create`;
const DAY = 86_400_000;
const HASH_FORMAT = /^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/;

// ---------------------------------------------------------------------------------------------
// Helpers

/** Every slug this file uses, so afterAll can drop what it created (roles outlive a database). */
const usedSlugs = new Set<string>();
function slug(): string {
  const s = uniqueSlug('tp');
  usedSlugs.add(s);
  return s;
}


function body(s: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'Acme Corp', slug: s, ownerEmail: `owner@${s}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free', ...overrides };
}

/** POST /api/tenants/create from a fresh client address (unless `ip` is given). */
function signup(json: unknown, opts: { ip?: string; headers?: Record<string, string> } = {}) {
  return api(CREATE, { method: 'POST', headers: { 'cf-connecting-ip': opts.ip ?? uniqueIp(), ...opts.headers }, json });
}

async function one<T = Record<string, any>>(text: string, params: unknown[] = []): Promise<T | undefined> {
  const rows = (await database().sql.query(text, params)) as T[];
  return rows[0];
}

async function count(text: string, params: unknown[] = []): Promise<number> {
  const row = await one<{ n: number | string }>(text, params);
  return Number(row?.n ?? 0);
}

const tenantRows = (s: string) => count('SELECT count(*)::int AS n FROM public.tenants WHERE slug = $1', [s]);
const schemaCount = (schema: string) => count('SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1', [schema]);
const roleCount = (role: string) => count('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [role]);

/** Nothing at all exists for this slug: no tenant row, no schema, no role. */
async function expectNothingFor(s: string): Promise<void> {
  expect(await tenantRows(s)).toBe(0);
  expect(await schemaCount(schemaOf(s))).toBe(0);
  expect(await roleCount(schemaOf(s))).toBe(0);
  expect(await count(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE new_values->>'slug' = $1`, [s])).toBe(0);
}

/** The Postgres error (SQLSTATE and message) a promise rejects with; fails if it resolves. */
async function pgFailure(p: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    let e: any = err;
    for (let i = 0; i < 5 && e && !sqlState(e) && e.cause; i++) e = e.cause;
    return { code: sqlState(e), message: String(e?.message ?? e) };
  }
  throw new Error('expected the query to fail, but it succeeded');
}

function tenantDb(t: Pick<CreatedTenant, 'id' | 'slug'>): TenantDb {
  const schema = schemaOf(t.slug);
  return TenantDb.forSystemWork(database(), { id: t.id, schemaName: schema, roleName: schema }, 'tooling');
}

/** Rows of a raw query run inside the tenant's transaction (as its role). */
async function rowsAs<T = Record<string, unknown>>(t: Pick<CreatedTenant, 'id' | 'slug'>, text: string): Promise<T[]> {
  const result = (await tenantDb(t).run((db) => db.execute(dsql.raw(text)))) as unknown as { rows: T[] } | T[];
  return Array.isArray(result) ? result : result.rows;
}

async function created(s: string, overrides: Record<string, unknown> = {}): Promise<CreatedTenant> {
  return createTenant({ slug: s, ...overrides } as Parameters<typeof createTenant>[0]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

// Roles are global to the PostgreSQL cluster (shared between runs): drop what this file created.
afterAll(async () => {
  const db = database();
  const rows = (await db.sql.query('SELECT id, schema_name, role_name FROM public.tenants WHERE slug = ANY($1::text[])', [[...usedSlugs]])) as {
    id: string;
    schema_name: string;
    role_name: string;
  }[];
  for (const r of rows) {
    await db.transaction([...dropStatements(db, r.schema_name, r.role_name), db.sql`DELETE FROM public.tenants WHERE id = ${r.id}`]);
  }
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/tenants/create: the quick start and the plans sign-up may choose', () => {
  it("creates the seed's quick-start workspace: a 14-day Pro trial, the owner, a session token and the workspace URL", async () => {
    const s = slug();
    const started = Date.now();
    const res = await signup({ name: 'Acme Corp', slug: s, ownerEmail: `owner@${s}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free', trial: true });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { tenant, owner, token, url } = res.body as { tenant: Record<string, any>; owner: Record<string, any>; token: string; url: string };
    expect(Object.keys(res.body).sort()).toEqual(['handoffUrl', 'owner', 'tenant', 'token', 'url']);

    expect(tenant).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Acme Corp', slug: s, status: 'trial', plan: 'pro', billingPlan: 'pro' });
    expect(tenant.trial).toEqual({ endsAt: expect.any(String), expired: false });
    const endsAt = Date.parse(tenant.trial.endsAt);
    expect(endsAt).toBeGreaterThanOrEqual(started + TRIAL_DAYS * DAY - 5_000);
    expect(endsAt).toBeLessThanOrEqual(Date.now() + TRIAL_DAYS * DAY + 5_000);
    expect(TRIAL_DAYS).toBe(14);

    expect(url).toBe(`http://${s}.nchat.test`);
    expect(owner).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: `owner@${s}.test`, displayName: 'Owner', role: 'owner' });

    // No password, no hash, no internal names anywhere in what goes back to the client.
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('securepass123');
    expect(text).not.toContain('pbkdf2');
    expect(text).not.toMatch(/password/i);
    expect(text).not.toContain(schemaOf(s));

    const claims = await verifySession(TEST_SESSION_SECRET, token);
    expect(claims).toMatchObject({ sub: owner.id, tid: tenant.id, role: 'owner', sv: 1 });
    expect(claims!.exp).toBeGreaterThan(Date.now() / 1000);

    // The workspace answers on its own host right away.
    const config = await api(tenantUrl(s, '/api/tenant'));
    expect(config.status, JSON.stringify(config.body)).toBe(200);
    expect(JSON.stringify(config.body)).toContain(tenant.id);
  });

  it('creates a free workspace (active, plan free, no trial) without trial', async () => {
    const s = slug();
    const res = await signup(body(s, { plan: 'free' }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.tenant).toMatchObject({ slug: s, status: 'active', plan: 'free', billingPlan: 'free', trial: null });
  });

  it('defaults to the free plan when none is given', async () => {
    const s = slug();
    const { plan: _p, ...rest } = body(s);
    const res = await signup(rest);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.tenant).toMatchObject({ status: 'active', plan: 'free' });
  });

  it('normalises the slug to lower case (and a differently cased repeat is the same address)', async () => {
    const s = slug();
    const res = await signup(body(s.toUpperCase()));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.tenant.slug).toBe(s);
    expect(res.body.url).toBe(`http://${s}.nchat.test`);
    const again = await signup(body(s));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('slug_taken');
  });

  it.each([
    ['pro without a trial', { plan: 'pro' }, 402, 'payment_required'],
    ['enterprise without a trial', { plan: 'enterprise' }, 402, 'payment_required'],
    ['custom without a trial', { plan: 'custom' }, 402, 'payment_required'],
    ['an enterprise trial', { plan: 'enterprise', trial: true }, 400, 'validation_failed'],
    ['a custom trial', { plan: 'custom', trial: true }, 400, 'validation_failed'],
  ])('refuses %s and creates nothing', async (_label, overrides, status, code) => {
    const s = slug();
    const res = await signup(body(s, overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (status === 402) expect(res.body.error.details).toMatchObject({ plan: overrides.plan });
    if (status === 400) expect(res.body.error.details.issues).toContainEqual(expect.objectContaining({ path: 'plan' }));
    await expectNothingFor(s);
  });
});

describe('what one sign-up leaves in Postgres', () => {
  it('a tenant row, a schema, a NOLOGIN role in nchat_tenant, the migrations, the owner, default settings and one audit entry', async () => {
    const s = slug();
    const schema = schemaOf(s);
    const ip = uniqueIp();
    const res = await signup(body(s, { ownerEmail: `  Owner.Mixed@${s.toUpperCase()}.TEST `, ownerName: 'The Owner', trial: true }), { ip });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const tenantId: string = res.body.tenant.id;
    const ownerId: string = res.body.owner.id;
    const email = `owner.mixed@${s}.test`;
    expect(res.body.owner.email).toBe(email);
    const migrations = await tenantMigrations();

    // The row.
    const row = await one('SELECT * FROM public.tenants WHERE slug = $1', [s]);
    expect(row).toMatchObject({
      id: tenantId,
      name: 'Acme Corp',
      status: 'trial',
      billing_plan: 'pro',
      schema_name: schema,
      role_name: schema,
      schema_version: migrations.at(-1)!.version,
      owner_email: email,
      owner_name: 'The Owner',
      owner_user_id: ownerId,
      version: 1,
    });
    expect(row!.trial_ends_at).not.toBeNull();

    // The schema, owned by the platform (not by the tenant role).
    const ns = await one<{ owner: string }>('SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(ns).toBeDefined();
    expect(ns!.owner.replace(/"/g, '')).not.toBe(schema);
    expect(await schemaCount(schema)).toBe(1);

    // The role: cannot log in, no special powers, member of nchat_tenant, owns nothing.
    const role = await one('SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = $1', [schema]);
    expect(role).toMatchObject({ rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false });
    expect(
      await count(
        `SELECT count(*)::int AS n FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
          WHERE r.rolname = $1 AND g.rolname = 'nchat_tenant'`,
        [schema],
      ),
    ).toBe(1);
    expect(await count('SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1', [schema])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = $1', [schema])).toBe(0);

    // The owner, with a PBKDF2 hash of the password.
    const users = (await database().sql.query(`SELECT id, email, display_name, role, status, password_hash FROM ${quoteIdent(schema)}.nchat_users`)) as Record<string, any>[];
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ id: ownerId, email, display_name: 'The Owner', role: 'owner', status: 'active' });
    expect(users[0]!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(users[0]!.password_hash).toMatch(HASH_FORMAT);
    expect(await verifyPassword('securepass123', users[0]!.password_hash)).toBe(true);
    expect(await verifyPassword('securepass124', users[0]!.password_hash)).toBe(false);

    // Every tenant migration, recorded with its checksum.
    const recorded = (await database().sql.query(`SELECT version, name, checksum FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`)) as Record<string, string>[];
    expect(recorded).toEqual(migrations.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));

    // Default settings.
    const settings = (await database().sql.query('SELECT * FROM public.tenant_settings WHERE tenant_id = $1', [tenantId])) as Record<string, any>[];
    expect(settings).toHaveLength(1);
    expect(settings[0]).toMatchObject({
      timezone: 'UTC',
      language: 'en',
      password_min_length: 8,
      password_require_mixed: false,
      password_require_digit: false,
      session_timeout_minutes: 10080,
      message_retention_days: null,
      file_retention_days: null,
      audit_retention_days: 365,
    });

    // One audit entry, by the owner.
    const audits = (await database().sql.query('SELECT * FROM public.tenant_audit_logs WHERE tenant_id = $1', [tenantId])) as Record<string, any>[];
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'tenant.created',
      actor_type: 'user',
      actor_id: ownerId,
      resource_type: 'tenant',
      resource_id: tenantId,
      old_values: null,
      ip_address: ip,
    });
    expect(audits[0]!.new_values).toMatchObject({ slug: s, plan: 'pro', status: 'trial', name: 'Acme Corp' });
    expect(JSON.stringify(audits[0])).not.toContain('securepass123');
  });

  it('salts each password: two workspaces with the same password get different hashes', async () => {
    const [a, b] = [await created(slug()), await created(slug())];
    const hashOf = async (t: CreatedTenant) =>
      ((await database().sql.query(`SELECT password_hash FROM ${quoteIdent(schemaOf(t.slug))}.nchat_users WHERE id = $1`, [t.ownerId])) as { password_hash: string }[])[0]!.password_hash;
    const [ha, hb] = [await hashOf(a), await hashOf(b)];
    expect(ha).toMatch(HASH_FORMAT);
    expect(hb).toMatch(HASH_FORMAT);
    expect(ha).not.toBe(hb);
    expect(ha.split('$')[2]).not.toBe(hb.split('$')[2]); // the salts
    expect(await verifyPassword('securepass123', ha)).toBe(true);
    expect(await verifyPassword('securepass123', hb)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad sign-up input', () => {
  const long = (n: number) => 'x'.repeat(n);
  const cases: [label: string, make: (s: string) => unknown, status: number, code: string, field?: string][] = [
    ['an empty body object', () => ({}), 400, 'validation_failed', 'name'],
    ['only a slug', (s) => ({ slug: s }), 400, 'validation_failed', 'ownerEmail'],
    ['no name', (s) => { const { name: _n, ...b } = body(s); return b; }, 400, 'validation_failed', 'name'],
    ['no slug', (s) => { const { slug: _s, ...b } = body(s); return b; }, 400, 'validation_failed', 'slug'],
    ['no owner email', (s) => { const { ownerEmail: _e, ...b } = body(s); return b; }, 400, 'validation_failed', 'ownerEmail'],
    ['no owner name', (s) => { const { ownerName: _n, ...b } = body(s); return b; }, 400, 'validation_failed', 'ownerName'],
    ['no owner password', (s) => { const { ownerPassword: _p, ...b } = body(s); return b; }, 400, 'validation_failed', 'ownerPassword'],
    ['an empty name', (s) => body(s, { name: '' }), 400, 'validation_failed', 'name'],
    ['a blank name', (s) => body(s, { name: '   ' }), 400, 'validation_failed', 'name'],
    ['a name over 100 characters', (s) => body(s, { name: long(101) }), 400, 'validation_failed', 'name'],
    ['a bad email', (s) => body(s, { ownerEmail: 'not-an-email' }), 400, 'validation_failed', 'ownerEmail'],
    ['a short password', (s) => body(s, { ownerPassword: 'short' }), 400, 'validation_failed', 'ownerPassword'],
    ['a password over 256 characters', (s) => body(s, { ownerPassword: long(PASSWORD_MAX_LENGTH + 1) }), 400, 'validation_failed', 'ownerPassword'],
    ['an unknown plan', (s) => body(s, { plan: 'gold' }), 400, 'validation_failed', 'plan'],
    ['a non-boolean trial', (s) => body(s, { trial: 'yes' }), 400, 'validation_failed', 'trial'],
    ['a name that is not a string', (s) => body(s, { name: 42 }), 400, 'validation_failed', 'name'],
    ['an unknown extra field (strict)', (s) => body(s, { isPlatformAdmin: true }), 400, 'validation_failed', 'isPlatformAdmin'],
    ['slug "Has Space"', () => body('has-space', { slug: 'Has Space' }), 400, 'validation_failed', 'slug'],
    ['a reserved slug', () => body('admin', { slug: 'admin' }), 400, 'validation_failed', 'slug'],
    ['a two-character slug', () => body('ab', { slug: 'ab' }), 400, 'validation_failed', 'slug'],
    ['a 33-character slug', () => body('x', { slug: 'a'.repeat(33) }), 400, 'validation_failed', 'slug'],
    ['a slug with a double hyphen', (s) => body(s, { slug: s.replace('-', '--') }), 400, 'validation_failed', 'slug'],
    ['a slug starting with a hyphen', (s) => body(s, { slug: `-${s}` }), 400, 'validation_failed', 'slug'],
    ['a slug with an underscore', (s) => body(s, { slug: s.replace('-', '_') }), 400, 'validation_failed', 'slug'],
    ['a JSON array', () => [], 400, 'validation_failed'],
  ];

  it.each(cases)('refuses %s', async (_label, make, status, code, field) => {
    const s = slug();
    const res = await signup(make(s));
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (field) {
      const issues = res.body.error.details.issues as { path: string; message: string }[];
      expect(issues.length).toBeGreaterThan(0);
      // The field is named by the issue's path, or (for an unknown key, an object-level issue) its message.
      expect(issues.some((i) => i.path === field || i.message.includes(field)), JSON.stringify(issues)).toBe(true);
    }
    await expectNothingFor(s);
  });

  it('names every missing field of an empty body', async () => {
    const res = await signup({});
    expect(res.status).toBe(400);
    const paths = (res.body.error.details.issues as { path: string }[]).map((i) => i.path).sort();
    expect(paths).toEqual(['name', 'ownerEmail', 'ownerName', 'ownerPassword', 'slug']);
  });

  it('answers 400 invalid_json to a body that is not JSON, and creates nothing', async () => {
    const s = slug();
    const res = await api(CREATE, { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp(), 'content-type': 'application/json' }, body: `{nope "slug": "${s}"` });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    await expectNothingFor(s);
  });

  it('answers 400 invalid_json to "{nope"', async () => {
    const res = await api(CREATE, { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp(), 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_json', message: expect.any(String) });
  });

  it('answers 413 payload_too_large to a body over 64 KB, and creates nothing', async () => {
    const s = slug();
    const res = await signup(body(s, { name: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNothingFor(s);
  });

  it('answers 413 to an oversized body sent without a Content-Length (streamed)', async () => {
    const s = slug();
    const chunk = new TextEncoder().encode(JSON.stringify(body(s, { name: 'y'.repeat(70 * 1024) })));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunk.length; i += 8192) controller.enqueue(chunk.slice(i, i + 8192));
        controller.close();
      },
    });
    const res = await api(CREATE, { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp(), 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNothingFor(s);
  });

  it('is only on the platform host: a workspace host answers 404', async () => {
    const t = await created(slug());
    const s = slug();
    const res = await api(tenantUrl(t.slug, '/api/tenants/create'), { method: 'POST', headers: { 'cf-connecting-ip': uniqueIp() }, json: body(s) });
    expect(res.status).toBe(404);
    await expectNothingFor(s);
  });
});

// ---------------------------------------------------------------------------------------------

describe('taken slugs', () => {
  it('refuses the same slug twice with 409 slug_taken, leaving the first workspace as it was', async () => {
    const s = slug();
    const first = await signup(body(s));
    expect(first.status).toBe(201);
    const second = await signup(body(s, { name: 'Impostor', ownerEmail: 'other@example.test' }));
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'slug_taken', details: { slug: s } });
    expect(await tenantRows(s)).toBe(1);
    const row = await one('SELECT id, name, owner_email FROM public.tenants WHERE slug = $1', [s]);
    expect(row).toMatchObject({ id: first.body.tenant.id, name: 'Acme Corp', owner_email: `owner@${s}.test` });
    expect(await count(`SELECT count(*)::int AS n FROM ${quoteIdent(schemaOf(s))}.nchat_users`)).toBe(1);
  });

  it('two concurrent sign-ups for one slug: exactly one 201 and one 409, one row, one schema, one role, one owner', async () => {
    const s = slug();
    const results = await Promise.all([signup(body(s, { ownerEmail: 'a@concurrent.test' })), signup(body(s, { ownerEmail: 'b@concurrent.test' }))]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    const winner = results.find((r) => r.status === 201)!;
    expect(loser.body.error.code).toBe('slug_taken');
    expect(await tenantRows(s)).toBe(1);
    expect(await schemaCount(schemaOf(s))).toBe(1);
    expect(await roleCount(schemaOf(s))).toBe(1);
    const users = (await database().sql.query(`SELECT id, email FROM ${quoteIdent(schemaOf(s))}.nchat_users`)) as { id: string; email: string }[];
    expect(users).toEqual([{ id: winner.body.owner.id, email: winner.body.owner.email }]);
    expect(await count(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE new_values->>'slug' = $1`, [s])).toBe(1);
  });

  it('five concurrent sign-ups with distinct slugs all succeed', async () => {
    const slugs = Array.from({ length: 5 }, () => slug());
    const results = await Promise.all(slugs.map((s) => signup(body(s))));
    expect(results.map((r) => r.status), JSON.stringify(results.map((r) => r.body))).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.tenant.id)).size).toBe(5);
    for (const s of slugs) {
      expect(await tenantRows(s)).toBe(1);
      expect(await schemaCount(schemaOf(s))).toBe(1);
      expect(await roleCount(schemaOf(s))).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM ${quoteIdent(schemaOf(s))}.nchat_users WHERE role = 'owner'`)).toBe(1);
    }
  });

  it('a role of that name existing outside the records is a 409 slug_taken, leaving nothing', async () => {
    const s = slug();
    await database().sql.query(`CREATE ROLE ${quoteIdent(schemaOf(s))} NOLOGIN`);
    try {
      const res = await signup(body(s));
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error.code).toBe('slug_taken');
      expect(await tenantRows(s)).toBe(0);
      expect(await schemaCount(schemaOf(s))).toBe(0);
    } finally {
      await database().sql.query(`DROP ROLE IF EXISTS ${quoteIdent(schemaOf(s))}`);
    }
  });

  it('a schema of that name existing outside the records is a 409 slug_taken, leaving nothing', async () => {
    const s = slug();
    await database().sql.query(`CREATE SCHEMA ${quoteIdent(schemaOf(s))}`);
    try {
      const res = await signup(body(s));
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error.code).toBe('slug_taken');
      expect(await tenantRows(s)).toBe(0);
      expect(await roleCount(schemaOf(s))).toBe(0);
    } finally {
      await database().sql.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schemaOf(s))} CASCADE`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('a provisioning failure leaves nothing behind', () => {
  const context = { ip: '10.9.9.9', userAgent: 'vitest', requestId: 'req-provisioning-failure' };
  const input = (s: string) => ({ name: 'Broken Co', slug: s, ownerEmail: `owner@${s}.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free' as const, trial: false });

  it('a tenant migration failing mid-way rolls back the row, schema, role, owner, settings and audit entry', async () => {
    const s = slug();
    const broken = await prepareMigrations([
      ...TENANT_MIGRATION_FILES,
      { version: '9999', name: 'broken', sql: 'CREATE TABLE nchat_users_x (id int); --> statement-breakpoint\nSELECT * FROM no_such_table' },
    ]);
    expect(broken.at(-1)!.statements).toHaveLength(2);
    const uuid = vi.spyOn(crypto, 'randomUUID');

    const failure = await pgFailure(provisionTenant(database(), input(s), broken, context));
    expect(failure.code).toBe('42P01'); // undefined_table: the second statement of the broken migration
    expect(failure.message).toContain('no_such_table');

    const ids = uuid.mock.results.map((r) => r.value as string);
    expect(ids.length).toBeGreaterThanOrEqual(2); // the tenant id and the owner id
    const tenantId = ids[0]!;
    uuid.mockRestore();

    await expectNothingFor(s);
    expect(await count('SELECT count(*)::int AS n FROM public.tenants WHERE id = $1', [tenantId])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM public.tenant_settings WHERE tenant_id = $1', [tenantId])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1', [tenantId])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'nchat_users_x' AND schemaname = $1`, [schemaOf(s)])).toBe(0);

    // Nothing half-made blocks the address: provisioning it again with the real migrations works.
    const ok = await provisionTenant(database(), input(s), await tenantMigrations(), context);
    expect(ok.tenant).toMatchObject({ slug: s, status: 'active', billingPlan: 'free', schemaName: schemaOf(s) });
    expect(await roleCount(schemaOf(s))).toBe(1);
  });

  it('a failure in the very last statements (the owner insert) also leaves nothing', async () => {
    const s = slug();
    // A migration that makes the owner insert fail: the email column refuses every value.
    const hostile = await prepareMigrations([
      ...TENANT_MIGRATION_FILES,
      { version: '9998', name: 'refuse_owner', sql: "ALTER TABLE nchat_users ADD CONSTRAINT no_owner CHECK (role <> 'owner')" },
    ]);
    const failure = await pgFailure(provisionTenant(database(), input(s), hostile, context));
    expect(failure.code).toBe('23514'); // check_violation
    await expectNothingFor(s);
  });

  it('refuses a short password and a paid plan before touching the database', async () => {
    const s = slug();
    await expect(provisionTenant(database(), { ...input(s), ownerPassword: 'short' }, await tenantMigrations(), context)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(provisionTenant(database(), { ...input(s), plan: 'pro' }, await tenantMigrations(), context)).rejects.toMatchObject({ code: 'payment_required' });
    await expectNothingFor(s);
  });
});

// ---------------------------------------------------------------------------------------------

describe('sign-up rate limit per client address', () => {
  it('allows 5 attempts an hour from one address (valid or not), refuses the 6th with 429 and Retry-After; other addresses and platform admins are unaffected', async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    const okSlug = slug();
    statuses.push((await signup(body(okSlug), { ip })).status);
    for (let i = 0; i < 4; i++) statuses.push((await signup({ slug: 'no' }, { ip })).status);
    expect(statuses).toEqual([201, 400, 400, 400, 400]);

    const blockedSlug = slug();
    const sixth = await signup(body(blockedSlug), { ip });
    expect(sixth.status, JSON.stringify(sixth.body)).toBe(429);
    expect(sixth.body.error.code).toBe('rate_limited');
    const retryAfter = sixth.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(3600);
    expect(sixth.body.error.details).toMatchObject({ limit: 5, windowSeconds: 3600, retryAfterSeconds: Number(retryAfter) });
    await expectNothingFor(blockedSlug);

    // Still refused on the next try (the window slides; a refusal does not free a slot).
    expect((await signup(body(slug()), { ip })).status).toBe(429);

    // Another address is not affected.
    const other = await signup(body(slug()), { ip: uniqueIp() });
    expect(other.status, JSON.stringify(other.body)).toBe(201);

    // A platform admin from the exhausted address is not limited.
    const adminSlug = slug();
    const admin = await signup(body(adminSlug), { ip, headers: adminAuth });
    expect(admin.status, JSON.stringify(admin.body)).toBe(201);
    expect(await tenantRows(adminSlug)).toBe(1);
  });

  it('never limits a platform admin, however many attempts', async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await signup({ slug: 'no' }, { ip, headers: adminAuth })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400]);
    // ... and the admin's attempts did not use up the address's quota for anonymous sign-ups.
    expect((await signup(body(slug()), { ip })).status).toBe(201);
  });
});

// ---------------------------------------------------------------------------------------------

describe('isolation enforced by Postgres between tenants A and B', () => {
  let A: CreatedTenant;
  let B: CreatedTenant;
  const period = '2030-01';

  async function setup() {
    if (A) return;
    A = await created(slug());
    B = await created(slug());
    const { sql } = database();
    await sql`INSERT INTO public.tenant_usage (tenant_id, period, messages) VALUES (${A.id}, ${period}, 11), (${B.id}, ${period}, 22)`;
  }

  it("inside A's transaction the role is A's and app.tenant_id is A's id", async () => {
    await setup();
    const [row] = await rowsAs<{ u: string; tid: string; sp: string }>(A, "SELECT current_user AS u, current_setting('app.tenant_id', true) AS tid, current_setting('search_path') AS sp");
    expect(row).toMatchObject({ u: schemaOf(A.slug), tid: A.id });
    expect(row!.sp).toContain(schemaOf(A.slug));
  });

  it('SET LOCAL does not outlive the transaction: the next plain query is the platform again', async () => {
    await setup();
    await rowsAs(A, 'SELECT 1');
    const row = await one<{ u: string; tid: string | null }>("SELECT current_user AS u, current_setting('app.tenant_id', true) AS tid");
    expect(row!.u).not.toBe(schemaOf(A.slug));
    expect(row!.tid ?? '').toBe('');
  });

  it('A reads its own users', async () => {
    await setup();
    const users = await tenantDb(A).run((db) => db.select().from(nchatUsers));
    expect(users.map((u) => u.id)).toEqual([A.ownerId]);
    expect(await rowsAs(A, `SELECT id FROM ${quoteIdent(schemaOf(A.slug))}.nchat_users`)).toEqual([{ id: A.ownerId }]);
  });

  it("A selecting from B's schema gets permission denied (42501)", async () => {
    await setup();
    const f = await pgFailure(rowsAs(A, `SELECT * FROM ${quoteIdent(schemaOf(B.slug))}.nchat_users`));
    expect(f.code).toBe('42501');
    expect(f.message).toContain('permission denied');
  });

  it("A inserting into B's schema gets permission denied, and B's users are unchanged", async () => {
    await setup();
    const f = await pgFailure(rowsAs(A, `INSERT INTO ${quoteIdent(schemaOf(B.slug))}.nchat_users (email, display_name, role) VALUES ('intruder@evil.test', 'Intruder', 'owner')`));
    expect(f.code).toBe('42501');
    expect(f.message).toContain('permission denied');
    expect(await count(`SELECT count(*)::int AS n FROM ${quoteIdent(schemaOf(B.slug))}.nchat_users`)).toBe(1);
  });

  it('A cannot create or drop tables, even in its own schema (the platform owns the schema and its tables)', async () => {
    await setup();
    const create = await pgFailure(rowsAs(A, 'CREATE TABLE sneaky (id int)'));
    expect(create.code).toBe('42501');
    const drop = await pgFailure(rowsAs(A, `DROP TABLE ${quoteIdent(schemaOf(A.slug))}.nchat_users`));
    expect(drop.code).toBe('42501');
    expect(await count(`SELECT count(*)::int AS n FROM ${quoteIdent(schemaOf(A.slug))}.nchat_users`)).toBe(1);
  });

  it("A cannot read its schema's migration records (the platform's)", async () => {
    await setup();
    const f = await pgFailure(rowsAs(A, `SELECT * FROM ${quoteIdent(schemaOf(A.slug))}.schema_migrations`));
    expect(f.code).toBe('42501');
  });

  it('row-level security: A sees only its own tenant_usage, tenant_audit_logs and tenant_settings rows', async () => {
    await setup();
    // The platform sees both tenants' rows.
    expect(await count('SELECT count(*)::int AS n FROM public.tenant_usage WHERE tenant_id = ANY($1::uuid[])', [[A.id, B.id]])).toBe(2);
    expect(await count('SELECT count(DISTINCT tenant_id)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = ANY($1::uuid[])', [[A.id, B.id]])).toBe(2);

    const usage = await rowsAs<{ tenant_id: string; messages: number }>(A, 'SELECT tenant_id, messages FROM public.tenant_usage');
    expect(usage).toEqual([{ tenant_id: A.id, messages: 11 }]);
    const audit = await rowsAs<{ tenant_id: string }>(A, 'SELECT tenant_id FROM public.tenant_audit_logs');
    expect(audit.length).toBeGreaterThan(0);
    expect(new Set(audit.map((r) => r.tenant_id))).toEqual(new Set([A.id]));
    const settings = await rowsAs<{ tenant_id: string }>(A, 'SELECT tenant_id FROM public.tenant_settings');
    expect(settings).toEqual([{ tenant_id: A.id }]);

    expect(await rowsAs(A, `SELECT tenant_id FROM public.tenant_usage WHERE tenant_id = '${B.id}'`)).toEqual([]);
    expect(await rowsAs(A, `SELECT tenant_id FROM public.tenant_audit_logs WHERE tenant_id = '${B.id}'`)).toEqual([]);
    expect(await rowsAs(A, `SELECT tenant_id FROM public.tenant_settings WHERE tenant_id = '${B.id}'`)).toEqual([]);
  });

  it("the tenant role without app.tenant_id sees no per-tenant rows at all", async () => {
    await setup();
    const db = database();
    const results = await db.transaction([db.sql`SELECT set_config('role', ${schemaOf(A.slug)}, true)`, db.sql`SELECT tenant_id FROM public.tenant_audit_logs`, db.sql`SELECT tenant_id FROM public.tenant_usage`]);
    expect(results[1]).toEqual([]);
    expect(results[2]).toEqual([]);
  });

  it("A may append to its own audit log, but an audit row with B's tenant_id fails the RLS check (42501)", async () => {
    await setup();
    const insert = (tenantId: string) =>
      `INSERT INTO public.tenant_audit_logs (tenant_id, actor_type, action, resource_type) VALUES ('${tenantId}', 'system', 'test.isolation', 'test')`;
    await rowsAs(A, insert(A.id));
    const f = await pgFailure(rowsAs(A, insert(B.id)));
    expect(f.code).toBe('42501');
    expect(f.message).toMatch(/row-level security/);
    expect(await count(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1 AND action = 'test.isolation'`, [B.id])).toBe(0);
  });

  it("A cannot write usage rows for B (RLS WITH CHECK)", async () => {
    await setup();
    const f = await pgFailure(rowsAs(A, `INSERT INTO public.tenant_usage (tenant_id, period) VALUES ('${B.id}', '2030-02')`));
    expect(f.code).toBe('42501');
    // An update aimed at B's row matches nothing (invisible), and B's counter is unchanged.
    await rowsAs(A, `UPDATE public.tenant_usage SET messages = 999 WHERE tenant_id = '${B.id}'`);
    expect(await one('SELECT messages FROM public.tenant_usage WHERE tenant_id = $1 AND period = $2', [B.id, period])).toEqual({ messages: 22 });
  });

  it('A can neither rewrite nor delete audit rows, even its own (no UPDATE/DELETE grant: 42501)', async () => {
    await setup();
    const upd = await pgFailure(rowsAs(A, `UPDATE public.tenant_audit_logs SET action = 'tampered' WHERE tenant_id = '${A.id}'`));
    expect(upd.code).toBe('42501');
    expect(upd.message).toContain('permission denied');
    const del = await pgFailure(rowsAs(A, `DELETE FROM public.tenant_audit_logs WHERE tenant_id = '${A.id}'`));
    expect(del.code).toBe('42501');
    expect(await count(`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = $1 AND action = 'tenant.created'`, [A.id])).toBe(1);
  });

  it.each(['public.tenants', 'public.stripe_webhooks', 'public.platform_audit_logs'])('A cannot read %s (42501)', async (table) => {
    await setup();
    const f = await pgFailure(rowsAs(A, `SELECT * FROM ${table} LIMIT 1`));
    expect(f.code).toBe('42501');
    expect(f.message).toContain('permission denied');
  });

  it("A reads its own custom domains and none of B's, and cannot write any (row-level security; 42501)", async () => {
    await setup();
    const mine = `chat.${A.slug}.example.com`;
    const theirs = `chat.${B.slug}.example.com`;
    await insertActiveDomain(A.id, mine);
    await insertActiveDomain(B.id, theirs);
    expect(await rowsAs(A, 'SELECT hostname FROM public.tenant_domains')).toEqual([{ hostname: mine }]);
    expect(await rowsAs(A, `SELECT hostname FROM public.tenant_domains WHERE tenant_id = '${B.id}'`)).toEqual([]);
    const insert = await pgFailure(rowsAs(A, `INSERT INTO public.tenant_domains (tenant_id, hostname, status, verification) VALUES ('${A.id}', 'sneaky.example.com', 'active', '{}')`));
    expect(insert.code).toBe('42501');
    const update = await pgFailure(rowsAs(A, `UPDATE public.tenant_domains SET status = 'active' WHERE hostname = '${mine}'`));
    expect(update.code).toBe('42501');
    const del = await pgFailure(rowsAs(A, `DELETE FROM public.tenant_domains WHERE hostname = '${mine}'`));
    expect(del.code).toBe('42501');
    expect(await count(`SELECT count(*)::int AS n FROM public.tenant_domains WHERE tenant_id = $1`, [A.id])).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('passwords', () => {
  it('hashes with PBKDF2-SHA256, 100,000 iterations, and verifies the round trip', async () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(HASH_FORMAT);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
  });

  it('refuses a wrong password (including case and whitespace differences)', async () => {
    const hash = await hashPassword('securepass123');
    expect(await verifyPassword('securepass124', hash)).toBe(false);
    expect(await verifyPassword('SECUREPASS123', hash)).toBe(false);
    expect(await verifyPassword('securepass123 ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts: two hashes of one password differ, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same-password'), hashPassword('same-password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same-password', a)).toBe(true);
    expect(await verifyPassword('same-password', b)).toBe(true);
  });

  it('verifies hashes made with fewer iterations (the cost can be raised later)', async () => {
    const hash = await hashPassword('securepass123', 1_000);
    expect(hash.startsWith('pbkdf2-sha256$1000$')).toBe(true);
    expect(await verifyPassword('securepass123', hash)).toBe(true);
    expect(await verifyPassword('wrong', hash)).toBe(false);
  });

  it.each<[string, string | null | undefined]>([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['garbage', 'not-a-hash'],
    ['another scheme', 'bcrypt$100000$c2FsdA$aGFzaA'],
    ['missing parts', 'pbkdf2-sha256$100000$c2FsdA'],
    ['non-numeric iterations', 'pbkdf2-sha256$lots$c2FsdA$aGFzaA'],
    ['zero iterations', 'pbkdf2-sha256$0$c2FsdA$aGFzaA'],
    ['more iterations than allowed', 'pbkdf2-sha256$100001$c2FsdA$aGFzaA'],
    ['a truncated hash', 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
    ['salt and hash not base64url', 'pbkdf2-sha256$1000$!!!!$@@@@'],
  ])('a malformed stored hash (%s) verifies as false, never throws', async (_label, stored) => {
    await expect(verifyPassword('securepass123', stored)).resolves.toBe(false);
  });

  it('the default policy: at least 8 and at most 256 characters', () => {
    expect(DEFAULT_PASSWORD_POLICY).toEqual({ passwordMinLength: 8, passwordRequireMixed: false, passwordRequireDigit: false });
    expect(passwordProblems('securepass123')).toEqual([]);
    expect(passwordProblems('12345678')).toEqual([]);
    expect(passwordProblems('short')).toEqual(['must be at least 8 characters']);
    expect(passwordProblems('1234567')).toHaveLength(1);
    expect(passwordProblems('x'.repeat(256))).toEqual([]);
    expect(passwordProblems('x'.repeat(257))).toEqual(['must be at most 256 characters']);
  });

  it('a stricter policy: longer, mixed case and a digit', () => {
    const strict = { passwordMinLength: 12, passwordRequireMixed: true, passwordRequireDigit: true };
    expect(passwordProblems('Abcdefghijk1', strict)).toEqual([]);
    expect(passwordProblems('securepass123', strict)).toEqual(['must mix upper and lower case letters']);
    expect(passwordProblems('SECUREPASS123', strict)).toEqual(['must mix upper and lower case letters']);
    expect(passwordProblems('SecurePassword', strict)).toEqual(['must contain a digit']);
    expect(passwordProblems('Ab1', strict)).toEqual(['must be at least 12 characters']);
    expect(passwordProblems('short', strict)).toEqual(['must be at least 12 characters', 'must mix upper and lower case letters', 'must contain a digit']);
    expect(passwordProblems('Abcdefghijk1', { ...strict, passwordRequireDigit: false })).toEqual([]);
  });
});
