// The tree-shakable client with the one resource used: the full client bundles every Cloudflare
// API (the Worker's upload grew from 2,370 KiB to 4,836 KiB with it; with this, see the README).
import { createClient } from 'cloudflare/tree-shakable';
import { BaseCustomHostnames, type CustomHostnameGetResponse } from 'cloudflare/resources/custom-hostnames/custom-hostnames';
import { APIError } from 'cloudflare/error';
import type { Config } from '../config';
import { DomainError } from '../domain/errors';

/**
 * Cloudflare for SaaS custom hostnames, through Cloudflare's official SDK: the one module that
 * talks to Cloudflare. In dev and tests `CLOUDFLARE_API_URL` points the SDK at the local fake
 * (scripts/cloudflare-fake). What comes back is reduced to what nchat decides on.
 */
export interface HostnameState {
  id: string;
  hostname: string;
  /** Cloudflare's custom hostname status: pending, active, moved, deleted, blocked, ... */
  status: string;
  /** The certificate's status: pending_validation, active, validation_timed_out, ... */
  sslStatus: string | null;
  ownership: { name: string; value: string } | null;
  /** TXT records the certificate authority checks (DCV). */
  certificateRecords: { name: string; value: string }[];
  /** Cloudflare's verification and validation errors, as sentences. */
  errors: string[];
}

export interface CustomHostnames {
  create(hostname: string, tenantId: string): Promise<HostnameState>;
  /** null: Cloudflare no longer has it (deleted in the dashboard, or by someone else). */
  get(id: string): Promise<HostnameState | null>;
  findByHostname(hostname: string): Promise<HostnameState | null>;
  /** Records whose it is now (custom_metadata.tenant_id), when a hostname left in the zone is taken over. */
  claim(id: string, tenantId: string): Promise<HostnameState>;
  /** Removes it; one Cloudflare no longer has counts as removed. */
  remove(id: string): Promise<void>;
}

type Raw = CustomHostnameGetResponse;

function stateOf(raw: Raw): HostnameState {
  const ssl = raw.ssl;
  const certificateRecords = (ssl?.validation_records ?? [])
    .filter((r) => r.txt_name && r.txt_value)
    .map((r) => ({ name: r.txt_name!, value: r.txt_value! }));
  const own = raw.ownership_verification;
  return {
    id: raw.id,
    hostname: raw.hostname,
    status: raw.status ?? 'pending',
    sslStatus: ssl?.status ?? null,
    ownership: own?.name && own.value ? { name: own.name, value: own.value } : null,
    certificateRecords,
    errors: [...(raw.verification_errors ?? []), ...(ssl?.validation_errors ?? []).map((e) => e.message ?? '').filter(Boolean)],
  };
}

/** Whether Cloudflare said the hostname is already in the zone (error 1406). */
function isDuplicate(err: unknown): boolean {
  return err instanceof APIError && (err.status === 409 || err.errors.some((e) => e.code === 1406));
}

/**
 * Cloudflare no longer has this custom hostname (code 1436). Any other 404 (a wrong zone id, a
 * token that cannot see the zone: code 7003) is a misconfiguration, not a verdict on the domain:
 * taking it for one would fail every domain and let a purge think its hostnames were gone.
 */
function isNotFound(err: unknown): boolean {
  return err instanceof APIError && err.status === 404 && err.errors.some((e) => e.code === HOSTNAME_NOT_FOUND);
}
const HOSTNAME_NOT_FOUND = 1436;

/**
 * Cloudflare failed or could not be reached, or refused nchat's own credentials (401/403: the
 * token or zone is wrong, which is the operators' to fix, not the customer's): 503, try again.
 * Any other refusal we did not expect: 502 with Cloudflare's words.
 */
function unavailable(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof APIError && err.status !== undefined && err.status < 500 && err.status !== 429 && err.status !== 401 && err.status !== 403) {
    const said = err.errors.map((e) => (e.message ?? '').replace(/\.+$/, '')).filter(Boolean).join('; ');
    return new DomainError('cloudflare_error', `Cloudflare refused the request${said ? `: ${said}` : ''}.`, { status: err.status, errors: err.errors });
  }
  return new DomainError('domains_unavailable', 'Cloudflare could not be reached to manage custom domains. Try again shortly.', { retryAfterSeconds: 30 });
}

/** Thrown by create when the hostname is already in the zone: the caller decides whose it is. */
export class HostnameInZone extends Error {
  constructor(readonly existing: HostnameState | null) {
    super('custom hostname already exists in the zone');
  }
}

/** The client, or null when custom domains are not configured (no token or zone). */
export function customHostnamesFor(config: Pick<Config, 'CLOUDFLARE_API_TOKEN' | 'CLOUDFLARE_ZONE_ID' | 'CLOUDFLARE_API_URL'>): CustomHostnames | null {
  const { CLOUDFLARE_API_TOKEN: apiToken, CLOUDFLARE_ZONE_ID: zone_id, CLOUDFLARE_API_URL: baseURL } = config;
  if (!apiToken || !zone_id) return null;
  // One retry (the SDK's, for 5xx, 429 and lost connections), each attempt at most 8 s, so a
  // request waits at most about 17 s; beyond that the scheduled handler and the owner's refresh
  // retry.
  const client = createClient({ resources: [BaseCustomHostnames], apiToken, ...(baseURL ? { baseURL } : {}), maxRetries: 1, timeout: 8_000 });
  const api = client.customHostnames;
  return {
    async create(hostname, tenantId) {
      try {
        const raw = await api.create({ zone_id, hostname, ssl: { method: 'txt', type: 'dv' }, custom_metadata: { tenant_id: tenantId } });
        return stateOf(raw);
      } catch (err) {
        if (isDuplicate(err)) throw new HostnameInZone(await this.findByHostname(hostname));
        throw unavailable(err);
      }
    },
    async get(id) {
      try {
        return stateOf(await api.get(id, { zone_id }));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw unavailable(err);
      }
    },
    async findByHostname(hostname) {
      try {
        const page = await api.list({ zone_id, hostname: { exact: hostname } });
        const raw = page.result.find((h) => h.hostname === hostname);
        return raw ? stateOf(raw) : null;
      } catch (err) {
        throw unavailable(err);
      }
    },
    async claim(id, tenantId) {
      try {
        return stateOf(await api.edit(id, { zone_id, custom_metadata: { tenant_id: tenantId } }));
      } catch (err) {
        throw unavailable(err);
      }
    },
    async remove(id) {
      try {
        await api.delete(id, { zone_id });
      } catch (err) {
        if (isNotFound(err)) return;
        throw unavailable(err);
      }
    },
  };
}

/** The domains API without Cloudflare configured: 503, and the rest of the product works. */
export function requireCustomHostnames(config: Parameters<typeof customHostnamesFor>[0]): CustomHostnames {
  const client = customHostnamesFor(config);
  if (!client) throw new DomainError('domains_unavailable', 'Custom domains are not set up on this installation (no Cloudflare API token or zone configured).');
  return client;
}
