/**
 * The one error type of the domain. Services, use cases, middleware and the chat rooms throw
 * (or, across an RPC boundary, return) a DomainError: a code from the catalogue below, a
 * sentence for people, and details for programs. Which HTTP status a code becomes is decided in
 * one place, `src/http/errors.ts` (`HTTP_STATUS`), and rendered by `app.onError`.
 *
 * A new failure gets a code here; TypeScript then insists on its status there.
 */
export const ERROR_CODES = [
  // The request itself
  'bad_request',
  'validation_failed',
  'invalid_json',
  'invalid_input',
  'invalid_cursor',
  'invalid_period',
  'invalid_multipart',
  'invalid_return_url',
  'invalid_since',
  'empty_file',
  'payload_too_large',
  'unsupported_media_type',
  'length_required',
  'upgrade_required',
  'cross_origin_request',
  // Who is calling
  'unauthorized',
  'invalid_session',
  'session_revoked',
  'invalid_credentials',
  'invalid_ticket',
  'invalid_handoff',
  'wrong_password',
  'forbidden',
  'forbidden_field',
  'not_a_member',
  // What they name
  'not_found',
  'tenant_not_found',
  'channel_not_found',
  'message_not_found',
  'user_not_found',
  'attachment_not_found',
  'invitation_not_found',
  'domain_not_found',
  // The state it is in
  'conflict',
  'slug_taken',
  'domain_taken',
  'channel_name_taken',
  'channel_archived',
  'message_deleted',
  'invalid_parent',
  'invalid_attachment',
  'already_member',
  'already_invited',
  'user_deactivated',
  'cannot_deactivate_self',
  'last_owner',
  'invitation_already_accepted',
  'invitation_already_revoked',
  'invitation_used',
  'invitation_revoked',
  'invitation_expired',
  // The workspace and its plan
  'tenant_suspended',
  'tenant_cancelled',
  'tenant_pending',
  'feature_not_in_plan',
  'plan_limit',
  'payment_required',
  'rate_limited',
  'quota_exceeded',
  // Billing
  'no_billing_account',
  'no_subscription',
  'subscription_exists',
  'missing_signature',
  'invalid_signature',
  'invalid_payload',
  // What we depend on
  'billing_unavailable',
  'storage_unavailable',
  'stripe_error',
  'domains_unavailable',
  'cloudflare_error',
  'webhook_failed',
  'not_stored',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The plain-data form of a DomainError: what crosses an RPC boundary or goes into a socket frame. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** The error as data (Durable Object RPC keeps only an Error's message and name). */
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
  }

  static from(info: ErrorInfo): DomainError {
    return new DomainError(info.code, info.message, info.details);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
