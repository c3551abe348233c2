/**
 * What both route-table suites share: sending a probe through the Worker entry (which strips
 * X-Tenant-* headers, as in production), judging an answer, a database fingerprint of one
 * workspace, Stripe signatures over arbitrary bytes, and the failure list each route reports.
 */
import { env, exports } from 'cloudflare:workers';
import { TEST_BASE_DOMAIN, TEST_STRIPE_WEBHOOK_SECRET } from '../support/constants';
import { database, uniqueIp } from '../support/tenants';
import type { Objs } from './world';
import type { RouteEntry } from './table';

export const PLATFORM_HOST = TEST_BASE_DOMAIN;

export interface Probe {
  /** `METHOD path` of the table entry. */
  route: string;
  /** The case's name. */
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Answer {
  status: number;
  text: string;
  json: unknown;
  contentType: string;
  /** Response headers, as one string (for leak checks: Content-Disposition, Location...). */
  headerText: string;
  /** A WebSocket was handed out (status 101); it has been closed again. */
  upgraded: boolean;
}

export function excerpt(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * Sends the probe to the Worker's own fetch handler. `null` when the runtime will not even build
 * such a request (a header value it refuses): that case cannot reach the Worker at all.
 */
export async function send(p: Probe): Promise<Answer | null> {
  let request: Request;
  try {
    const headers = new Headers(p.headers);
    if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', uniqueIp());
    request = new Request(p.url, { method: p.method, headers, ...(p.body !== undefined && p.method !== 'GET' ? { body: p.body } : {}) });
  } catch {
    return null;
  }
  let res: Response;
  try {
    res = await exports.default.fetch(request);
  } catch (err) {
    // The Worker threw past its own error handler: as bad as a 500.
    return { status: 599, text: `the Worker threw: ${err instanceof Error ? err.message : String(err)}`, json: null, contentType: '', headerText: '', upgraded: false };
  }
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, 'route-table probe');
    return { status: res.status, text: '', json: null, contentType: '', headerText, upgraded: true };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') ?? '', headerText, upgraded: false };
}

/** The problem with a 4xx answer's body, if it is not `{"error":{"code","message",...}}` JSON. */
export function errorShapeProblem(a: Answer): string | null {
  if (!/^application\/json\b/i.test(a.contentType)) return `a ${a.status} that is not JSON (content-type "${a.contentType}"): ${excerpt(a.text, 120)}`;
  const err = (a.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!err || typeof err.code !== 'string' || typeof err.message !== 'string') return `a ${a.status} without {error:{code,message}}: ${excerpt(a.text, 120)}`;
  return null;
}

export function codeOf(a: Answer): string {
  const code = (a.json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : excerpt(a.text, 80) || '(empty body)';
}

/** What a probe itself said (URL, headers, body), so echoes of the caller's own input are not counted as leaks. */
export function probeText(p: Probe): string {
  const body = p.body === undefined ? '' : typeof p.body === 'string' ? p.body : new TextDecoder().decode(p.body);
  let url = p.url;
  try {
    url = `${p.url} ${decodeURIComponent(p.url)}`;
  } catch {
    /* not decodable: the raw URL only */
  }
  return `${url}\n${JSON.stringify(p.headers)}\n${body}`;
}

/** B's private markers and ids found in the answer (body or headers) that the probe did not carry itself. */
export function leaksOf(a: Answer, p: Probe, secret: { marker: string; ids: string[] }): string[] {
  const seen = `${a.text}\n${a.headerText}`;
  const asked = probeText(p);
  const found: string[] = [];
  if (seen.toLowerCase().includes(secret.marker)) found.push(`marker ${secret.marker} (B's private data)`);
  for (const id of secret.ids) if (seen.includes(id) && !asked.includes(id)) found.push(`B's ${id}`);
  return found;
}

/** One line per failed case: route, case, status, code or body excerpt, and what is wrong. */
export class Report {
  readonly failures: string[] = [];
  cases = 0;
  fiveXx = 0;
  skipped = 0;

  fail(p: Pick<Probe, 'route' | 'kind'>, a: Answer | null, problem: string): void {
    const got = a ? `${a.upgraded ? '101 (WebSocket opened)' : a.status} ${a.upgraded ? '' : codeOf(a)}`.trim() : 'not sent';
    this.failures.push(`${p.route} [${p.kind}] → ${got}: ${problem}`);
  }

  /** Counts an answer; a 5xx is always a failure, with the body excerpt, and so is the database safety net's invalid_input. */
  count(p: Probe, a: Answer): boolean {
    this.cases++;
    if (a.status >= 500) {
      this.fiveXx++;
      this.fail(p, a, `server error: ${excerpt(a.text)}`);
      return false;
    }
    // The database's safety net answered (a data exception turned into 400 invalid_input): the
    // input got past the edge, which is the gap to close.
    if (codeOf(a) === 'invalid_input') {
      this.fail(p, a, 'the input reached the database before it was refused (validate it at the edge)');
      return false;
    }
    return true;
  }
}

// ---- fingerprints ----

/**
 * Columns left out of the fingerprint, each for a reason:
 *  - nchat_users.last_seen_at: set by every successful sign-in, and the bad-input suite signs
 *    its actor in again after a case that ended its session (a change the suite makes, not the
 *    case); any sign-in a case itself wrongly achieves is a 2xx, reported as such.
 */
const EXCLUDED_COLUMNS: Record<string, string[]> = { nchat_users: ['last_seen_at'] };

/**
 * Public tables with a workspace's rows. Left out: public.tenant_usage, the metering table: the
 * TenantGate's alarm writes it asynchronously from request counters (every request is counted,
 * refused ones too) and from measurements of the workspace's own tables, which are fingerprinted
 * here themselves; its running file totals follow nchat_attachments and the R2 objects, which are
 * too. public.instance and public.schema_migrations hold no workspace data.
 */
const PUBLIC_TABLES: { name: string; where: string }[] = [
  { name: 'tenants', where: 'id = $1' },
  { name: 'tenant_settings', where: 'tenant_id = $1' },
  { name: 'tenant_invitations', where: 'tenant_id = $1' },
  { name: 'tenant_audit_logs', where: 'tenant_id = $1' },
  { name: 'tenant_domains', where: 'tenant_id = $1' },
  { name: 'platform_audit_logs', where: 'tenant_id = $1' },
  // Events about the workspace, and events whose id starts with the suite's own prefix ($2).
  { name: 'stripe_webhooks', where: 'tenant_id = $1 OR event_id LIKE $2' },
];

const tablesBySchema = new Map<string, string[]>();

async function tenantTables(schema: string): Promise<string[]> {
  const known = tablesBySchema.get(schema);
  if (known) return known;
  const rows = (await database().sql.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, [schema])) as { table_name: string }[];
  const names = rows.map((r) => r.table_name);
  if (names.length === 0) throw new Error(`no tables in schema ${schema}`);
  tablesBySchema.set(schema, names);
  return names;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function digestOf(from: string, excluded: string[] = []): string {
  const row = excluded.length ? `(to_jsonb(x) - ARRAY[${excluded.map((c) => `'${c}'`).join(', ')}]::text[])::text` : 'to_jsonb(x)::text';
  return `SELECT count(*)::text || ':' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '-') FROM (SELECT ${row} AS r FROM ${from}) s`;
}

export type Fingerprint = Record<string, string>;

/** Row count and hash of every table of the workspace's schema, of its rows in public tables, and its R2 objects. */
export async function fingerprint(o: Pick<Objs, 't' | 'schema'>, stripeEventPrefix = 'evt_none_'): Promise<Fingerprint> {
  const parts: string[] = [];
  for (const table of await tenantTables(o.schema)) {
    parts.push(`SELECT '${o.schema}.${table}' AS k, (${digestOf(`${quoteIdent(o.schema)}.${quoteIdent(table)} x`, EXCLUDED_COLUMNS[table])}) AS v`);
  }
  for (const t of PUBLIC_TABLES) parts.push(`SELECT 'public.${t.name}' AS k, (${digestOf(`public.${t.name} x WHERE ${t.where}`)}) AS v`);
  const rows = (await database().sql.query(parts.join('\nUNION ALL\n'), [o.t.id, `${stripeEventPrefix}%`])) as { k: string; v: string }[];
  const out: Fingerprint = Object.fromEntries(rows.map((r) => [r.k, r.v]));
  const listed = await env.FILES.list({ prefix: `${o.t.id}/` });
  out['r2'] = listed.objects.map((obj) => `${obj.key}:${obj.size}`).sort().join(',') || '-';
  return out;
}

/** The tables whose fingerprint changed. */
export function changed(before: Fingerprint, after: Fingerprint): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

// ---- Stripe ----

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A `Stripe-Signature` header for `payload` (t=..., v1=HMAC-SHA256 of "t.payload"), as Stripe computes it. */
export async function stripeSignature(payload: string, options: { secret?: string; timestamp?: number } = {}): Promise<string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(options.secret ?? TEST_STRIPE_WEBHOOK_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `t=${timestamp},v1=${hex(await crypto.subtle.sign('HMAC', key, enc.encode(`${timestamp}.${payload}`)))}`;
}

// ---- building requests ----

/** The path with each `:name` replaced by `values[name]` (already percent-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${path}`);
    return v;
  });
}

/** Each path parameter of the entry, for the objects of `o`, percent-encoded. */
export function pathValues(e: RouteEntry, o: Objs): Record<string, string> {
  return Object.fromEntries(Object.entries(e.params ?? {}).map(([name, p]) => [name, encodeURIComponent(p.of(o))]));
}

/** The query parameters sent with every request (required ones and those marked `send`), percent-encoded. */
export function baseQuery(e: RouteEntry, o: Objs): [string, string][] {
  return Object.entries(e.query ?? {})
    .filter(([, q]) => q.required || q.send)
    .map(([name, q]) => [name, encodeURIComponent(typeof q.valid === 'function' ? q.valid(o) : q.valid)]);
}

export function queryString(pairs: [string, string][]): string {
  return pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : '';
}

/** Where the entry is served for workspace `o`: its host, or the platform host. */
export function siteHost(e: RouteEntry, o: Objs): string {
  return e.site === 'platform' ? PLATFORM_HOST : o.host;
}

/** A small upload (raw body), as the attachments route takes it. */
export function uploadBody(text = 'route probe file'): { body: Uint8Array; headers: Record<string, string> } {
  const body = new TextEncoder().encode(text);
  return { body, headers: { 'content-type': 'text/plain', 'content-length': String(body.byteLength) } };
}

/** Base64url of a UTF-8 string (cursors are base64url JSON). */
export function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
