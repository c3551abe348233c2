/**
 * Helpers for tests (in workerd) that need Cloudflare for SaaS: the local fake's base URL, an SDK
 * client pointed at it, and its control API (scripts/cloudflare-fake: put a custom hostname in a
 * state — active, pending, failed verification, moved, blocked, deleted —, add one as someone
 * else would, plan failures, read the requests the Worker made).
 *
 * The fake is one server for the whole run, shared by test files running in parallel: give each
 * test its own hostnames (`uniqueHostname()`), and read records, plan failures and clear them by
 * hostname (`fakeRequests({ hostname })`, `failNext({ hostname, ... })`), never for everyone.
 *
 * Mind the Worker's SDK retries (src/domains/cloudflare.ts, maxRetries 1): a failure the Worker
 * is to see must be planned for both attempts (`count: 2`), 5xx, 429 and 409 alike.
 */
// The one resource the Worker uses, as the Worker builds its client (src/domains/cloudflare.ts):
// the full client would load every Cloudflare API module into workerd.
import { createClient, type PartialCloudflare } from 'cloudflare/tree-shakable';
import { BaseCustomHostnames } from 'cloudflare/resources/custom-hostnames/custom-hostnames';
import { inject } from 'vitest';
import type { FailRequest, FakeHostname, HostnameStateName, RecordedRequest } from '../../scripts/cloudflare-fake';
import { TEST_CLOUDFLARE_API_TOKEN, TEST_CLOUDFLARE_ZONE_ID } from './constants';

export { TEST_CLOUDFLARE_API_TOKEN, TEST_CLOUDFLARE_ZONE_ID };

/**
 * The fake's own types, imported type-only (erased before workerd runs this file, so none of the
 * fake's Node code is loaded here): a custom hostname as the control API shows it (the API
 * object plus its `zone_id`), one recorded API call, a planned failure.
 */
export type { FakeHostname, HostnameStateName, FailRequest } from '../../scripts/cloudflare-fake';
export type FakeRequest = RecordedRequest;
export type HostnameSslStatus = NonNullable<NonNullable<FakeHostname['ssl']>['status']>;
export type HostnameStatus = NonNullable<FakeHostname['status']>;

/** The fake's base URL, e.g. `http://127.0.0.1:40124`. */
export function cloudflareFake(): string {
  return inject('cloudflareFakeUrl');
}

/** The SDK's baseURL for the fake (the Worker's CLOUDFLARE_API_URL): `<fake>/client/v4`. */
export function cloudflareApiUrl(): string {
  return `${cloudflareFake()}/client/v4`;
}

/** A cloudflare SDK client talking to the fake with the Worker's token; no retries unless asked. */
export type CustomHostnamesClient = PartialCloudflare<{ customHostnames: BaseCustomHostnames }>;

