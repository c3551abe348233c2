/**
 * Workspace slugs (DESIGN.md "Tenancy" → Slugs): the format, the reserved list, the schema/role
 * name derived from a slug (Postgres' 63-byte identifier limit), and sign-up refusing bad or
 * reserved slugs without creating anything.
 */
import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tenants } from '../src/db/schema';
import { MAX_IDENTIFIER_BYTES, RESERVED_SLUGS, SLUG_MAX, SLUG_MIN, slugFormatSchema, slugSchema, tenantSchemaName } from '../src/tenancy/slug';
import { api, database, PLATFORM, uniqueIp, uniqueSlug } from './support/tenants';

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: { path: string; message: string }[] }; requestId?: string };
}

const MAX = 'a'.repeat(32);
const TOO_LONG = 'a'.repeat(33);

const GOOD: [input: string, parsed: string][] = [
  ['abc', 'abc'],
  ['acme', 'acme'],
  ['a1-b2', 'a1-b2'],
  ['123', '123'],
  ['0-0', '0-0'],
  ['acme-corp-2024', 'acme-corp-2024'],
  ['a-b-c-d', 'a-b-c-d'],
  [MAX, MAX],
  [`${'a'.repeat(15)}-${'b'.repeat(16)}`, `${'a'.repeat(15)}-${'b'.repeat(16)}`],
  // Lowercased and trimmed before the rules apply.
  ['ACME', 'acme'],
  ['Acme-Corp', 'acme-corp'],
  ['  acme  ', 'acme'],
];

const BAD: [input: unknown, why: string][] = [
  ['', 'empty'],
  ['   ', 'only spaces'],
  ['a', 'one character'],
  ['ab', 'too short'],
  [TOO_LONG, '33 characters'],
  ['-acme', 'leading hyphen'],
  ['acme-', 'trailing hyphen'],
  ['-', 'only a hyphen'],
  ['---', 'only hyphens'],
  ['ac--me', 'double hyphen'],
  ['ac_me', 'underscore'],
  ['ac.me', 'dot'],
  ['ac me', 'inner space'],
  ['acme!', 'punctuation'],
  ['acme/x', 'slash'],
  ['café', 'accented letter'],
  ['ａｃｍｅ', 'full-width letters'],
  ['αβγ', 'greek letters'],
  ['acme\u200b', 'zero-width space'],
  ['açme-corp', 'cedilla'],
  ['xn--acme', 'punycode-like double hyphen'],
  [123, 'a number'],
  [null, 'null'],
  [undefined, 'undefined'],
];

describe('slugFormatSchema and slugSchema: the shape of a slug', () => {
  it('has the documented bounds', () => {
    expect([SLUG_MIN, SLUG_MAX]).toEqual([3, 32]);
  });

  it.each(GOOD)('%j is a good slug (→ %j)', (input, parsed) => {
    expect(slugFormatSchema.parse(input)).toBe(parsed);
    expect(slugSchema.parse(input)).toBe(parsed);
  });

  it.each(BAD)('%j is refused (%s)', (input) => {
    expect(slugFormatSchema.safeParse(input).success).toBe(false);
    expect(slugSchema.safeParse(input).success).toBe(false);
  });

  it('trims surrounding whitespace, newlines included, before checking', () => {
    expect(slugSchema.parse('acme\n')).toBe('acme');
    expect(slugSchema.parse('\tacme ')).toBe('acme');
  });

  it('explains why a slug is refused', () => {
    const short = slugFormatSchema.safeParse('ab');
    expect(short.success).toBe(false);
    expect(short.error!.issues[0]!.message).toMatch(/at least 3/);
    const long = slugFormatSchema.safeParse(TOO_LONG);
    expect(long.error!.issues[0]!.message).toMatch(/at most 32/);
    const shape = slugFormatSchema.safeParse('ac--me');
    expect(shape.error!.issues[0]!.message).toMatch(/hyphen/);
    const reserved = slugSchema.safeParse('admin');
    expect(reserved.error!.issues.map((i) => i.message)).toContain('is reserved');
  });
});

