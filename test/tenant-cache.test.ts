/**
 * The host cache never lets an older snapshot replace a newer one, whatever order concurrent
 * writers and cold reads finish in (src/tenancy/directory.ts).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { findTenant } from '../src/tenancy/service';
import { clearLocalTenantCache, kvKey, supersedes, TenantDirectory } from '../src/tenancy/directory';
import type { TenantSnapshot } from '../src/tenancy/snapshot';
import { createTenant, database } from './support/tenants';
import { TEST_BASE_DOMAIN } from './support/constants';

function directory() {
  return new TenantDirectory(env.TENANT_CACHE, { BASE_DOMAIN: TEST_BASE_DOMAIN }, database);
}

describe('tenant snapshot cache ordering', () => {
  it('keeps the newer snapshot when an older publish lands last', async () => {
    const t = await createTenant();
    const row = (await findTenant(database(), t.id))!;
    const newer = { ...row, name: 'Newer', version: row.version + 1 };
    const older = { ...row, name: 'Older', version: row.version };
    await directory().publish(newer, []);
    await directory().publish(older, []);

    const host = `${t.slug}.${TEST_BASE_DOMAIN}`;
    expect((await directory().resolve({ kind: 'slug', slug: t.slug, hostname: host }))?.name).toBe('Newer');
    clearLocalTenantCache();
    const kv = await env.TENANT_CACHE.get<{ tenant: { name: string; version: number } }>(kvKey(host), 'json');
    expect(kv?.tenant).toMatchObject({ name: 'Newer', version: row.version + 1 });
    expect((await directory().resolve({ kind: 'slug', slug: t.slug, hostname: host }))?.name).toBe('Newer');
  });

  it.each([
    ['nothing cached yet', { id: 'a', version: 1 }, null, true],
    ['a newer version of the same workspace', { id: 'a', version: 3 }, { id: 'a', version: 2 }, true],
    ['the same version again', { id: 'a', version: 2 }, { id: 'a', version: 2 }, true],
    ['an older version of the same workspace', { id: 'a', version: 1 }, { id: 'a', version: 2 }, false],
    ['a workspace where "unknown" was cached', { id: 'a', version: 1 }, 'unknown', true],
    ['a stale "unknown" over a workspace', null, { id: 'a', version: 1 }, false],
    ['"unknown" again', null, 'unknown', true],
  ] as const)('a cache fill over %s', (_label, next, existing, expected) => {
    const snap = (v: { id: string; version: number } | null) => (v ? ({ ...v } as unknown as TenantSnapshot) : null);
    const existingEntry = existing === null ? null : { v: 1 as const, tenant: existing === 'unknown' ? null : snap(existing) };
    expect(supersedes(snap(next), existingEntry)).toBe(expected);
  });
});
