/**
 * The single-tenant → multi-tenant path (issue 3, point 9) and tenant migrations reaching
 * existing tenants (point 10).
 */
import { createExecutionContext } from 'cloudflare:test';
import { sql as dsql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareMigrations } from '../src/db/migrations/migration';
import { tenantMigrations } from '../src/db/migrations/bundled';
import { adoptSchema, AdoptionError } from '../src/tenancy/adopt';
import { dropStatements } from '../src/tenancy/schema-ops';
import { TenantDb } from '../src/tenancy/tenant-db';
import { migrateTenantSchemas } from '../src/tenancy/tenant-migrations';
import worker from '../src/index';
import { envWith } from './support/gateway';
import { createTenant, database, uniqueSlug } from './support/tenants';

const CONTEXT = { ip: null, userAgent: 'test', requestId: null };
const cleanup: { schema: string; role: string }[] = [];

afterAll(async () => {
  const db = database();
  for (const c of cleanup) await db.transaction(dropStatements(db, c.schema, c.role)).catch(() => undefined);
});

/** A schema as a pre-multi-tenant installation left it: users, with fewer columns than ours. */
async function legacySchema(): Promise<string> {
  const schema = `legacy_${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const { sql, transaction } = database();
  await transaction([
    sql.query(`CREATE SCHEMA ${schema}`),
    sql.query(`CREATE TABLE ${schema}.nchat_users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL, display_name text NOT NULL, password_hash text, role text NOT NULL DEFAULT 'member', created_at timestamptz NOT NULL DEFAULT now())`),
    sql.query(`INSERT INTO ${schema}.nchat_users (email, display_name, role, created_at) VALUES ('boss@legacy.test', 'Boss', 'owner', now() - interval '2 days'), ('dev@legacy.test', 'Dev', 'member', now())`),
    sql.query(`CREATE TABLE ${schema}.legacy_notes (id serial PRIMARY KEY, body text)`),
    sql.query(`INSERT INTO ${schema}.legacy_notes (body) VALUES ('kept')`),
  ]);
  return schema;
}

describe('adopting an existing single-tenant schema', () => {
  it('registers the schema as a tenant without copying data, and serves it in single-tenant mode', async () => {
    const schema = await legacySchema();
    const slug = uniqueSlug('legacy');
    cleanup.push({ schema, role: `tenant_${slug.replace(/-/g, '_')}` });
    const row = await adoptSchema(database(), { schema, slug, name: 'Legacy Org', ownerEmail: 'boss@legacy.test', ownerName: 'Boss', plan: 'enterprise' }, await tenantMigrations(), CONTEXT);

    expect(row).toMatchObject({ slug, schemaName: schema, roleName: `tenant_${slug.replace(/-/g, '_')}`, status: 'active', billingPlan: 'enterprise', schemaVersion: (await tenantMigrations()).at(-1)!.version });
    expect(row.ownerUserId).toMatch(/^[0-9a-f-]{36}$/);

    // The adopted role reads the existing rows (no copy), including tables the platform never made.
    const tdb = TenantDb.forSystemWork(database(), row, 'tooling');
    const users = await tdb.run((db) => db.execute<{ email: string; role: string; status: string; session_version: number }>(dsql`SELECT email, role, status, session_version FROM nchat_users ORDER BY email`));
    expect(users.rows).toEqual([
      { email: 'boss@legacy.test', role: 'owner', status: 'active', session_version: 1 },
      { email: 'dev@legacy.test', role: 'member', status: 'active', session_version: 1 },
    ]);
    const notes = await tdb.run((db) => db.execute<{ body: string }>(dsql`SELECT body FROM legacy_notes`));
    expect(notes.rows).toEqual([{ body: 'kept' }]);
    const [owner] = (await database().sql.query(`SELECT email FROM ${schema}.nchat_users WHERE id = $1`, [row.ownerUserId])) as { email: string }[];
    expect(owner!.email).toBe('boss@legacy.test');

    // ENABLE_MULTI_TENANCY=false: every host is this tenant.
    const env = envWith({ ENABLE_MULTI_TENANCY: 'false', DEFAULT_TENANT_SLUG: slug });
    for (const host of ['http://chat.legacy.example/api/tenant', 'http://localhost:8787/api/tenant']) {
      const res = await worker.fetch(new Request(host), env, createExecutionContext());
      expect(res.status).toBe(200);
      const body = (await res.json()) as { tenant: { slug: string; name: string; plan: string } };
      expect(body.tenant).toMatchObject({ slug, name: 'Legacy Org', plan: 'enterprise' });
    }
    const health = await worker.fetch(new Request('http://anything.example/api/health'), env, createExecutionContext());
    expect(health.status).toBe(200);
    expect(((await health.json()) as { tenant: { status: string } }).tenant.status).toBe('ok');

    // The audit trail records it; the tracking table is the platform's, not the tenant's.
    const audit = await database().sql`SELECT action, actor_type FROM public.tenant_audit_logs WHERE tenant_id = ${row.id}`;
    expect(audit).toEqual([{ action: 'tenant.adopted', actor_type: 'system' }]);
    const denied = await tdb.run((db) => db.execute(dsql`SELECT * FROM schema_migrations`)).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: '42501' });
  });

  it('refuses a schema that does not exist, one already adopted, and a users table without an email', async () => {
    const migrations = await tenantMigrations();
    const base = { name: 'X', ownerEmail: 'x@x.test', ownerName: 'X', plan: 'enterprise' as const };
    await expect(adoptSchema(database(), { ...base, schema: 'no_such_schema_here', slug: uniqueSlug() }, migrations, CONTEXT)).rejects.toThrow(AdoptionError);

    const t = await createTenant();
    await expect(adoptSchema(database(), { ...base, schema: `tenant_${t.slug.replace(/-/g, '_')}`, slug: uniqueSlug() }, migrations, CONTEXT)).rejects.toThrow(/already belongs/);

    const schema = `legacy_${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
    await database().transaction([database().sql.query(`CREATE SCHEMA ${schema}`), database().sql.query(`CREATE TABLE ${schema}.nchat_users (id uuid PRIMARY KEY, name text)`)]);
    const slug = uniqueSlug();
    cleanup.push({ schema, role: `tenant_${slug.replace(/-/g, '_')}` });
    await expect(adoptSchema(database(), { ...base, schema, slug }, migrations, CONTEXT)).rejects.toThrow(/lacks required column\(s\): email/);
    const rows = await database().sql`SELECT 1 FROM public.tenants WHERE slug = ${slug}`;
    expect(rows).toEqual([]);
  });
});

