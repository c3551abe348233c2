import { z } from 'zod';

/**
 * A customer's hostname as Cloudflare and the Host header will spell it: lower case, no
 * trailing dot, international names in punycode (IDNA, by the URL parser). Refused when it could
 * never be a workspace's own domain: an IP address, a wildcard, a single label, too long, or the
 * platform's own domain or a host under it (those are the platform's and its workspaces').
 */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const RESERVED_TLDS = new Set(['test', 'example', 'invalid', 'localhost']);

export type HostnameCheck = { ok: true; hostname: string } | { ok: false; problem: string };

export function checkCustomHostname(input: string, baseDomain: string): HostnameCheck {
  const refuse = (problem: string): HostnameCheck => ({ ok: false, problem });
  const raw = input.trim().replace(/\.$/, '');
  if (!raw) return refuse('is required');
  if (raw.includes('*')) return refuse('cannot be a wildcard; add each hostname on its own');
  if (/[/:?#@\s\\[\]]/.test(raw)) {
    return refuse(IPV6ISH.test(raw) ? 'must be a domain name, not an IP address' : 'must be a bare hostname such as chat.acme.com (no scheme, port or path)');
  }
  let hostname: string;
  try {
    hostname = new URL(`http://${raw}/`).hostname;
  } catch {
    return refuse('is not a valid domain name');
  }
  if (IPV4.test(hostname) || /^[\d.]+$/.test(hostname)) return refuse('must be a domain name, not an IP address');
  if (hostname.length > 253) return refuse('is longer than 253 characters');
  const labels = hostname.split('.');
  if (labels.length < 2) return refuse('must have at least two labels, such as chat.acme.com');
  if (!labels.every((l) => LABEL.test(l))) return refuse('is not a valid domain name (letters, digits and hyphens, 1 to 63 per label)');
  if (/^\d+$/.test(labels[labels.length - 1]!)) return refuse('must end in a top-level domain');
  const base = baseDomain.toLowerCase();
  if (hostname === base || hostname.endsWith(`.${base}`)) return refuse(`cannot be ${base} or a host under it (workspaces have <slug>.${base} already)`);
  // Names reserved for documentation and testing (RFC 2606, 6761) never reach a customer's
  // users, and Cloudflare refuses them (errors 1409, 1411): better a field error than a 502.
  const tld = labels[labels.length - 1]!;
  if (RESERVED_TLDS.has(tld) || /(^|\.)example\.(com|net|org)$/.test(hostname)) return refuse('is reserved for documentation and testing (RFC 2606) and cannot be served');
  return { ok: true, hostname };
}

const IPV6ISH = /^\[?[0-9a-f:]+\]?$/i;

/** The request field: a string checked and normalised as above (400 validation_failed naming `hostname`). */
export function customHostnameSchema(baseDomain: string) {
  return z.string({ error: 'is required' }).max(300, 'is longer than 253 characters').transform((value, ctx) => {
    const checked = checkCustomHostname(value, baseDomain);
    if (checked.ok) return checked.hostname;
    ctx.addIssue({ code: 'custom', message: `The hostname ${checked.problem}.` });
    return z.NEVER;
  });
}
