/**
 * The custom hostname object as Cloudflare's API returns it (typed with the SDK's own
 * CustomHostnameGetResponse, so the fake cannot drift from what the Worker's SDK expects), and
 * the states it goes through: pending (Cloudflare waits for the customer's DNS records), active
 * (verified, certificate issued), failed verification (the certificate authority gave up),
 * moved (the CNAME now points elsewhere), blocked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type Cloudflare from 'cloudflare';

export type CustomHostname = Cloudflare.CustomHostnames.CustomHostnameGetResponse;
export type CustomHostnameSsl = NonNullable<CustomHostname['ssl']>;
export type ValidationRecord = NonNullable<CustomHostnameSsl['validation_records']>[number];
export type HostnameStatus = NonNullable<CustomHostname['status']>;
export type SslStatus = NonNullable<CustomHostnameSsl['status']>;
export type DcvMethod = Cloudflare.CustomHostnames.DCVMethod;

/** The states the control API sets in one step (README: Control API). */
export const HOSTNAME_STATES = ['active', 'pending', 'failed_verification', 'moved', 'blocked', 'deleted'] as const;
export type HostnameStateName = (typeof HOSTNAME_STATES)[number];

/** What Cloudflare says while the hostname's CNAME is not in place (its own wording). */
export const NOT_CNAMED = 'custom hostname does not CNAME to this zone.';
export const BLOCKED = 'Custom hostname cannot be added to Cloudflare at this time.';

/** One stored hostname: the API object plus what must survive its state changes. */
export interface StoredHostname {
  zoneId: string;
  object: CustomHostname;
  /**
   * The certificate authority's DCV token: the TXT value (or HTTP body) the customer publishes.
   * Kept for the hostname's life, so going back to pending never changes the records asked for.
   */
  dcvToken: string;
  /** Creation order, for listing. */
  seq: number;
}

export interface SslRequest {
  method: DcvMethod;
  type: 'dv';
  bundle_method?: CustomHostnameSsl['bundle_method'];
  certificate_authority?: CustomHostnameSsl['certificate_authority'];
  settings?: CustomHostnameSsl['settings'];
  wildcard?: boolean;
}

export interface NewHostname {
  hostname: string;
  customMetadata?: Record<string, string>;
  customOriginServer?: string;
  customOriginSni?: string;
  ssl?: SslRequest;
}

/** A custom hostname's id (Cloudflare hands out UUIDs) and the certificate's. */
export const newId = (): string => randomUUID();

const dcvToken = (): string => randomBytes(32).toString('base64url').slice(0, 43);

/** Does this look like an id Cloudflare could have issued (a UUID, with or without dashes)? */
export function isHostnameId(value: string): boolean {
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value);
}

/** The records the certificate authority checks, for the DCV method in use. */
export function validationRecordsFor(hostname: string, method: DcvMethod | undefined, token: string): ValidationRecord[] {
  const name = hostname.replace(/^\*\./, '');
  switch (method) {
    case 'txt':
      return [{ status: 'pending', txt_name: `_acme-challenge.${name}`, txt_value: token }];
    case 'http':
      return [{ status: 'pending', http_url: `http://${name}/.well-known/acme-challenge/${token.slice(0, 22)}`, http_body: token }];
    case 'email': {
      const apex = name.split('.').slice(-2).join('.');
      return [{ status: 'pending', emails: ['administrator', 'admin', 'hostmaster', 'postmaster', 'webmaster'].map((u) => `${u}@${apex}`) }];
    }
    default:
      return [];
  }
}

