/**
 * Every failed request becomes an ApiError: the API's own `{error: {code, message, details,
 * requestId}}`, or a code of ours for what never reached it (offline, a body that is not JSON).
 */

export interface FieldIssue {
  path: string;
  message: string;
}

export interface PlanLimitDetails {
  resource: string;
  limit: number;
  used: number;
  plan: string;
  upgrade: boolean;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined = undefined,
    readonly requestId: string | null = null,
    /** Seconds the server asked us to wait (Retry-After or details.retryAfterSeconds). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  /** `details.issues` of a 400 validation_failed, by field path (`slug`, `memberIds.0`, ...). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const issues = this.details?.issues;
    if (!Array.isArray(issues)) return out;
    for (const issue of issues as FieldIssue[]) {
      const key = String(issue.path ?? '');
      out[key] = out[key] ? `${out[key]}; ${issue.message}` : issue.message;
    }
    return out;
  }

  planLimit(): PlanLimitDetails | null {
    if (this.code !== 'plan_limit' || !this.details) return null;
    return this.details as unknown as PlanLimitDetails;
  }

  get isNetwork(): boolean {
    return this.code === 'network_error';
  }
}

/** A readable sentence for any error (what a toast or a form shows). */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.isNetwork) return 'Could not reach the server. Check your connection and try again.';
    if (err.code === 'rate_limited' && err.retryAfterSeconds) return `Too many requests. Try again in ${formatWait(err.retryAfterSeconds)}.`;
    return err.message || `Request failed (${err.status}).`;
  }
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** Builds an ApiError from a non-2xx response (JSON error body or not). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const retryHeader = res.headers.get('retry-after');
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: described by status below */
  }
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown>; requestId?: string } } | null)?.error;
  const details = error?.details;
  const retryFromDetails = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  const retryFromHeader = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  return new ApiError(
    res.status,
    error?.code ?? `http_${res.status}`,
    error?.message ?? `The server answered ${res.status} ${res.statusText}.`,
    details,
    error?.requestId ?? res.headers.get('x-request-id'),
    retryFromHeader ?? retryFromDetails,
  );
}