describe('reserved slugs', () => {
  const reserved = [...RESERVED_SLUGS];

  it('the one list holds the names DESIGN.md names', () => {
    for (const name of ['www', 'app', 'api', 'admin', 'auth', 'billing', 'mail', 'status', 'docs', 'static', 'assets']) {
      expect(RESERVED_SLUGS.has(name), name).toBe(true);
    }
  });

  it.each(reserved)('%s is refused by slugSchema (sign-up)', (name) => {
    const res = slugSchema.safeParse(name);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.message)).toContain('is reserved');
  });

  // Operators may register a reserved name (e.g. adopting the legacy "default" workspace).
  it.each(reserved.filter((n) => n.length >= SLUG_MIN))('%s is a well-formed slug for operators (slugFormatSchema)', (name) => {
    expect(slugFormatSchema.parse(name)).toBe(name);
  });

  it('every reserved name has the slug alphabet; the only ones too short to be a slug at all are listed here', () => {
    for (const name of reserved) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    // "ws" is on the list for clarity, but a 2-character name is refused by the format anyway.
    expect(reserved.filter((n) => n.length < SLUG_MIN)).toEqual(['ws']);
    expect(slugFormatSchema.safeParse('ws').success).toBe(false);
  });

  it.each(['ADMIN', ' www ', 'Api'])('%j is still reserved after lowercasing and trimming', (name) => {
    expect(slugSchema.safeParse(name).success).toBe(false);
  });

  it('names that merely contain a reserved word are allowed', () => {
    for (const name of ['admins', 'my-admin', 'api-team', 'www2', 'appx']) expect(slugSchema.parse(name)).toBe(name);
  });
});

describe('tenantSchemaName', () => {
  it.each([
    ['abc', 'tenant_abc'],
    ['acme', 'tenant_acme'],
    ['a1-b2', 'tenant_a1_b2'],
    ['acme-corp-eu', 'tenant_acme_corp_eu'],
    ['ACME-Corp', 'tenant_acme_corp'],
    // Reserved names are well-formed; the operator path (adoption) needs them.
    ['default', 'tenant_default'],
  ])('%s → %s', (slug, schema) => {
    expect(tenantSchemaName(slug)).toBe(schema);
  });

  it(`stays within Postgres' ${MAX_IDENTIFIER_BYTES}-byte identifier limit for the longest slug`, () => {
    expect(MAX_IDENTIFIER_BYTES).toBe(63);
    for (const slug of [MAX, `${'a'.repeat(15)}-${'b'.repeat(16)}`, Array.from({ length: 16 }, () => 'a').join('-')]) {
      expect(slug.length).toBeLessThanOrEqual(32);
      const name = tenantSchemaName(slug);
      expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^tenant_[a-z0-9_]+$/);
    }
    expect(tenantSchemaName(MAX)).toHaveLength('tenant_'.length + 32);
  });

  it('is a safe, unquoted-style identifier (letters, digits, underscores only)', () => {
    for (const [slug] of GOOD) expect(tenantSchemaName(slug)).toMatch(/^tenant_[a-z0-9_]{3,32}$/);
  });

  it.each(['', 'ab', TOO_LONG, '-acme', 'acme-', 'ac--me', 'ac_me', 'ac.me', 'ac me', 'café', 'x"; DROP SCHEMA public; --', 'tenant_x'])(
    'throws for an invalid slug %j',
    (slug) => {
      expect(() => tenantSchemaName(slug)).toThrow(/invalid slug/);
    },
  );

  it('distinct slugs that differ only by hyphen placement map to distinct names (no collision by construction)', () => {
    // a-bc and ab-c → tenant_a_bc and tenant_ab_c: hyphen → underscore is one-to-one since
    // slugs contain no underscores.
    expect(tenantSchemaName('a-bc')).not.toBe(tenantSchemaName('ab-c'));
  });
});

