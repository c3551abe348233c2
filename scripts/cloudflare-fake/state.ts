/**
 * The fake's memory: every custom hostname in every zone, the API calls it received, and the
 * failures planned for the next ones. Each method is one thing Cloudflare does (create, read,
 * list, edit, delete a custom hostname) or one thing that happens outside the API (the customer's
 * DNS records verify, the CNAME is removed, Cloudflare blocks the name), kept apart from HTTP so
 * the API routes and the control routes share one behaviour. Objects are handed out as copies:
 * a response never sees a later change.
 *
 * Custom hostnames are unique across Cloudflare, not per zone: one held by another zone (seeded
 * through the control API) makes a create answer 1406 too, while listing this zone finds nothing.
 */
import {
  badContainFilter,
  badJson,
  badMetadata,
  badSslAttribute,
  badValidationMethod,
  badValidationType,
  duplicateHostname,
  hostnameNotFound,
  hostnameNotModifiable,
  idWithOtherFilters,
  methodAndTypeRequired,
  type ResultInfo,
} from './envelope';
import { checkHostname, normaliseHostname } from './hostnames';
import {
  applyState,
  buildHostname,
  validationRecordsFor,
  type CustomHostname,
  type HostnameStateName,
  type HostnameStatus,
  type SslRequest,
  type SslStatus,
  type StoredHostname,
} from './objects';

/** One API call as the fake received it. The token itself is never kept. */
export interface RecordedRequest {
  id: string;
  method: string;
  /** The full path, e.g. `/client/v4/zones/<zone>/custom_hostnames`. */
  path: string;
  /** Query parameters as sent (`hostname.exact`, `page`, ...). */
  query: Record<string, string>;
  /** The JSON body, parsed (null when there was none or it did not parse). */
  body: unknown;
  zoneId: string | null;
  /** The hostname the call is about: the body's (create), the filter's (list), or the one the path's id names. */
  hostname: string | null;
  /** The custom hostname id in the path, or the one a create made. */
  hostnameId: string | null;
  /** Whether an Authorization header came, its scheme, and whether the fake accepted it; never the token. */
  auth: { present: boolean; scheme: string | null; accepted: boolean };
  /** The status answered; null when a planned failure hung or closed the connection. */
  status: number | null;
  /** The planned failure that answered, if any. */
  failure: { rule: string; mode: FailureMode } | null;
  /** ISO time the request arrived. */
  time: string;
}

export type FailureMode = 'status' | 'hang' | 'close';

/** A planned failure: the next `remaining` API calls that match answer `status`, hang, or lose their connection. */
export interface FailureRule {
  id: string;
  method: string | null;
  /** A path prefix, with or without `/client/v4`; `*` stands for any characters within a segment. */
  path: string | null;
  /** Only calls about this hostname (create's body, list's filter, or the path's id). */
  hostname: string | null;
  /** Only calls whose path names this custom hostname id. */
  hostnameId: string | null;
  mode: FailureMode;
  status: number;
  remaining: number;
  code: number | null;
  message: string | null;
  /** Sent as Retry-After (seconds); the SDK waits that long before its retry. */
  retryAfter: number | null;
  /** mode 'hang': close the connection after this many ms (default: never answer; the client times out). */
  hangMs: number | null;
}

export interface HostnamePatch {
  status?: HostnameStatus;
  ssl_status?: SslStatus;
  verification_errors?: string[];
  validation_errors?: string[];
  custom_metadata?: Record<string, string>;
}

export interface SeedHostname {
  hostname: string;
  zone_id?: string;
  custom_metadata?: Record<string, string>;
  ssl?: { method?: 'http' | 'txt' | 'email'; type?: 'dv' } | null;
  state?: Exclude<HostnameStateName, 'deleted'>;
}

/** A custom hostname as the control API shows it: the API object and its zone. */
export type FakeHostname = CustomHostname & { zone_id: string };

const DEFAULT_PER_PAGE = 20;
const HOSTNAME_FILTERS = ['hostname', 'hostname.exact', 'hostname.contain', 'hostname.startsWith'];

export class CloudflareFakeState {
  /** Every custom hostname, any zone, by id. */
  readonly hostnames = new Map<string, StoredHostname>();
  readonly requests: RecordedRequest[] = [];
  readonly failures: FailureRule[] = [];
  /** id → hostname, kept after a delete, so the request log can still say what a call was about. */
  private readonly names = new Map<string, string>();
  private seq = 0;
  private ruleSeq = 0;

  /**
   * `zoneId`: the only zone the API serves (the token's); null serves any well-formed zone id.
   * `refuseReservedHostnames` (default true, as Cloudflare): names under test, example, invalid,
   * localhost (1409) and example.com/.net/.org (1411) are refused.
   */
  constructor(
    readonly zoneId: string | null,
    readonly options: { refuseReservedHostnames?: boolean } = {},
  ) {}

