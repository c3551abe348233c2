import { eq } from 'drizzle-orm';
import { auditInsert, type RequestContext } from '../audit/audit';
import { asNeonQuery, type Database } from '../db/client';
import { quoteIdent } from '../db/identifiers';
import type { Migration } from '../db/migrations/migration';
import { trackingTable } from '../db/migrations/runner';
import { tenants, type TenantRow } from '../db/schema';
import { grantStatements, pendingMigrationStatements, roleStatements, trackingTableStatements } from './schema-ops';
import { tenantSchemaName } from './slug';
import type { AdoptInput } from './validation';

/**
 * The seed's migration path from single-tenant to multi-tenant: registers an existing schema
 * (for example `nchat`, holding a single-tenant installation's users) as a tenant, without
 * copying data. In one transaction: the tenant row pointing at that schema, a NOLOGIN role with
 * rights on the schema's existing and future tables, the tenant migrations it lacks (written to
 * keep existing tables and rows), default settings and an audit entry.
 */
export class AdoptionError extends Error {
  override name = 'AdoptionError';
}

export async function adoptSchema(database: Database, input: AdoptInput, migrations: Migration[], context: RequestContext): Promise<TenantRow> {
  const { sql, db } = database;
  const schema = input.schema;
  if (schema === 'public' || schema.startsWith('pg_') || schema === 'information_schema') throw new AdoptionError(`schema "${schema}" cannot be adopted`);
  const role = tenantSchemaName(input.slug);

  const [exists] = await sql`SELECT 1 AS ok FROM information_schema.schemata WHERE schema_name = ${schema}`;
  if (!exists) throw new AdoptionError(`schema "${schema}" does not exist`);
  const [taken] = await sql`SELECT slug FROM public.tenants WHERE schema_name = ${schema} OR slug = ${input.slug} LIMIT 1`;
  if (taken) throw new AdoptionError(`schema "${schema}" or slug "${input.slug}" already belongs to tenant "${String(taken.slug)}"`);
  const columns = (await sql`SELECT column_name FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = 'nchat_users'`).map((r) => String(r.column_name));
  if (columns.length > 0) {
    const missing = ['id', 'email'].filter((c) => !columns.includes(c));
    if (missing.length) throw new AdoptionError(`${schema}.nchat_users lacks required column(s): ${missing.join(', ')}`);
  }
  const hasTracking = (await sql`SELECT 1 FROM information_schema.tables WHERE table_schema = ${schema} AND table_name = 'schema_migrations'`).length > 0;
  const applied = hasTracking ? (await sql.query(`SELECT version FROM ${trackingTable(schema)}`)).map((r) => String(r.version)) : [];

  const id = crypto.randomUUID();
  const now = new Date();
  const S = quoteIdent(schema);
  await database.transaction([
    asNeonQuery(
      database,
      db.insert(tenants).values({
        id,
        name: input.name,
        slug: input.slug,
        status: 'active',
        ownerEmail: input.ownerEmail,
        ownerName: input.ownerName,
        schemaName: schema,
        roleName: role,
        schemaVersion: migrations.at(-1)?.version ?? null,
        billingPlan: input.plan,
        cancelAtPeriodEnd: false,
        limits: {},
        features: {},
        branding: {},
        metadata: { adoptedFrom: schema, adoptedAt: now.toISOString() },
        version: 1,
        createdAt: now,
        updatedAt: now,
      }),
    ),
    ...roleStatements(database, role),
    ...trackingTableStatements(database, schema, role),
    ...grantStatements(database, schema, role, true),
    ...pendingMigrationStatements(database, schema, migrations, applied),
    // GRANT ... ON ALL TABLES included the tracking table; it stays the platform's.
    sql.query(`REVOKE ALL ON ${trackingTable(schema)} FROM ${quoteIdent(role)}`),
    // The owner is the existing user with the owner role, or the one with the owner's email.
    sql.query(
      `UPDATE public.tenants SET owner_user_id = (SELECT u.id FROM ${S}.nchat_users u WHERE u.role = 'owner' OR lower(u.email) = lower($2) ORDER BY (u.role = 'owner') DESC, u.created_at LIMIT 1) WHERE id = $1`,
      [id, input.ownerEmail],
    ),
    sql`INSERT INTO public.tenant_settings (tenant_id) VALUES (${id})`,
    asNeonQuery(
      database,
      auditInsert(db, {
        tenantId: id,
        actor: { type: 'system' },
        action: 'tenant.adopted',
        resourceType: 'tenant',
        resourceId: id,
        newValues: { schema, slug: input.slug, name: input.name, plan: input.plan, migrationsApplied: migrations.filter((m) => !applied.includes(m.version)).map((m) => m.version) },
        context,
      }),
    ),
  ]);
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new Error(`adopted tenant ${id} missing`);
  return row;
}