describe('POST /api/tenants/create refuses bad and reserved slugs', () => {
  function signUp(slug: unknown) {
    return api<ErrorBody>(`${PLATFORM}/api/tenants/create`, {
      method: 'POST',
      headers: { 'cf-connecting-ip': uniqueIp() },
      json: { name: 'Slug Test', slug, ownerEmail: `owner-${crypto.randomUUID().slice(0, 8)}@slug.test`, ownerName: 'Owner', ownerPassword: 'securepass123', plan: 'free', trial: false },
    });
  }

  async function tenantRowsWithSlug(...slugs: string[]) {
    return database().db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(inArray(tenants.slug, slugs));
  }

  it.each(['admin', 'www', 'api', 'billing', 'default', 'ADMIN'])('reserved %j → 400 validation_failed on slug, no tenant row', async (slug) => {
    const res = await signUp(slug);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details?.issues).toEqual(expect.arrayContaining([{ path: 'slug', message: 'is reserved' }]));
    expect(await tenantRowsWithSlug(slug, slug.toLowerCase())).toEqual([]);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', `${uniqueSlug('long')}${'z'.repeat(40)}`.slice(0, 33)],
    ['leading hyphen', `-${uniqueSlug('lead')}`],
    ['trailing hyphen', `${uniqueSlug('trail')}-`],
    ['double hyphen', uniqueSlug('dbl').replace('-', '--')],
    ['underscore', uniqueSlug('under').replace('-', '_')],
    ['dot', uniqueSlug('dot').replace('-', '.')],
    ['space', uniqueSlug('space').replace('-', ' ')],
    ['unicode', `café-${uniqueSlug('uni')}`],
    ['empty', ''],
  ])('bad slug (%s: %j) → 400 validation_failed on slug, no tenant row', async (_why, slug) => {
    const res = await signUp(slug);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const issues = res.body.error.details?.issues ?? [];
    expect(issues.map((i) => i.path)).toContain('slug');
    expect(issues.every((i) => i.path === 'slug')).toBe(true);
    if (slug) expect(await tenantRowsWithSlug(slug, slug.toLowerCase().trim())).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['a number', 12345],
    ['null', null],
  ])('a slug that is %s → 400 validation_failed on slug', async (_why, slug) => {
    const res = await signUp(slug);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details?.issues?.map((i) => i.path)).toContain('slug');
  });

  it('an upper-case slug is stored lowercased, and the workspace answers on that subdomain', async () => {
    const slug = uniqueSlug('upper');
    const res = await signUp(`  ${slug.toUpperCase()} `);
    expect(res.status).toBe(201);
    const body = res.body as unknown as { tenant: { slug: string; id: string }; url: string };
    expect(body.tenant.slug).toBe(slug);
    expect(body.url).toBe(`http://${slug}.nchat.test`);
    expect(await tenantRowsWithSlug(slug)).toEqual([{ id: body.tenant.id, slug }]);
    expect(await tenantRowsWithSlug(slug.toUpperCase())).toEqual([]);
  });

  it('a 32-character slug is accepted and its schema is created', async () => {
    const slug = `s${crypto.randomUUID().replace(/-/g, '')}`.slice(0, 32);
    expect(slug).toHaveLength(32);
    const res = await signUp(slug);
    expect(res.status).toBe(201);
    const rows = await database().db.select({ schemaName: tenants.schemaName, roleName: tenants.roleName }).from(tenants).where(inArray(tenants.slug, [slug]));
    expect(rows).toEqual([{ schemaName: `tenant_${slug}`, roleName: `tenant_${slug}` }]);
    const schemas = await database().sql`SELECT nspname FROM pg_namespace WHERE nspname = ${`tenant_${slug}`}`;
    expect(schemas).toHaveLength(1);
  });
});
