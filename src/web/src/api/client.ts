import { ApiError, errorFromResponse } from './errors';
import { notices } from '../lib/notices';

/**
 * The one way the app calls the API: same-origin fetch (the HttpOnly session cookie goes with
 * it; the app never sees the token), JSON in and out, every failure an ApiError.
 *
 * A 429 `rate_limited` is waited out and retried by itself when the wait is short (the server
 * says how long: Retry-After or details.retryAfterSeconds); a longer one is handed to the caller
 * with the wait, so the person sees it. A monthly quota (`quota_exceeded`) is never retried.
 */

const MAX_AUTOMATIC_WAIT_SECONDS = 30;
const MAX_RATE_LIMIT_RETRIES = 3;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Wait out short rate limits and retry (default true). */
  retryRateLimit?: boolean;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const retry = options.retryRateLimit ?? true;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, 'network_error', 'Could not reach the server.');
    }
    if (res.ok) {
      if (res.status === 204) return undefined as T;
      try {
        return (await res.json()) as T;
      } catch {
        throw new ApiError(res.status, 'bad_response', 'The server sent a response the app could not read.');
      }
    }
    const error = await errorFromResponse(res);
    const wait = error.retryAfterSeconds ?? 1;
    if (retry && error.code === 'rate_limited' && attempt < MAX_RATE_LIMIT_RETRIES && wait <= MAX_AUTOMATIC_WAIT_SECONDS) {
      notices.rateLimited(Date.now() + wait * 1000);
      await sleep(wait * 1000, options.signal);
      continue;
    }
    throw error;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    });
  });
}

export const http = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PATCH', path, body, options),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options),
};

/** `?a=1&b=2` from the defined entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