export function buildHostname(input: NewHostname, seq: number, zoneId: string): StoredHostname {
  const id = newId();
  const token = dcvToken();
  const ownership = newId();
  const object: CustomHostname = {
    id,
    hostname: input.hostname,
    created_at: new Date().toISOString(),
    ...(input.customMetadata ? { custom_metadata: { ...input.customMetadata } } : {}),
    ...(input.customOriginServer ? { custom_origin_server: input.customOriginServer } : {}),
    ...(input.customOriginSni ? { custom_origin_sni: input.customOriginSni } : {}),
    ownership_verification: { type: 'txt', name: `_cf-custom-hostname.${input.hostname.replace(/^\*\./, '')}`, value: ownership },
    ownership_verification_http: { http_url: `http://${input.hostname.replace(/^\*\./, '')}/.well-known/cf-custom-hostname-challenge/${id}`, http_body: ownership },
    status: 'pending',
    verification_errors: [NOT_CNAMED],
  };
  if (input.ssl) {
    object.ssl = {
      id: newId(),
      type: input.ssl.type,
      method: input.ssl.method,
      status: 'pending_validation',
      bundle_method: input.ssl.bundle_method ?? 'ubiquitous',
      certificate_authority: input.ssl.certificate_authority ?? 'google',
      wildcard: input.ssl.wildcard ?? false,
      ...(input.ssl.settings ? { settings: { ...input.ssl.settings } } : {}),
      validation_records: validationRecordsFor(input.hostname, input.ssl.method, token),
      validation_errors: [],
    };
  }
  return { zoneId, object, dcvToken: token, seq };
}

/** Puts a hostname into one of the named states, as Cloudflare would report it there. ('deleted' is the store's.) */
export function applyState(stored: StoredHostname, state: Exclude<HostnameStateName, 'deleted'>): void {
  const h = stored.object;
  const ssl = h.ssl;
  switch (state) {
    case 'active':
      h.status = 'active';
      delete h.verification_errors;
      if (ssl) {
        const issued = new Date();
        ssl.status = 'active';
        ssl.validation_errors = [];
        delete ssl.validation_records;
        ssl.hosts = [h.hostname];
        ssl.issuer = ssl.certificate_authority === 'lets_encrypt' ? 'LetsEncrypt' : ssl.certificate_authority === 'ssl_com' ? 'SSLCorp' : 'GoogleTrustServices';
        ssl.serial_number = randomBytes(16).toString('hex');
        ssl.signature = 'ECDSAWithSHA256';
        ssl.uploaded_on = issued.toISOString();
        ssl.expires_on = new Date(issued.getTime() + 90 * 86_400_000).toISOString();
      }
      return;
    case 'pending':
      h.status = 'pending';
      h.verification_errors = [NOT_CNAMED];
      if (ssl) {
        resetCertificate(ssl);
        ssl.status = 'pending_validation';
        ssl.validation_errors = [];
        ssl.validation_records = validationRecordsFor(h.hostname, ssl.method, stored.dcvToken);
      }
      return;
    case 'failed_verification':
      h.status = 'pending';
      h.verification_errors = [NOT_CNAMED];
      if (ssl) {
        resetCertificate(ssl);
        const records = validationRecordsFor(h.hostname, ssl.method, stored.dcvToken);
        ssl.status = 'validation_timed_out';
        ssl.validation_records = records;
        ssl.validation_errors = [{ message: validationFailure(h.hostname, ssl.method, records[0]) }];
      }
      return;
    case 'moved':
      h.status = 'moved';
      h.verification_errors = [NOT_CNAMED];
      return;
    case 'blocked':
      h.status = 'blocked';
      h.verification_errors = [BLOCKED];
      return;
  }
}

function resetCertificate(ssl: CustomHostnameSsl): void {
  for (const key of ['hosts', 'issuer', 'serial_number', 'signature', 'uploaded_on', 'expires_on'] as const) delete ssl[key];
}

function validationFailure(hostname: string, method: DcvMethod | undefined, record: ValidationRecord | undefined): string {
  if (method === 'http' && record?.http_url) return `Timed out waiting for ${record.http_url} to serve the validation token. Validation timed out.`;
  if (method === 'email') return `No approval for the certificate was received from the domain's contacts. Validation timed out.`;
  return `TXT record for ${record?.txt_name ?? `_acme-challenge.${hostname}`} was not found or did not contain the expected value. Validation timed out.`;
}
