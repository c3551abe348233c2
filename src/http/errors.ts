import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { ConfigError } from '../config';
import { DomainError, type ErrorCode } from '../domain/errors';
import { classifyDatabaseError, isSessionRevoked } from '../db/errors';
import type { AppEnv } from '../env';

/**
 * One error shape everywhere:
 *   { "error": { "code": "plan_limit", "message": "...", "details": { ... } } }
 * The domain throws DomainError (src/domain/errors.ts); `onError` renders it with the status
 * HTTP_STATUS gives its code. Hono's own middleware throws HTTPException, rendered by status.
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/**
 * The HTTP status of every domain error code: the one place where the domain's refusals become
 * HTTP. (Exhaustive: a code added to the catalogue without a status here does not compile.)
 */
export const HTTP_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  invalid_input: 400,
  invalid_cursor: 400,
  invalid_period: 400,
  invalid_multipart: 400,
  invalid_return_url: 400,
  invalid_since: 400,
  empty_file: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  length_required: 411,
  upgrade_required: 426,
  cross_origin_request: 403,
  unauthorized: 401,
  invalid_session: 401,
  session_revoked: 401,
  invalid_credentials: 401,
  invalid_ticket: 401,
  invalid_handoff: 401,
  wrong_password: 403,
  forbidden: 403,
  forbidden_field: 403,
  not_a_member: 403,
  not_found: 404,
  tenant_not_found: 404,
  channel_not_found: 404,
  domain_not_found: 404,
  message_not_found: 404,
  user_not_found: 404,
  attachment_not_found: 404,
  invitation_not_found: 404,
  conflict: 409,
  slug_taken: 409,
  domain_taken: 409,
  channel_name_taken: 409,
  channel_archived: 409,
  message_deleted: 409,
  invalid_parent: 400,
  invalid_attachment: 400,
  already_member: 409,
  already_invited: 409,
  user_deactivated: 409,
  cannot_deactivate_self: 409,
  last_owner: 409,
  invitation_already_accepted: 409,
  invitation_already_revoked: 409,
  invitation_used: 410,
  invitation_revoked: 410,
  invitation_expired: 410,
  tenant_suspended: 403,
  tenant_cancelled: 410,
  tenant_pending: 403,
  feature_not_in_plan: 403,
  plan_limit: 402,
  payment_required: 402,
  rate_limited: 429,
  quota_exceeded: 429,
  no_billing_account: 409,
  no_subscription: 409,
  subscription_exists: 409,
  missing_signature: 400,
  invalid_signature: 400,
  invalid_payload: 400,
  billing_unavailable: 503,
  storage_unavailable: 503,
  stripe_error: 502,
  domains_unavailable: 503,
  cloudflare_error: 502,
  webhook_failed: 500,
  not_stored: 503,
  internal_error: 500,
};

/** Codes for statuses that reach us as a plain HTTPException (from Hono's own middleware). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

export function errorJson(c: Context<AppEnv>, status: ContentfulStatusCode, code: string, message: string, details?: unknown) {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }), requestId: c.get('requestId') } };
  return c.json(body, status);
}

/** Errors a person may meet in a browser by typing an address: they get a readable page. */
const PAGE_CODES = new Set(['tenant_not_found', 'tenant_suspended', 'tenant_cancelled', 'tenant_pending']);

function prefersHtml(c: Context<AppEnv>): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('text/html') && !c.req.path.startsWith('/api/');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

function errorPage(c: Context<AppEnv>, status: ContentfulStatusCode, title: string, message: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}small{color:#777}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><small>Request ${escapeHtml(c.get('requestId') ?? '')}</small></p></body></html>`;
  return c.html(html, status);
}

const PAGE_TITLES: Record<string, string> = {
  tenant_not_found: 'Workspace not found',
  tenant_suspended: 'Workspace suspended',
  tenant_cancelled: 'Workspace cancelled',
  tenant_pending: 'Workspace not active yet',
};

/** The app's single error handler: every thrown error becomes the JSON shape, never a stack trace. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof DomainError) {
    const status = HTTP_STATUS[err.code];
    const retryAfter = retryAfterOf(err.details);
    if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
    if (PAGE_CODES.has(err.code) && prefersHtml(c)) return errorPage(c, status, PAGE_TITLES[err.code] ?? 'Error', err.message);
    return errorJson(c, status, err.code, err.message, err.details);
  }
  if (err instanceof ZodError) {
    return errorJson(c, 400, 'validation_failed', 'The request is not valid.', { issues: zodIssues(err) });
  }
  if (err instanceof ConfigError) {
    c.get('log')?.error('config_error', { problems: err.problems });
    // Variable names are not secret and tell the operator what to fix; values are never shown.
    return errorJson(c, 500, 'config_error', 'The server is misconfigured.', { variables: err.problems });
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorJson(c, status, CODE_BY_STATUS[status] ?? 'http_error', err.message || 'Request failed.');
  }
  if (isSessionRevoked(err)) {
    return errorJson(c, 401, 'session_revoked', 'This session has ended (signed out, changed, or the account was deactivated). Sign in again.');
  }
  const db = classifyDatabaseError(err);
  if (db === 'unavailable') {
    c.get('log')?.error('database_unavailable', { error: describe(err) });
    return errorJson(c, 503, 'database_unavailable', 'The database is unavailable. Try again shortly.');
  }
  if (db === 'input') {
    // The client sent something our validation let through: their request is refused (a 400,
    // not a 500), and the gap is logged as an error, to be closed at the edge.
    c.get('log')?.error('input_reached_database', { error: describe(err), path: c.req.path });
    return errorJson(c, 400, 'invalid_input', 'A value in the request could not be used. Check the fields and try again.');
  }
  if (db === 'busy') {
    c.header('Retry-After', '1');
    return errorJson(c, 503, 'database_busy', 'The database is busy. Try again.');
  }
  c.get('log')?.error('unhandled_error', { error: describe(err), stack: err.stack });
  return errorJson(c, 500, 'internal_error', 'Something went wrong on our side.');
}

export function notFound(c: Context<AppEnv>): Response {
  return errorJson(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`);
}

export interface FieldIssue {
  path: string;
  message: string;
}

export function zodIssues(err: ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Refusals that say when to come back (rate limits, quotas) carry it in `details.retryAfterSeconds`. */
function retryAfterOf(details: unknown): number | undefined {
  const v = (details as { retryAfterSeconds?: unknown } | null | undefined)?.retryAfterSeconds;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.ceil(v) : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
