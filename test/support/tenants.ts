import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { signSession } from '../../src/auth/session';
import { openDatabase } from '../../src/db/client';
import { nchatUsers, type UserRole } from '../../src/db/schema';
import { TenantDb } from '../../src/tenancy/tenant-db';
import { TEST_BASE_DOMAIN, TEST_PLATFORM_ADMIN_TOKEN, TEST_SESSION_SECRET } from './constants';

/** Helpers for tests that need workspaces. Everything goes through the Worker as a client would. */

export const PLATFORM = `http://${TEST_BASE_DOMAIN}`;
export const adminAuth = { authorization: `Bearer ${TEST_PLATFORM_ADMIN_TOKEN}` };

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

/** A fresh client address per call, so sign-up rate limits of one test do not touch another. */
export function uniqueIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export function tenantUrl(slug: string, path = '/'): string {
  return `http://${slug}.${TEST_BASE_DOMAIN}${path}`;
}

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A request through the Worker's own fetch handler; the JSON body parsed. */
export async function api<T = Record<string, any>>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<ApiResult<T>> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await exports.default.fetch(new Request(url, { ...init, headers, body }));
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export interface CreatedTenant {
  id: string;
  slug: string;
  token: string;
  ownerId: string;
  tenant: Record<string, any>;
  url: string;
}

export interface CreateOptions {
  name?: string;
  slug?: string;
  ownerEmail?: string;
  ownerName?: string;
  ownerPassword?: string;
  plan?: string;
  trial?: boolean;
}

/** Signs up a workspace (POST /api/tenants/create on the platform host) and returns it. */
export async function createTenant(options: CreateOptions = {}): Promise<CreatedTenant> {
  const slug = options.slug ?? uniqueSlug();
  const res = await api(`${PLATFORM}/api/tenants/create`, {
    method: 'POST',
    headers: { 'cf-connecting-ip': uniqueIp() },
    json: {
      name: options.name ?? `Workspace ${slug}`,
      slug,
      ownerEmail: options.ownerEmail ?? `owner@${slug}.test`,
      ownerName: options.ownerName ?? 'Owner',
      ownerPassword: options.ownerPassword ?? 'securepass123',
      plan: options.plan ?? 'free',
      trial: options.trial ?? false,
    },
  });
  if (res.status !== 201) throw new Error(`createTenant(${slug}) failed: ${res.status} ${JSON.stringify(res.body)}`);
  const b = res.body as { tenant: Record<string, any>; owner: { id: string }; token: string; url: string };
  return { id: b.tenant.id, slug, token: b.token, ownerId: b.owner.id, tenant: b.tenant, url: b.url };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The Worker's database handle, as the Worker opens it (for direct checks in tests). */
export function database() {
  return openDatabase({ DATABASE_URL: env.DATABASE_URL, NEON_FETCH_ENDPOINT: (env as { NEON_FETCH_ENDPOINT?: string }).NEON_FETCH_ENDPOINT, DB_QUERY_TIMEOUT_MS: 20_000 });
}

/**
 * Adds a user with `role` to a workspace (until invitations exist, directly through TenantDb
 * as the tenant's own role) and returns a valid session token for them.
 */
export async function addUser(t: Pick<CreatedTenant, 'id' | 'slug'>, role: UserRole, schemaName = schemaOf(t)): Promise<{ id: string; token: string }> {
  const id = crypto.randomUUID();
  const tdb = TenantDb.forSystemWork(database(), { id: t.id, schemaName, roleName: schemaName }, 'tooling');
  await tdb.run((db) => db.insert(nchatUsers).values({ id, email: `${role}-${id.slice(0, 8)}@${t.slug}.test`, displayName: `${role} user`, role, status: 'active', sessionVersion: 1 }));
  const token = await signSession(TEST_SESSION_SECRET, { sub: id, tid: t.id, role, sv: 1 });
  return { id, token };
}

/** The tenant's schema (and role) name, as provisioning derives it from the slug. */
export function schemaOf(t: string | Pick<CreatedTenant, 'slug'>): string {
  return `tenant_${(typeof t === 'string' ? t : t.slug).replace(/-/g, '_')}`;
}

/** A JSON call on the workspace's own host, with a session token if given. */
export function call(t: Pick<CreatedTenant, 'slug'>, method: string, path: string, token?: string, json?: unknown) {
  return api(tenantUrl(t.slug, path), { method, headers: token ? bearer(token) : {}, ...(json === undefined ? {} : { json }) });
}

export function expectError(res: ApiResult<any>, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

/** No response ever carries a password or token hash, or a field that could hold one. */
export function expectNoSecrets(res: ApiResult<any>): void {
  const text = JSON.stringify(res.body ?? null);
  expect(text).not.toMatch(/pbkdf2/i);
  expect(text).not.toMatch(/password_?hash/i);
  expect(text).not.toMatch(/token_?hash/i);
}
