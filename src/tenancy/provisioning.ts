import { eq } from 'drizzle-orm';
import { auditInsert, type RequestContext } from '../audit/audit';
import { hashPassword } from '../auth/password';
import { DEFAULT_PASSWORD_POLICY, passwordProblems } from '../auth/password-policy';
import { asNeonQuery, type Database } from '../db/client';
import { sqlState } from '../db/errors';
import type { Migration } from '../db/migrations/migration';
import { tenants, type PlanId, type TenantRow, type TenantStatus } from '../db/schema';
import { quoteIdent } from '../db/identifiers';
import { DomainError } from '../domain/errors';
import { grantStatements, pendingMigrationStatements, roleStatements, trackingTableStatements } from './schema-ops';
import { tenantSchemaName } from './slug';
import type { CreateTenantInput } from './validation';

export const TRIAL_DAYS = 14;
/** The channel a new workspace starts with. */
export const GENERAL_CHANNEL = 'general';

export interface ProvisionedTenant {
  tenant: TenantRow;
  owner: { id: string; email: string; displayName: string; role: 'owner' };
}

/** What sign-up may ask for: free, or a 14-day Pro trial. Paid plans start through billing. */
export function signupPlan(input: Pick<CreateTenantInput, 'plan' | 'trial'>, now: number): { status: TenantStatus; plan: PlanId; trialEndsAt: Date | null } {
  if (input.trial) {
    if (input.plan === 'enterprise' || input.plan === 'custom') {
      throw new DomainError('validation_failed', 'Trials are of the Pro plan.', { issues: [{ path: 'plan', message: 'a trial is a Pro trial; use "free" or "pro"' }] });
    }
    return { status: 'trial', plan: 'pro', trialEndsAt: new Date(now + TRIAL_DAYS * 86_400_000) };
  }
  if (input.plan !== 'free') {
    throw new DomainError('payment_required', `The ${input.plan} plan starts through billing: sign up on the free plan (or with "trial": true) and upgrade from the workspace.`, {
      plan: input.plan,
    });
  }
  return { status: 'active', plan: 'free', trialEndsAt: null };
}

/**
 * Creates a workspace in ONE batch transaction (one HTTP round trip): the tenant row, its
 * NOLOGIN role and grants, its schema with every tenant migration, the owner user, default
 * settings and the audit entry. Postgres runs it all or none of it: a failure anywhere leaves
 * no row, no schema and no role behind. Two concurrent sign-ups for one slug meet at the unique
 * index on tenants.slug; one commits, the other gets 409 slug_taken.
 */
export async function provisionTenant(
  database: Database,
  input: CreateTenantInput,
  migrations: Migration[],
  context: RequestContext,
  now = Date.now(),
): Promise<ProvisionedTenant> {
  const problems = passwordProblems(input.ownerPassword, DEFAULT_PASSWORD_POLICY);
  if (problems.length) {
    throw new DomainError('validation_failed', 'The request is not valid.', { issues: problems.map((message) => ({ path: 'ownerPassword', message })) });
  }
  const { status, plan, trialEndsAt } = signupPlan(input, now);
  const id = crypto.randomUUID();
  const ownerId = crypto.randomUUID();
  const schema = tenantSchemaName(input.slug);
  const role = schema;
  const passwordHash = await hashPassword(input.ownerPassword);
  const { sql, db } = database;

  const statements = [
    asNeonQuery(
      database,
      db.insert(tenants).values({
        id,
        name: input.name,
        slug: input.slug,
        status,
        ownerEmail: input.ownerEmail,
        ownerName: input.ownerName,
        ownerUserId: ownerId,
        schemaName: schema,
        roleName: role,
        schemaVersion: migrations.at(-1)?.version ?? null,
        billingPlan: plan,
        trialEndsAt,
        cancelAtPeriodEnd: false,
        limits: {},
        features: {},
        branding: {},
        metadata: { signup: { ip: context.ip } },
        version: 1,
        createdAt: new Date(now),
        updatedAt: new Date(now),
      }),
    ),
    ...roleStatements(database, role),
    sql.query(`CREATE SCHEMA ${quoteIdent(schema)}`),
    ...trackingTableStatements(database, schema, role),
    ...grantStatements(database, schema, role, false),
    ...pendingMigrationStatements(database, schema, migrations),
    sql.query(
      `INSERT INTO ${quoteIdent(schema)}.nchat_users (id, email, display_name, password_hash, role) VALUES ($1, $2, $3, $4, 'owner')`,
      [ownerId, input.ownerEmail, input.ownerName, passwordHash],
    ),
    // #general: where the team meets; everyone who accepts an invitation joins it.
    sql.query(
      `WITH ch AS (INSERT INTO ${quoteIdent(schema)}.nchat_channels (kind, name, topic, created_by, auto_join) VALUES ('public', $1, $2, $3, true) RETURNING id)
       INSERT INTO ${quoteIdent(schema)}.nchat_channel_members (channel_id, user_id, role) SELECT id, $3, 'owner' FROM ch`,
      [GENERAL_CHANNEL, 'Company-wide announcements and work-based matters', ownerId],
    ),
    sql`INSERT INTO public.tenant_settings (tenant_id) VALUES (${id})`,
    asNeonQuery(
      database,
      auditInsert(db, {
        tenantId: id,
        actor: { type: 'user', id: ownerId },
        action: 'tenant.created',
        resourceType: 'tenant',
        resourceId: id,
        newValues: { name: input.name, slug: input.slug, plan, status, trialEndsAt: trialEndsAt?.toISOString() ?? null, ownerEmail: input.ownerEmail },
        context,
      }),
    ),
  ];

  try {
    await database.transaction(statements);
  } catch (err) {
    const code = sqlState(err);
    // 23505: the slug (or the derived schema/role name) is taken by another tenant;
    // 42710/42P06: a role or schema of that name exists outside our records.
    if (code === '23505' || code === '42710' || code === '42P06') {
      throw new DomainError('slug_taken', `The address "${input.slug}" is already taken. Choose another.`, { slug: input.slug });
    }
    throw err;
  }
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new Error(`tenant ${id} missing right after its creation`);
  return { tenant: row, owner: { id: ownerId, email: input.ownerEmail, displayName: input.ownerName, role: 'owner' } };
}
