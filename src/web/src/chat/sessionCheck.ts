import { api } from '../api/endpoints';
import { ApiError } from '../api/errors';
import { WORKSPACE_STATE_CODES } from '../tenant/bootstrap';

/**
 * Why a socket's handshakes keep failing, asked over HTTP: a browser reports a refused upgrade
 * (401, 403, 404) only as a close with code 1006, the same as a network that is down. The API's
 * answer to an ordinary request tells them apart.
 */
export type SessionState = 'signed-in' | 'ended' | 'workspace-unusable' | 'unknown';

export async function checkSession(): Promise<SessionState> {
  try {
    await api.me();
    return 'signed-in';
  } catch (err) {
    return sessionStateOf(err);
  }
}

/** What a failed request says about the session: ended (401), the workspace unusable (its state's codes), or nothing certain. */
export function sessionStateOf(err: unknown): SessionState {
  if (!(err instanceof ApiError)) return 'unknown';
  if (err.status === 401) return 'ended';
  if (WORKSPACE_STATE_CODES.has(err.code)) return 'workspace-unusable';
  return 'unknown';
}
