import { createContext, useCallback, useContext } from 'react';
import { ApiError, describeError } from '../api/errors';

/**
 * The operator's session as the console's pages see it. The session itself is an HttpOnly
 * cookie this code never reads; the console only learns that it ended from a 401, which sends
 * it back to the sign-in page (expired after 8 hours, signed out elsewhere, the admin token or
 * the session secret rotated).
 */
export interface OperatorSessionContext {
  /** The platform's own domain (workspaces are `<slug>.<baseDomain>`). */
  baseDomain: string;
  /** A call answered 401: show the sign-in page with `notice`. */
  sessionEnded(notice?: string): void;
}

export const SESSION_ENDED_NOTICE = 'Your operator session has ended. Sign in again with the platform admin token.';

export const OperatorContext = createContext<OperatorSessionContext | null>(null);

export function useOperator(): OperatorSessionContext {
  const ctx = useContext(OperatorContext);
  if (!ctx) throw new Error('useOperator outside the operator console');
  return ctx;
}

/**
 * The sentence to show for a failed call, after acting on what it means: a 401 is the session
 * ending (the console goes back to its sign-in page), anything else is for the page to show.
 */
export function useOperatorError(): (err: unknown) => string {
  const { sessionEnded } = useOperator();
  return useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) sessionEnded();
      return describeError(err);
    },
    [sessionEnded],
  );
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
