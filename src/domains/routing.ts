import { DomainError } from '../domain/errors';
import type { TenantSnapshot } from '../tenancy/snapshot';

/**
 * Whether a workspace still answers on the custom hostname a request came on. The snapshot that
 * decides is the freshest one the request has: the cached copy in resolveSite, then the
 * TenantGate's authoritative one. Removing a domain, or Cloudflare reporting it moved, deleted
 * or blocked, takes it out of the tenant's `customDomains` and bumps the version, so from the
 * next request on the gate's newer snapshot refuses the host everywhere, even where a cache
 * still maps the host to the workspace.
 */
export function assertServesHost(tenant: TenantSnapshot, customHost: string | undefined): void {
  if (customHost === undefined) return;
  if (!tenant.customDomains?.includes(customHost)) throw new DomainError('tenant_not_found', `No workspace is served at ${customHost}.`);
}
