/**
 * What Cloudflare accepts as a custom hostname, refused with its own codes: 1407 (not a
 * hostname: too long, an IP address, special characters, bad labels), 1408 (non-ASCII), 1409
 * (a reserved top-level domain: test, example, invalid, localhost), 1410 (no registrable domain:
 * a single label), 1411 (example.com/.net/.org), 1448 (a wildcard with a managed certificate).
 * Hostnames are compared and stored in lower case without a trailing dot.
 */
import {
  exampleDomain,
  invalidHostname,
  nonAsciiHostname,
  reservedTopDomain,
  unparsableHostname,
  wildcardManagedCertificate,
} from './envelope';

const SPECIAL = /[~`!@#$%^&*()=+{}[\]\\|;:'",<>/?\s_]/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const RESERVED_TLDS = new Set(['test', 'example', 'invalid', 'localhost']);

/** The hostname as stored, or throws the error Cloudflare answers. */
export function checkHostname(input: unknown, withCertificate: boolean, refuseReserved = true): string {
  if (typeof input !== 'string' || input.trim() === '') throw invalidHostname();
  const hostname = normaliseHostname(input);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(hostname)) throw nonAsciiHostname();
  const wildcard = hostname.startsWith('*.');
  const rest = wildcard ? hostname.slice(2) : hostname;
  if (hostname.length >= 256 || SPECIAL.test(rest)) throw invalidHostname();
  const labels = rest.split('.');
  if (!labels.every((l) => LABEL.test(l))) throw invalidHostname();
  if (labels.every((l) => /^\d+$/.test(l))) throw invalidHostname(); // an IPv4 address (or a bare number)
  if (labels.length < 2) throw unparsableHostname(hostname);
  const tld = labels[labels.length - 1]!;
  if (refuseReserved && RESERVED_TLDS.has(tld)) throw reservedTopDomain();
  if (/^\d+$/.test(tld)) throw invalidHostname();
  if (refuseReserved && /(^|\.)example\.(com|net|org)$/.test(rest)) throw exampleDomain();
  if (wildcard && withCertificate) throw wildcardManagedCertificate();
  return hostname;
}

/** Lower case, no surrounding space, no trailing dot: how hostnames are compared. */
export function normaliseHostname(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, '');
}