describe('tenant migrations after creation', () => {
  it('brings existing tenants to a new migration, and resumes after a failure', async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const bundled = await tenantMigrations();
    const bSchema = `tenant_${b.slug.replace(/-/g, '_')}`;
    const added = (sql: string) =>
      prepareMigrations([...bundled, { version: '9001', name: 'notes', sql }]);

    // The new migration fails on B only: A is migrated, B is reported and left as it was.
    const failing = await added(
      `CREATE TABLE nchat_test_notes (id serial PRIMARY KEY, body text NOT NULL)\n--> statement-breakpoint\nDO $$ BEGIN IF current_schema() = '${bSchema}' THEN RAISE EXCEPTION 'boom in ${bSchema}'; END IF; END $$`,
    );
    const first = await migrateTenantSchemas(database, failing, { only: [a.slug, b.slug] });
    expect(first).toMatchObject({ total: 2, done: 2, migrationsApplied: 1, failed: 1 });
    expect(first.failures).toEqual([{ slug: b.slug, error: expect.stringContaining('boom') }]);
    const versions = await database().sql`SELECT slug, schema_version FROM public.tenants WHERE slug IN (${a.slug}, ${b.slug}) ORDER BY slug = ${a.slug} DESC`;
    expect(versions).toEqual([
      { slug: a.slug, schema_version: '9001' },
      { slug: b.slug, schema_version: bundled.at(-1)!.version },
    ]);
    const bTable = await database().sql`SELECT 1 FROM information_schema.tables WHERE table_schema = ${bSchema} AND table_name = 'nchat_test_notes'`;
    expect(bTable).toEqual([]); // rolled back with the failed migration

    // Fixed and run again: only B is behind, and it catches up.
    const fixed = await added('CREATE TABLE nchat_test_notes (id serial PRIMARY KEY, body text NOT NULL)');
    const second = await migrateTenantSchemas(database, fixed, { only: [a.slug, b.slug] });
    expect(second).toMatchObject({ total: 1, migrationsApplied: 1, failed: 0 });

    // The tenant's own role can use the new table (default privileges), through TenantDb.
    const row = { id: b.id, schemaName: bSchema, roleName: bSchema };
    await TenantDb.forSystemWork(database(), row, 'tooling').run((db) => db.execute(dsql`INSERT INTO nchat_test_notes (body) VALUES ('hello')`));
    const notes = await TenantDb.forSystemWork(database(), row, 'tooling').run((db) => db.execute<{ body: string }>(dsql`SELECT body FROM nchat_test_notes`));
    expect(notes.rows).toEqual([{ body: 'hello' }]);

    // Nothing left to do: a third run touches no tenant.
    expect(await migrateTenantSchemas(database, fixed, { only: [a.slug, b.slug] })).toMatchObject({ total: 0, migrationsApplied: 0 });
  });
});
