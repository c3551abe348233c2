import { signSession } from '../../src/auth/session';
import { nchatUsers, type UserRole } from '../../src/db/schema';
import { TenantDb } from '../../src/tenancy/tenant-db';
import { TEST_SESSION_SECRET } from './constants';
import { GENERAL_CHANNEL } from '../../src/tenancy/provisioning';
import { openSocket, type TestSocket } from './sockets';
import { api, bearer, createTenant, database, schemaOf, tenantUrl, type ApiResult, type CreateOptions, type CreatedTenant } from './tenants';

/** Helpers for the chat tests (channels, messages, realtime). Everything goes through the Worker. */

export interface ChatUser {
  id: string;
  token: string;
  email: string;
  displayName: string;
}

/** A workspace seen through one signed-in user: `get/post/patch/del` on the tenant's host. */
export class Client {
  constructor(
    readonly t: Pick<CreatedTenant, 'slug'>,
    readonly token: string,
  ) {}

  url(path: string): string {
    return tenantUrl(this.t.slug, path);
  }

  get<T = Record<string, any>>(path: string): Promise<ApiResult<T>> {
    return api<T>(this.url(path), { headers: bearer(this.token) });
  }

  post<T = Record<string, any>>(path: string, json?: unknown): Promise<ApiResult<T>> {
    return api<T>(this.url(path), { method: 'POST', headers: bearer(this.token), ...(json === undefined ? {} : { json }) });
  }

  patch<T = Record<string, any>>(path: string, json: unknown): Promise<ApiResult<T>> {
    return api<T>(this.url(path), { method: 'PATCH', headers: bearer(this.token), json });
  }

  del<T = Record<string, any>>(path: string): Promise<ApiResult<T>> {
    return api<T>(this.url(path), { method: 'DELETE', headers: bearer(this.token) });
  }

  /** Creates a channel and returns it (fails the test on anything but 201). */
  async channel(name: string, kind: 'public' | 'private' = 'public', extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await this.post('/api/channels', { name, kind, ...extra });
    if (res.status !== 201) throw new Error(`create channel ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.channel;
  }

  /** Posts a message and returns it (fails the test on anything but 201). */
  async say(channelId: string, text: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await this.post(`/api/channels/${channelId}/messages`, { text, ...extra });
    if (res.status !== 201) throw new Error(`post to ${channelId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.message;
  }

  async join(channelId: string): Promise<void> {
    const res = await this.post(`/api/channels/${channelId}/join`);
    if (res.status !== 200) throw new Error(`join ${channelId}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Opens the channel's WebSocket with this user's bearer token. */
  async socket(channelId: string, query = ''): Promise<TestSocket> {
    const res = await openSocket(this.url(`/api/channels/${channelId}/ws${query}`), bearer(this.token));
    if (!res.socket) throw new Error(`ws ${channelId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.socket;
  }
}

export interface ChatWorkspace {
  t: CreatedTenant;
  schema: string;
  owner: Client & { id: string };
  /** A new active user with `role` (and optionally a chosen display name / e-mail local part). */
  user(role: UserRole, opts?: { displayName?: string; localPart?: string }): Promise<Client & ChatUser>;
}

/**
 * A fresh workspace (never shared between tests) with its owner signed in. Free plan unless
 * `options` say otherwise (`{ trial: true }` for the Pro features: search, audit log, branding).
 */
export async function chatWorkspace(options: CreateOptions = {}): Promise<ChatWorkspace> {
  const t = await createTenant(options);
  const schema = schemaOf(t);
  const owner = Object.assign(new Client(t, t.token), { id: t.ownerId });
  return {
    t,
    schema,
    owner,
    async user(role, opts = {}) {
      const id = crypto.randomUUID();
      const local = opts.localPart ?? `${role}-${id.slice(0, 8)}`;
      const email = `${local}@${t.slug}.test`;
      const displayName = opts.displayName ?? `${role} ${id.slice(0, 4)}`;
      const tdb = TenantDb.forSystemWork(database(), { id: t.id, schemaName: schema, roleName: schema }, 'tooling');
      await tdb.run((db) => db.insert(nchatUsers).values({ id, email, displayName, role, status: 'active', sessionVersion: 1 }));
      const token = await signSession(TEST_SESSION_SECRET, { sub: id, tid: t.id, role, sv: 1 });
      return Object.assign(new Client(t, token), { id, token, email, displayName });
    },
  };
}

/**
 * The channels of a list other than the #general every new workspace starts with (and its owner
 * is in): for tests about channels they create themselves.
 */
export function ownChannels<T extends { name: string | null }>(channels: T[]): T[] {
  return channels.filter((c) => c.name !== GENERAL_CHANNEL);
}

/** Deactivates a user the way the users route will: status and session version in one statement. */
export async function deactivateInDatabase(schema: string, userId: string): Promise<void> {
  await database().sql.query(`UPDATE "${schema}".nchat_users SET status = 'deactivated', session_version = session_version + 1 WHERE id = $1`, [userId]);
}

/**
 * Waits until Postgres has the channel's messages up to `seq`: a message sent over a socket is
 * durable in its room's log when it is broadcast, and in Postgres (REST, search) moments later.
 */
export async function untilInPostgres(schema: string, channelId: string, seq: number, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const rows = (await database().sql.query(`SELECT coalesce(max(seq), 0)::int AS s FROM "${schema}".nchat_messages WHERE channel_id = $1`, [channelId])) as { s: number }[];
    if (Number(rows[0]!.s) >= seq) return;
    if (Date.now() - started > timeoutMs) throw new Error(`channel ${channelId}: Postgres has messages up to ${rows[0]!.s}, not ${seq}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects every `message.created` frame of a socket from now on (frames already received excluded). */
export function createdSeqs(socket: TestSocket, from = 0): number[] {
  return socket.frames.slice(from).filter((f) => f.type === 'message.created').map((f) => Number(f.message.seq));
}

/** Waits until `socket` has received `message.created` frames for every seq in `seqs`. */
export async function waitForSeqs(socket: TestSocket, seqs: number[], timeoutMs = 10_000): Promise<void> {
  const want = new Set(seqs);
  const started = Date.now();
  for (;;) {
    const seen = new Set(createdSeqs(socket));
    if ([...want].every((s) => seen.has(s))) return;
    if (Date.now() - started > timeoutMs) throw new Error(`missing seqs ${[...want].filter((s) => !seen.has(s)).join(',')}; got ${[...seen].join(',')}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function range(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

export { openSocket, type TestSocket };
