import type { TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { TenantDirectory } from '../tenancy/directory';

/**
 * Where Stripe sends the browser back after checkout or the portal. Only the workspace's own
 * hosts (its subdomain and active custom domains) are accepted: an open redirect through a
 * payment page would lend a phishing link our name and Stripe's.
 */
export function tenantHosts(row: Pick<TenantRow, 'slug' | 'customDomains'>, baseDomain: string): string[] {
  const hosts = TenantDirectory.hostsOf(row, baseDomain);
  return [hosts.slugHost, ...hosts.domains];
}

/**
 * `candidate` if it is an http(s) URL on one of `hosts`, else 400; without a candidate, `path`
 * on the origin the request came in on (which is a host of this tenant, or it would not be here).
 */
export function returnUrl(candidate: string | undefined, field: string, hosts: string[], requestOrigin: string, path: string): string {
  if (candidate === undefined) return new URL(path, requestOrigin).toString();
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw invalidReturnUrl(field, hosts);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !hosts.includes(url.hostname.toLowerCase())) {
    throw invalidReturnUrl(field, hosts);
  }
  return url.toString();
}

function invalidReturnUrl(field: string, hosts: string[]): DomainError {
  return new DomainError('invalid_return_url', `${field} must be an http(s) address on this workspace's own hosts.`, { field, hosts });
}
