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
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
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
    const wait = rateLimitWait(error, attempt);
    if (wait === null) throw error;
    await waitOutRateLimit(wait, options.signal);
  }
}

/**
 * Seconds to wait before trying again, when `error` is a short `rate_limited` and this is not
 * yet the last retry; null when the error goes to the caller (and the person).
 */
export function rateLimitWait(error: ApiError, attempt: number): number | null {
  if (error.code !== 'rate_limited' || attempt >= MAX_RATE_LIMIT_RETRIES) return null;
  const wait = error.retryAfterSeconds ?? 1;
  return wait <= MAX_AUTOMATIC_WAIT_SECONDS ? wait : null;
}

/** Waits `seconds` with the "slowing down" banner up (rejects with AbortError if `signal` aborts). */
export function waitOutRateLimit(seconds: number, signal?: AbortSignal): Promise<void> {
  notices.rateLimited(Date.now() + seconds * 1000);
  return sleep(seconds * 1000, signal);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
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
  put: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PUT', path, body, options),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options),
};

/** `?a=1&b=2` from the defined entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
