import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { FeatureName, SessionBootstrap, Tenant } from '../api/types';
import { applyBranding } from './branding';
import { loadBootstrap, type BootState } from './bootstrap';
import { preloadChat } from '../pages/chunks';

/**
 * The seed's client API: a TenantProvider that loads `GET /api/tenant` once per page load,
 * `useTenant()` → `{tenant, isLoading}` and `useTenantFeature(name)` → boolean. It also carries
 * the session the same request brought (`useSession()`), and applies the workspace's branding.
 *
 * The settings page previews a name and branding before they are saved through the same path
 * (`previewTenant`): everything that reads `useTenant()` shows the preview, and the branding is
 * applied from it, exactly as saved branding is; `previewTenant(null)` shows the saved one again.
 */

/** What a preview overrides of the workspace, until it is saved or dropped. */
export type TenantPreview = Pick<Tenant, 'name' | 'branding'>;

interface TenantContextValue {
  state: BootState;
  /** Loads the bootstrap again (after signing in, on a stream's `resync`, after a 4403). */
  reload(): Promise<void>;
  /** Signed in or out without a page load; `notice`: what the sign-in page says about why (a session that ended). */
  setSession(session: SessionBootstrap | null, notice?: string | null): void;
  /** Shows `preview` app-wide as if it were saved; null: the saved workspace again. */
  previewTenant(preview: TenantPreview | null): void;
  /** The workspace as an API change answered it (PATCH /api/tenant): applied without a reload. */
  tenantChanged(tenant: Tenant): void;
}

const TenantContext = createContext<TenantContextValue | null>(null);

export function TenantProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<BootState>({ kind: 'loading' });
  const [preview, setPreview] = useState<TenantPreview | null>(null);

  const reload = useCallback(async () => {
    const next = await loadBootstrap();
    // Signed in: the chat's code is needed next; ask for it before React renders anything.
    if (next.kind === 'workspace' && next.session) preloadChat();
    setState(next);
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const setSession = useCallback((session: SessionBootstrap | null, notice: string | null = null) => {
    setState((s) => (s.kind === 'workspace' ? { ...s, session, notice } : s));
  }, []);

  const tenantChanged = useCallback((tenant: Tenant) => {
    // The change's answer has no usage figures (a member's bootstrap has): keep those.
    setState((s) => (s.kind === 'workspace' ? { ...s, tenant: { ...s.tenant, ...tenant } } : s));
  }, []);

  const shown = useMemo<BootState>(() => (preview && state.kind === 'workspace' ? { ...state, tenant: { ...state.tenant, ...preview } } : state), [state, preview]);

  useEffect(() => {
    if (shown.kind === 'workspace') applyBranding(shown.tenant.branding, shown.tenant.branding.appName ?? shown.tenant.name);
    else if (shown.kind === 'platform') applyBranding(undefined, 'nchat');
  }, [shown]);

  const value = useMemo(() => ({ state: shown, reload, setSession, previewTenant: setPreview, tenantChanged }), [shown, reload, setSession, tenantChanged]);
  return <TenantContext.Provider value={value}>{children}</TenantContext.Provider>;
}

export function useBoot(): TenantContextValue {
  const ctx = useContext(TenantContext);
  if (!ctx) throw new Error('useBoot outside TenantProvider');
  return ctx;
}

export function useTenant(): { tenant: Tenant | null; isLoading: boolean } {
  const { state } = useBoot();
  return { tenant: state.kind === 'workspace' ? state.tenant : null, isLoading: state.kind === 'loading' };
}

export function useTenantFeature(name: FeatureName): boolean {
  const { tenant } = useTenant();
  return tenant?.features[name] ?? false;
}

export function useSession(): SessionBootstrap | null {
  const { state } = useBoot();
  return state.kind === 'workspace' ? state.session : null;
}

/** The name people see: the branding's app name, else the workspace's. */
export function useAppName(): string {
  const { tenant } = useTenant();
  return tenant ? (tenant.branding.appName ?? tenant.name) : 'nchat';
}