  private check(hostname: unknown, withCertificate: boolean): string {
    return checkHostname(hostname, withCertificate, this.options.refuseReservedHostnames ?? true);
  }

  zoneExists(zoneId: string): boolean {
    return this.zoneId === null || zoneId === this.zoneId;
  }

  hostnameOfId(id: string): string | undefined {
    return this.names.get(id.toLowerCase());
  }

  // ---- the API (/client/v4/zones/:zone/custom_hostnames) ----

  create(zoneId: string, body: unknown): CustomHostname {
    const params = readBody(body);
    const ssl = readSsl(params.ssl, undefined);
    const hostname = this.check(params.hostname, ssl !== undefined);
    const stored = this.insert(zoneId, {
      hostname,
      ssl,
      customMetadata: readMetadata(params.custom_metadata),
      customOriginServer: typeof params.custom_origin_server === 'string' ? params.custom_origin_server : undefined,
      customOriginSni: typeof params.custom_origin_sni === 'string' ? params.custom_origin_sni : undefined,
    });
    return copy(stored.object);
  }

  get(zoneId: string, id: string): CustomHostname {
    return copy(this.inZone(zoneId, id).object);
  }

  list(zoneId: string, query: URLSearchParams): { result: CustomHostname[]; info: ResultInfo } {
    const id = query.get('id');
    if (id && HOSTNAME_FILTERS.some((f) => query.has(f))) throw idWithOtherFilters();
    const contain = query.get('hostname.contain');
    if (contain !== null && (contain.length >= 256 || /[~`!@#$%^&*()=+{}[\]\\|;:'",<>/?\s]/.test(contain))) throw badContainFilter();
    const exact = query.get('hostname.exact') ?? query.get('hostname');
    const startsWith = query.get('hostname.startsWith');
    const status = query.get('hostname_status');
    const sslStatus = query.get('ssl_status');
    const hasSsl = query.get('ssl');
    const wildcard = query.get('wildcard');
    const originServer = query.get('custom_origin_server');
    const ca = query.get('certificate_authority');

    let rows = [...this.hostnames.values()].filter((s) => s.zoneId === zoneId);
    rows = rows.filter(({ object: h }) => {
      if (id && h.id !== id.toLowerCase()) return false;
      if (exact !== null && h.hostname !== normaliseHostname(exact)) return false;
      if (contain !== null && !h.hostname.includes(contain.toLowerCase())) return false;
      if (startsWith !== null && !h.hostname.startsWith(startsWith.toLowerCase())) return false;
      if (status && h.status !== status) return false;
      if (sslStatus && h.ssl?.status !== sslStatus) return false;
      if (hasSsl === '1' && !h.ssl) return false;
      if (hasSsl === '0' && h.ssl) return false;
      if (wildcard !== null && (wildcard === 'true') !== Boolean(h.ssl?.wildcard)) return false;
      if (originServer && h.custom_origin_server !== originServer) return false;
      if (ca && h.ssl?.certificate_authority !== ca) return false;
      return true;
    });
    const order = query.get('order');
    const sign = query.get('direction') === 'desc' ? -1 : 1;
    rows.sort((a, b) => {
      if (order === 'ssl' || order === 'ssl_status') {
        const byStatus = (a.object.ssl?.status ?? '').localeCompare(b.object.ssl?.status ?? '');
        if (byStatus !== 0) return sign * byStatus;
      }
      return sign * (a.seq - b.seq);
    });

    // Cloudflare: per_page 5 to 50, default 20; a page past the end is empty.
    const perPage = clamp(integer(query.get('per_page')) ?? DEFAULT_PER_PAGE, 5, 50);
    const page = Math.max(1, integer(query.get('page')) ?? 1);
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    return {
      result: slice.map((s) => copy(s.object)),
      info: { page, per_page: perPage, count: slice.length, total_count: rows.length, total_pages: Math.max(1, Math.ceil(rows.length / perPage)) },
    };
  }

  /** PATCH: metadata, origin and SSL settings; the hostname itself cannot change (1439). */
  edit(zoneId: string, id: string, body: unknown): CustomHostname {
    const stored = this.inZone(zoneId, id);
    const params = readBody(body);
    if (params.hostname !== undefined && normaliseHostname(String(params.hostname)) !== stored.object.hostname) throw hostnameNotModifiable();
    const h = stored.object;
    const ssl = readSsl(params.ssl, h.ssl);
    const metadata = readMetadata(params.custom_metadata);
    if (metadata !== undefined) h.custom_metadata = metadata;
    if (typeof params.custom_origin_server === 'string') h.custom_origin_server = params.custom_origin_server;
    if (typeof params.custom_origin_sni === 'string') h.custom_origin_sni = params.custom_origin_sni;
    if (ssl) {
      if (!h.ssl) {
        // A certificate asked for now: as on create.
        h.ssl = buildHostname({ hostname: h.hostname, ssl }, 0, zoneId).object.ssl;
        h.ssl!.validation_records = validationRecordsFor(h.hostname, ssl.method, stored.dcvToken);
      } else {
        const methodChanged = ssl.method !== h.ssl.method;
        Object.assign(h.ssl, { method: ssl.method, type: ssl.type });
        if (ssl.bundle_method) h.ssl.bundle_method = ssl.bundle_method;
        if (ssl.certificate_authority) h.ssl.certificate_authority = ssl.certificate_authority;
        if (ssl.settings) h.ssl.settings = { ...ssl.settings };
        if (ssl.wildcard !== undefined) h.ssl.wildcard = ssl.wildcard;
        if (methodChanged && h.ssl.status !== 'active') h.ssl.validation_records = validationRecordsFor(h.hostname, ssl.method, stored.dcvToken);
      }
    }
    return copy(h);
  }

  remove(zoneId: string, id: string): { id: string } {
    const stored = this.inZone(zoneId, id);
    this.hostnames.delete(stored.object.id);
    return { id: stored.object.id };
  }

  // ---- outside the API (/_fake) ----

  /** By id, or by hostname (in `zoneId` if given, else the API's zone first). */
  find(ref: string, zoneId?: string): StoredHostname | undefined {
    const byId = this.hostnames.get(ref.toLowerCase());
    if (byId && (!zoneId || byId.zoneId === zoneId)) return byId;
    const name = normaliseHostname(ref);
    const matches = [...this.hostnames.values()].filter((s) => s.object.hostname === name && (!zoneId || s.zoneId === zoneId));
    return matches.find((s) => s.zoneId === this.zoneId) ?? matches[0];
  }

  resolve(ref: string, zoneId?: string): StoredHostname {
    const stored = this.find(ref, zoneId);
    if (!stored) throw hostnameNotFound();
    return stored;
  }

  /**
   * Sets one of the named states, then any patch fields over it; 'deleted' removes the hostname
   * (the API then answers 404 code 1436) and returns null.
   */
  setState(ref: string, state: HostnameStateName, patch: HostnamePatch = {}, zoneId?: string): FakeHostname | null {
    const stored = this.resolve(ref, zoneId);
    if (state === 'deleted') {
      this.hostnames.delete(stored.object.id);
      return null;
    }
    applyState(stored, state);
    return this.patch(stored.object.id, patch);
  }

  /** Any status, certificate status and error lists, for states the named ones do not cover. */
  patch(ref: string, patch: HostnamePatch, zoneId?: string): FakeHostname {
    const stored = this.resolve(ref, zoneId);
    const h = stored.object;
    if (patch.status) h.status = patch.status;
    if (patch.verification_errors) {
      if (patch.verification_errors.length > 0) h.verification_errors = [...patch.verification_errors];
      else delete h.verification_errors;
    }
    if (patch.custom_metadata) h.custom_metadata = { ...patch.custom_metadata };
    if (h.ssl) {
      if (patch.ssl_status) {
        h.ssl.status = patch.ssl_status;
        // A certificate not (or no longer) issued has its validation records again, as on Cloudflare.
        if (patch.ssl_status !== 'active' && !h.ssl.validation_records) h.ssl.validation_records = validationRecordsFor(h.hostname, h.ssl.method, stored.dcvToken);
      }
      if (patch.validation_errors) h.ssl.validation_errors = patch.validation_errors.map((message) => ({ message }));
    }
    return this.show(stored);
  }

  /** A hostname added some other way: in the dashboard, by another installation, or in another zone. */
  seed(input: SeedHostname): FakeHostname {
    const hostname = this.check(input.hostname, input.ssl !== null);
    const zoneId = input.zone_id ?? this.zoneId ?? '0'.repeat(32);
    const ssl = input.ssl === null ? undefined : ({ method: input.ssl?.method ?? 'txt', type: input.ssl?.type ?? 'dv' } satisfies SslRequest);
    const stored = this.insert(zoneId, { hostname, ssl, customMetadata: input.custom_metadata });
    if (input.state && input.state !== 'pending') applyState(stored, input.state);
    return this.show(stored);
  }

  all(filter: { hostname?: string; zoneId?: string } = {}): FakeHostname[] {
    const name = filter.hostname ? normaliseHostname(filter.hostname) : undefined;
    return [...this.hostnames.values()]
      .filter((s) => (!name || s.object.hostname === name) && (!filter.zoneId || s.zoneId === filter.zoneId))
      .sort((a, b) => a.seq - b.seq)
      .map((s) => this.show(s));
  }

  show(stored: StoredHostname): FakeHostname {
    return { ...copy(stored.object), zone_id: stored.zoneId };
  }

  requestsFor(filter: { hostname?: string; id?: string; method?: string; path?: string }): RecordedRequest[] {
    const name = filter.hostname ? normaliseHostname(filter.hostname) : undefined;
    const id = filter.id?.toLowerCase();
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (filter.path && !pathMatches(filter.path, r.path)) return false;
      if (name && r.hostname !== name && !(r.hostnameId && this.names.get(r.hostnameId) === name)) return false;
      if (id && r.hostnameId !== id) return false;
      return true;
    });
  }

  addFailure(rule: Omit<FailureRule, 'id'>): FailureRule {
    const full = { id: `rule_${++this.ruleSeq}`, ...rule };
    this.failures.push(full);
    return full;
  }

  /** Takes one use of the first planned failure matching this call, if any. */
  takeFailure(request: Pick<RecordedRequest, 'method' | 'path' | 'hostname' | 'hostnameId'>): FailureRule | undefined {
    const rule = this.failures.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method === request.method) &&
        (!f.path || pathMatches(f.path, request.path)) &&
        (!f.hostname || f.hostname === request.hostname) &&
        (!f.hostnameId || f.hostnameId === request.hostnameId),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.failures.splice(this.failures.indexOf(rule), 1);
    return rule;
  }

  clearFailures(filter: { hostname?: string; id?: string; rule?: string } = {}): number {
    const name = filter.hostname ? normaliseHostname(filter.hostname) : undefined;
    const keep = this.failures.filter((f) => (name && f.hostname !== name) || (filter.id && f.hostnameId !== filter.id.toLowerCase()) || (filter.rule && f.id !== filter.rule));
    const cleared = this.failures.length - keep.length;
    this.failures.splice(0, this.failures.length, ...keep);
    return cleared;
  }

  // ---- internals ----

  private insert(zoneId: string, input: Parameters<typeof buildHostname>[0]): StoredHostname {
    // Unique across Cloudflare: any zone holding the name makes this a duplicate.
    if ([...this.hostnames.values()].some((s) => s.object.hostname === input.hostname)) throw duplicateHostname();
    const stored = buildHostname(input, ++this.seq, zoneId);
    this.hostnames.set(stored.object.id, stored);
    this.names.set(stored.object.id, stored.object.hostname);
    return stored;
  }

  private inZone(zoneId: string, id: string): StoredHostname {
    const stored = this.hostnames.get(id.toLowerCase());
    if (!stored || stored.zoneId !== zoneId) throw hostnameNotFound();
    return stored;
  }
}

/** Does a rule's or filter's path (a prefix, `*` within a segment, `/client/v4` optional) match this path? */
export function pathMatches(pattern: string, path: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[^/]*')}`);
  return re.test(path) || re.test(path.replace(/^\/client\/v4(?=\/)/, ''));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badJson();
  return body as Record<string, unknown>;
}

function readMetadata(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badMetadata();
  return structuredClone(value) as Record<string, string>;
}

/**
 * The `ssl` of a create or edit: method and type both given (1440 otherwise), method one of
 * http/txt/email (1432), type dv (1433). On an edit, what is left out keeps its current value.
 */
function readSsl(value: unknown, current: CustomHostname['ssl']): SslRequest | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badSslAttribute();
  const ssl = value as Record<string, unknown>;
  const method = ssl.method ?? current?.method;
  const type = ssl.type ?? current?.type;
  if (method === undefined || type === undefined) throw methodAndTypeRequired();
  if (method !== 'http' && method !== 'txt' && method !== 'email') throw badValidationMethod();
  if (type !== 'dv') throw badValidationType();
  const bundle = ssl.bundle_method;
  if (bundle !== undefined && bundle !== 'ubiquitous' && bundle !== 'optimal' && bundle !== 'force') throw badSslAttribute();
  const ca = ssl.certificate_authority;
  if (ca !== undefined && ca !== 'google' && ca !== 'lets_encrypt' && ca !== 'ssl_com' && ca !== 'digicert') throw badSslAttribute();
  if (ssl.settings !== undefined && (typeof ssl.settings !== 'object' || ssl.settings === null)) throw badSslAttribute();
  return {
    method,
    type,
    ...(bundle ? { bundle_method: bundle } : {}),
    ...(ca ? { certificate_authority: ca } : {}),
    ...(ssl.settings ? { settings: ssl.settings as SslRequest['settings'] } : {}),
    ...(typeof ssl.wildcard === 'boolean' ? { wildcard: ssl.wildcard } : {}),
  };
}

function integer(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
