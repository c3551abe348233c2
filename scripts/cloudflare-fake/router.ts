/**
 * The few pieces every route shares: what a handler is given, what it returns, and path
 * matching. Kept tiny on purpose: the fake has a dozen routes and no middleware.
 */
import type { CloudflareFakeState } from './state';

export interface RouteContext {
  state: CloudflareFakeState;
  /** The path's captured segments, URL-decoded, in order. */
  ids: string[];
  query: URLSearchParams;
  /** The JSON body (undefined when there was none). */
  body: unknown;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Anchored; each capture group is one path segment. */
  pattern: RegExp;
  handle(ctx: RouteContext): Promise<RouteResult> | RouteResult;
}

export const json = (body: unknown, status = 200): RouteResult => ({ status, body });

/** A path segment: no slash, URL-decoded by the matcher. */
export const SEGMENT = '([^/]+)';

export { matchRoute } from '../lib/fake-http';
