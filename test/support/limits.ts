import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { usagePeriod } from '../../src/attachments/usage';
import { adminAuth, api, bearer, database, PLATFORM, schemaOf, tenantUrl, type ApiResult, type CreatedTenant } from './tenants';

/**
 * Helpers for the plan-limit boundary tests (test/plan-limit-boundaries.test.ts). Requests go
 * through the Worker as a client sends them; the database and R2 are read directly only to
 * check what a request left behind (or, for storage totals, to seed the running total).
 */

export const GB = 1024 ** 3;
export const MiB = 1024 ** 2;

type T = Pick<CreatedTenant, 'id' | 'slug' | 'token'>;

/** PUT /api/tenants/:id as a platform admin (plan, limits, trialEndsAt...); fails the test unless 200. */
export async function adminPut(t: Pick<CreatedTenant, 'id'>, json: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await api(`${PLATFORM}/api/tenants/${t.id}`, { method: 'PUT', headers: adminAuth, json });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Runs `make(i)` for i in [from, from + n) in parallel batches of `batch`; the results in order. */
export async function inBatches<R>(n: number, make: (i: number) => Promise<R>, batch = 10, from = 0): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, k) => make(from + start + k)))));
  }
  return out;
}

export function invite(t: T, email: string, token = t.token): Promise<ApiResult<Record<string, any>>> {
  return api(tenantUrl(t.slug, '/api/invitations'), { method: 'POST', headers: bearer(token), json: { email, role: 'member' } });
}

/** `n` invitations (every one must be 201); returns their ids and accept tokens. */
export async function inviteMany(t: T, n: number, prefix = 'seat', batch = 10): Promise<{ id: string; token: string }[]> {
  const results = await inBatches(n, (i) => invite(t, `${prefix}${i}@${t.slug}.test`), batch);
  for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
  return results.map((r) => ({ id: r.body.invitation.id as string, token: String(r.body.acceptUrl).split('/invite/')[1]! }));
}

export function acceptInvitation(t: Pick<CreatedTenant, 'slug'>, token: string, displayName = 'New Person'): Promise<ApiResult<Record<string, any>>> {
  return api(tenantUrl(t.slug, `/api/invitations/${token}/accept`), { method: 'POST', json: { displayName, password: 'a-good-password-1' } });
}

export function createChannel(t: T, name: string, token = t.token): Promise<ApiResult<Record<string, any>>> {
  return api(tenantUrl(t.slug, '/api/channels'), { method: 'POST', headers: bearer(token), json: { name } });
}

/** `n` channels named `${prefix}${i}` (every one must be 201). */
export async function createChannels(t: T, n: number, prefix = 'ch', batch = 10): Promise<string[]> {
  const results = await inBatches(n, (i) => createChannel(t, `${prefix}${i}`), batch);
  for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
  return results.map((r) => r.body.channel.id as string);
}

/** What the tenant's tables hold now, counted the way the limits count. */
export async function counts(t: Pick<CreatedTenant, 'id' | 'slug'>): Promise<{ activeUsers: number; users: number; openInvitations: number; channels: number; attachments: number }> {
  const s = `"${schemaOf(t)}"`;
  const [row] = await database().sql.query(
    `SELECT (SELECT count(*) FROM ${s}.nchat_users WHERE status = 'active')::int AS active_users,
            (SELECT count(*) FROM ${s}.nchat_users)::int AS users,
            (SELECT count(*) FROM public.tenant_invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())::int AS open_invitations,
            (SELECT count(*) FROM ${s}.nchat_channels WHERE kind <> 'direct' AND archived_at IS NULL AND NOT auto_join)::int AS channels,
            (SELECT count(*) FROM ${s}.nchat_attachments WHERE deleted_at IS NULL)::int AS attachments`,
    [t.id],
  );
  const r = row as Record<string, number>;
  return { activeUsers: r.active_users!, users: r.users!, openInvitations: r.open_invitations!, channels: r.channels!, attachments: r.attachments! };
}

/** Sets the tenant's running storage total for the current month (seeds state; no code is mocked). */
export async function seedStorage(t: Pick<CreatedTenant, 'id'>, bytes: number, files = 1): Promise<void> {
  await database().sql.query(
    `INSERT INTO public.tenant_usage (tenant_id, period, storage_bytes, files) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, period) DO UPDATE SET storage_bytes = excluded.storage_bytes, files = excluded.files`,
    [t.id, usagePeriod(), bytes, files],
  );
}

export async function storageUsed(t: Pick<CreatedTenant, 'id'>): Promise<{ storageBytes: number; files: number }> {
  const rows = (await database().sql.query('SELECT storage_bytes, files FROM public.tenant_usage WHERE tenant_id = $1 AND period = $2', [t.id, usagePeriod()])) as Record<string, unknown>[];
  return { storageBytes: Number(rows[0]?.storage_bytes ?? 0), files: Number(rows[0]?.files ?? 0) };
}

export async function r2Keys(t: Pick<CreatedTenant, 'id'>): Promise<string[]> {
  return (await env.FILES.list({ prefix: `${t.id}/` })).objects.map((o) => o.key);
}

/** A raw-body upload of `bytes` with its Content-Length. */
export function upload(t: T, channelId: string, bytes: Uint8Array, filename = 'f.bin'): Promise<ApiResult<Record<string, any>>> {
  return api(tenantUrl(t.slug, `/api/channels/${channelId}/attachments?filename=${encodeURIComponent(filename)}`), {
    method: 'POST',
    headers: { ...bearer(t.token), 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    body: bytes,
  });
}

/** GET /api/tenant, signed in with `token` or anonymously. */
export async function tenantView(t: Pick<CreatedTenant, 'slug'>, token?: string): Promise<Record<string, any>> {
  const res = await api(tenantUrl(t.slug, '/api/tenant'), token ? { headers: bearer(token) } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.tenant;
}
