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

  /**
   * The field errors a form can show at its fields, and the rest as one sentence for the form
   * itself (an issue on a path the form has no field for must not be dropped).
   */
  fieldErrorsFor<K extends string>(shown: readonly K[]): { fields: Partial<Record<K, string>>; other: string | null } {
    const fields: Partial<Record<K, string>> = {};
    const other: string[] = [];
    for (const [path, message] of Object.entries(this.fieldErrors())) {
      const field = path.split('.')[0] as K;
      if (shown.includes(field)) fields[field] = fields[field] ? `${fields[field]}; ${message}` : message;
      else other.push(path ? `${path}: ${message}` : message);
    }
    // A validation failure without any issue listed still says something.
    if (!other.length && !Object.keys(fields).length) other.push(this.message);
    return { fields, other: other.length ? other.join(' ') : null };
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
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: described by status below */
  }
  return errorFromBody(res.status, body, (name) => res.headers.get(name), `The server answered ${res.status} ${res.statusText}.`);
}

/**
 * The one reading of the API's error answer, for fetch and XMLHttpRequest alike: the body's
 * `{error: {code, message, details, requestId}}`, the wait from Retry-After or, failing that,
 * `details.retryAfterSeconds`, and the request id from the body or the header.
 */
export function errorFromBody(status: number, body: unknown, header: (name: string) => string | null, fallbackMessage: string): ApiError {
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown>; requestId?: string } } | null)?.error;
  const details = error?.details;
  const retryHeader = header('retry-after');
  const retryFromHeader = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  const retryFromDetails = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  return new ApiError(status, error?.code ?? `http_${status}`, error?.message ?? fallbackMessage, details, error?.requestId ?? header('x-request-id'), retryFromHeader ?? retryFromDetails);
}