export function cloudflareClient(options: { apiToken?: string; baseURL?: string; maxRetries?: number; timeout?: number } = {}): CustomHostnamesClient {
  return createClient({
    resources: [BaseCustomHostnames],
    apiToken: options.apiToken ?? TEST_CLOUDFLARE_API_TOKEN,
    baseURL: options.baseURL ?? cloudflareApiUrl(),
    maxRetries: options.maxRetries ?? 0,
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
}

/**
 * A hostname no other test uses, that Cloudflare would accept: under `.com`, not example.com
 * (Cloudflare refuses the reserved example.com/.net/.org and the test/example/invalid/localhost
 * top-level domains, 400 codes 1411 and 1409, and so does the fake).
 */
export function uniqueHostname(label = 'chat'): string {
  return `${label}.c${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}.com`;
}

/** A call to the fake's control API; a non-2xx answer throws with the fake's message. */
async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${cloudflareFake()}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Cloudflare fake ${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function query(filter: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** What may be set over a named state (e.g. `active` with the certificate still `pending_validation`). */
export interface HostnameOverrides {
  status?: HostnameStatus;
  sslStatus?: HostnameSslStatus;
  verificationErrors?: string[];
  /** The certificate's validation errors, as messages. */
  validationErrors?: string[];
  customMetadata?: Record<string, string>;
}

function patchBody(o: HostnameOverrides): Record<string, unknown> {
  return {
    ...(o.status ? { status: o.status } : {}),
    ...(o.sslStatus ? { ssl_status: o.sslStatus } : {}),
    ...(o.verificationErrors ? { verification_errors: o.verificationErrors } : {}),
    ...(o.validationErrors ? { validation_errors: o.validationErrors } : {}),
    ...(o.customMetadata ? { custom_metadata: o.customMetadata } : {}),
  };
}

/**
 * Puts a custom hostname (by hostname or id) into a state, as Cloudflare would report it there:
 * `active` (hostname and certificate active, no errors or validation records), `pending` (the
 * records asked for at creation again), `failed_verification` (pending, certificate
 * `validation_timed_out` with a validation error), `moved`, `blocked`, or `deleted` (gone: the
 * API answers 404 code 1436; resolves to null). `overrides` are applied over the state.
 */
export async function setHostnameState(hostnameOrId: string, state: HostnameStateName, overrides: HostnameOverrides = {}): Promise<FakeHostname | null> {
  const { customHostname } = await control<{ customHostname: FakeHostname | null }>('POST', `/_fake/hostnames/${encodeURIComponent(hostnameOrId)}/state`, { state, ...patchBody(overrides) });
  return customHostname;
}

/** Sets any status, certificate status or error list directly, for states `setHostnameState` does not name. */
export function editHostname(hostnameOrId: string, overrides: HostnameOverrides): Promise<FakeHostname> {
  return control('PATCH', `/_fake/hostnames/${encodeURIComponent(hostnameOrId)}`, patchBody(overrides));
}

/**
 * A custom hostname added outside nchat's API calls: in the dashboard, by another installation
 * (`zoneId` of another zone: Cloudflare then answers this zone's create with 409 code 1406 while
 * its list finds nothing), already in a state. Default certificate: txt/dv; `ssl: null` for none.
 */
export function seedHostname(input: {
  hostname: string;
  zoneId?: string;
  customMetadata?: Record<string, string>;
  ssl?: { method?: 'http' | 'txt' | 'email' } | null;
  state?: Exclude<HostnameStateName, 'deleted'>;
}): Promise<FakeHostname> {
  return control('POST', '/_fake/hostnames', {
    hostname: input.hostname,
    ...(input.zoneId ? { zone_id: input.zoneId } : {}),
    ...(input.customMetadata ? { custom_metadata: input.customMetadata } : {}),
    ...(input.ssl !== undefined ? { ssl: input.ssl } : {}),
    ...(input.state ? { state: input.state } : {}),
  });
}

/** The custom hostnames the fake holds (every zone), oldest first; `hostname` keeps that one's. */
export async function fakeHostnames(filter: { hostname?: string; zoneId?: string } = {}): Promise<FakeHostname[]> {
  return (await control<{ hostnames: FakeHostname[] }>('GET', `/_fake/hostnames${query({ hostname: filter.hostname, zone_id: filter.zoneId })}`)).hostnames;
}

/** One custom hostname by hostname or id, or null if the fake has none. */
export async function fakeHostname(hostnameOrId: string): Promise<FakeHostname | null> {
  const res = await fetch(`${cloudflareFake()}/_fake/hostnames/${encodeURIComponent(hostnameOrId)}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`Cloudflare fake GET /_fake/hostnames/${hostnameOrId} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as FakeHostname;
}

/**
 * API calls the fake received, oldest first: `hostname` keeps those about it (the create naming
 * it, a list filtering on it, any call on its id, even after it was deleted), `id` those on that
 * custom hostname id, `method` and `path` (a prefix, `/client/v4` optional) narrow further.
 */
export async function fakeRequests(filter: { hostname?: string; id?: string; method?: string; path?: string } = {}): Promise<FakeRequest[]> {
  return (await control<{ requests: FakeRequest[] }>('GET', `/_fake/requests${query(filter)}`)).requests;
}

/**
 * The next `count` (default 1) API calls that match answer `status` (default 500) in Cloudflare's
 * envelope, or with `mode: 'hang'` get no answer (`hangMs`: the connection is dropped then), or
 * with `mode: 'close'` lose their connection at once. Match on `hostname` (or `id`) so a test
 * running beside yours never takes your failure; `method` and `path` (a prefix, `*` within a
 * segment) narrow further. Returns the rule's id.
 */
export async function failNext(rule: FailRequest): Promise<string> {
  const { rule: planned } = await control<{ rule: { id: string } }>('POST', '/_fake/fail', rule);
  return planned.id;
}

/** Drops planned failures not yet used: those for `hostname`, for `id`, or the one `rule` (at least one of them). */
export async function clearFailures(filter: { hostname?: string; id?: string; rule?: string }): Promise<number> {
  if (!filter.hostname && !filter.id && !filter.rule) throw new Error('clearFailures: name a hostname, id or rule (the fake is shared by tests running in parallel)');
  return (await control<{ cleared: number }>('DELETE', `/_fake/fail${query(filter)}`)).cleared;
}
