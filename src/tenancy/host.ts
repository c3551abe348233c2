import type { Config } from '../config';
import { slugFormatSchema } from './slug';

/**
 * Which site a Host header names (DESIGN.md, host rules):
 *  - BASE_DOMAIN, www.BASE_DOMAIN, app.BASE_DOMAIN (and bare IP addresses) → the platform;
 *  - <slug>.BASE_DOMAIN → the tenant with that slug;
 *  - any other hostname → a tenant's custom domain, if one is registered;
 *  - single-tenant mode (ENABLE_MULTI_TENANCY=false) → every host is DEFAULT_TENANT_SLUG.
 */
export type HostTarget =
  | { kind: 'platform'; hostname: string }
  | { kind: 'slug'; slug: string; hostname: string }
  | { kind: 'custom'; hostname: string }
  | { kind: 'invalid'; hostname: string };

const PLATFORM_PREFIXES = ['', 'www.', 'app.'];
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Lowercase, without port or trailing dot. IPv6 literals keep their brackets. */
export function normaliseHostname(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.replace(/\.$/, '');
}

export function slugHostname(slug: string, baseDomain: string): string {
  return `${slug}.${baseDomain}`;
}

export function classifyHost(host: string, config: Pick<Config, 'BASE_DOMAIN' | 'ENABLE_MULTI_TENANCY' | 'DEFAULT_TENANT_SLUG'>): HostTarget {
  const hostname = normaliseHostname(host);
  const base = config.BASE_DOMAIN;
  if (!config.ENABLE_MULTI_TENANCY) return { kind: 'slug', slug: config.DEFAULT_TENANT_SLUG, hostname };
  if (!hostname || !/^[a-z0-9.\-[\]:]+$/.test(hostname)) return { kind: 'invalid', hostname };
  if (PLATFORM_PREFIXES.some((p) => hostname === p + base) || IPV4.test(hostname) || hostname.startsWith('[')) {
    return { kind: 'platform', hostname };
  }
  if (hostname.endsWith(`.${base}`)) {
    const label = hostname.slice(0, -(base.length + 1));
    // One label only: a.b.nchat.app is nobody's workspace. Malformed labels are answered as
    // unknown without a database lookup.
    if (label.includes('.')) return { kind: 'invalid', hostname };
    const slug = slugFormatSchema.safeParse(label);
    return slug.success ? { kind: 'slug', slug: slug.data, hostname } : { kind: 'invalid', hostname };
  }
  return { kind: 'custom', hostname };
}
