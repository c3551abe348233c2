/**
 * npm run tenants:adopt -- --schema nchat --slug default --name "Default Organization" \
 *   --owner-email admin@example.com [--owner-name Owner] [--plan enterprise]
 *
 * Registers an existing single-tenant schema as a tenant (no data is copied). Then serve it with
 * ENABLE_MULTI_TENANCY=false and DEFAULT_TENANT_SLUG=<slug>, or at <slug>.BASE_DOMAIN.
 */
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { adoptSchema, AdoptionError } from '../src/tenancy/adopt';
import { adoptSchema as adoptInput } from '../src/tenancy/validation';
import { openDatabaseTarget } from './lib/database-target';
import { loadMigrations } from './lib/migration-files';

const { values } = parseArgs({
  options: {
    schema: { type: 'string' },
    slug: { type: 'string' },
    name: { type: 'string' },
    'owner-email': { type: 'string' },
    'owner-name': { type: 'string', default: 'Owner' },
    plan: { type: 'string', default: 'enterprise' },
  },
});

let input;
try {
  input = adoptInput.parse({
    schema: values.schema,
    slug: values.slug,
    name: values.name ?? 'Default Organization',
    ownerEmail: values['owner-email'],
    ownerName: values['owner-name'],
    plan: values.plan,
  });
} catch (err) {
  if (err instanceof ZodError) {
    console.error('tenants:adopt: ' + err.issues.map((i) => `--${String(i.path[0]).replace('ownerEmail', 'owner-email').replace('ownerName', 'owner-name')} ${i.message}`).join('; '));
    console.error('usage: npm run tenants:adopt -- --schema nchat --slug default --owner-email admin@example.com [--name "..."] [--plan enterprise]');
    process.exit(2);
  }
  throw err;
}

const target = await openDatabaseTarget();
console.log(`nchat tenants:adopt: ${target.description}`);
try {
  const row = await adoptSchema(target.database(), input, await loadMigrations('tenant'), { ip: null, userAgent: 'tenants:adopt', requestId: null });
  console.log(`adopted schema "${row.schemaName}" as tenant "${row.slug}" (${row.id}), role ${row.roleName}, plan ${row.billingPlan}`);
  console.log(row.ownerUserId ? `owner user: ${row.ownerUserId}` : 'no owner user found in nchat_users (role owner or the owner email); set one before signing in');
  console.log(`serve it with ENABLE_MULTI_TENANCY=false and DEFAULT_TENANT_SLUG=${row.slug}, or at ${row.slug}.<BASE_DOMAIN>`);
} catch (err) {
  console.error(`tenants:adopt failed: ${(err as Error).message}`);
  process.exitCode = err instanceof AdoptionError ? 2 : 1;
} finally {
  await target.close();
}
