import { api } from '../api/endpoints';
import { ApiError } from '../api/errors';
import type { PlatformInfo, SessionBootstrap, Tenant } from '../api/types';

/**
 * What a page load learns from the host it is served on, in one request
 * (`GET /api/tenant?include=session`): the platform, or a workspace with the signed-in person's
 * account and channels, or why the workspace cannot be used.
 */
export type BootState =
  | { kind: 'loading' }
  | { kind: 'platform'; platform: PlatformInfo }
  | { kind: 'workspace'; tenant: Tenant; session: SessionBootstrap | null; notice: string | null }
  /** `session`: who is signed in, when the host still says (a workspace suspended for non-payment). */
  | { kind: 'unavailable'; error: ApiError; session?: SessionBootstrap | null }
  | { kind: 'failed'; error: ApiError };

/** Codes that mean "this workspace cannot be used" (a page for people, not an error toast). */
export const WORKSPACE_STATE_CODES = new Set(['tenant_not_found', 'tenant_suspended', 'tenant_cancelled', 'tenant_pending']);

const HANDOFF_PARAM = 'handoff';

/**
 * After sign-up the platform sends the browser to `<workspace>/welcome#handoff=<code>`. The code
 * is exchanged for this host's session cookie before the bootstrap, so the bootstrap already
 * sees the new owner signed in. The fragment is removed from the address at once (it is single
 * use, and must not stay in history or be shared).
 */
let handoff: Promise<string | null> | null = null;

/** Once per page load, however often the bootstrap runs (the code works once). */
function consumeHandoff(): Promise<string | null> {
  handoff ??= exchangeHandoff();
  return handoff;
}

async function exchangeHandoff(): Promise<string | null> {
  const hash = new URLSearchParams(location.hash.slice(1));
  const code = hash.get(HANDOFF_PARAM);
  if (!code) return null;
  history.replaceState(history.state, '', location.pathname === '/welcome' ? '/' : location.pathname + location.search);
  try {
    await api.handoff(code);
    return null;
  } catch (err) {
    return err instanceof ApiError && err.status >= 400 && err.status < 500
      ? 'That sign-in link has expired or was already used. Sign in with your email and password.'
      : 'Could not finish signing you in. Sign in with your email and password.';
  }
}

export async function loadBootstrap(): Promise<BootState> {
  const handoffProblem = await consumeHandoff();
  try {
    const res = await api.bootstrap();
    if (!res.tenant) return { kind: 'platform', platform: res.platform };
    // Suspended for non-payment, the host still answers (so owners can pay), but nobody can
    // chat: the app shows the suspension, and to owners and admins the way to pay.
    if (res.tenant.status === 'suspended') return { kind: 'unavailable', error: billingSuspension(res.tenant), session: res.session };
    return { kind: 'workspace', tenant: res.tenant, session: res.session, notice: handoffProblem };
  } catch (err) {
    const error = err instanceof ApiError ? err : new ApiError(0, 'network_error', String(err));
    if (WORKSPACE_STATE_CODES.has(error.code)) return { kind: 'unavailable', error };
    return { kind: 'failed', error };
  }
}

function billingSuspension(tenant: Tenant): ApiError {
  return new ApiError(403, 'tenant_suspended', `The workspace "${tenant.name}" is suspended because its subscription is not paid.`, { reason: 'billing' });
}
