import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { ConfigError } from '../config';
import { classifyDatabaseError, isSessionRevoked } from '../db/errors';
import type { AppEnv } from '../env';

/**
 * One error shape everywhere:
 *   { "error": { "code": "plan_limit", "message": "...", "details": { ... } } }
 * Thrown as ApiError (an HTTPException that carries our code) and rendered by `onError`.
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(status, { message });
    this.name = 'ApiError';
  }
}

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
  if (err instanceof ApiError) {
    if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    const status = err.status as ContentfulStatusCode;
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

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
