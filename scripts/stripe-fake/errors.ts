/**
 * Errors in Stripe's shape, so the SDK raises the same error classes it would against the real
 * API (StripeInvalidRequestError for 400/404, StripeAuthenticationError for 401, StripeAPIError
 * for 5xx), with the same `type`, `code` and `param` the Worker's code may inspect.
 */
export type StripeErrorType = 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'rate_limit_error' | 'authentication_error';

export interface StripeErrorBody {
  error: {
    type: StripeErrorType;
    message: string;
    code?: string;
    param?: string;
    doc_url?: string;
  };
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: StripeErrorType,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }

  toBody(): StripeErrorBody {
    return {
      error: {
        type: this.type,
        message: this.message,
        ...(this.code ? { code: this.code, doc_url: `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}` } : {}),
        ...(this.param ? { param: this.param } : {}),
      },
    };
  }
}

/** `No such customer: 'cus_x'`, as Stripe words it: 404 on a path id, 400 when a parameter names it. */
export function noSuchObject(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(param ? 400 : 404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', param ?? 'id');
}

export function missingParam(param: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', `Missing required param: ${param}.`, 'parameter_missing', param);
}

export function invalidParam(param: string, message: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', message, 'parameter_invalid', param);
}

export function unknownRoute(method: string, path: string): StripeApiError {
  // Stripe answers an unknown URL with 404 invalid_request_error and no code.
  return new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}). (This local Stripe fake implements only the endpoints nchat calls.)`);
}
