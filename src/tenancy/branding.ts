import type { Actor } from '../audit/audit';
import type { Branding, TenantRow } from '../db/schema';
import { requireFeature } from './entitlements';
import { snapshotFromRow } from './snapshot';
import type { BrandingInput } from './validation';

/**
 * A workspace's branding as the routes receive it and as it is stored. Input may say `null` for
 * "not set" (so a logo or a colour can be removed); what is stored holds only the keys that have
 * a value, so every reader (the snapshot, GET /api/tenant, the web app) sees `undefined` for
 * "use the default", never null.
 */

const BRANDING_KEYS = ['appName', 'primaryColor', 'accentColor', 'logoUrl'] as const satisfies readonly (keyof Branding)[];

/**
 * PATCH /api/tenant: a merge patch (RFC 7396, one level): an absent key keeps its value, null
 * removes it. PUT /api/tenants/:id replaces the branding as a whole: the same onto nothing.
 */
export function mergeBranding(current: Branding, patch: BrandingInput): Branding {
  const out: Branding = {};
  for (const key of BRANDING_KEYS) {
    const value = key in patch ? patch[key] : current[key];
    if (value !== null && value !== undefined) out[key] = value;
  }
  return out;
}

/** The same branding, whatever the key order (jsonb stores keys in its own order). */
export function sameBranding(a: Branding, b: Branding): boolean {
  return BRANDING_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/**
 * The custom-branding rule, the one place it is decided for every route that changes branding
 * (through service.updateTenant, which calls it only for a real change: sending back the
 * branding already set needs nothing, so a form that sends everything back works on every plan):
 * setting, altering or removing any of it needs the plan's `customBranding` feature (403
 * feature_not_in_plan otherwise), except for a platform admin, who may always set it (a custom
 * deal, a fix on the customer's behalf).
 */
export function requireBrandingChangeAllowed(tenant: TenantRow, actor: Actor): void {
  if (actor.type === 'platform_admin') return;
  requireFeature(snapshotFromRow(tenant), 'customBranding');
}
