import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors';
import type { AppEnv } from '../env';
import type { FieldIssue } from './errors';

/**
 * Text that Postgres cannot store never gets past the edge. PostgreSQL's `text` and `jsonb`
 * refuse the NUL character (U+0000), and a lone UTF-16 surrogate (which JSON's `\ud800` escape
 * can produce) is not Unicode at all: either would reach the database as an error. Every text
 * the API takes — JSON bodies (`jsonBody`), query parameters and path segments (`saneRequest`),
 * Stripe's events — is checked here, so no route can forget it.
 */

/** What is wrong with a piece of text, or null when any database can store it. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (!s.isWellFormed()) return 'is not valid Unicode text (a lone surrogate)';
  return null;
}

/** How deep a JSON body may nest; none of ours goes past 4. */
export const MAX_JSON_DEPTH = 32;

/**
 * Every string (values and keys) in a parsed JSON value that cannot be stored, with its path,
 * and a refusal when the value nests deeper than MAX_JSON_DEPTH. Iterative, so a hostile
 * nesting cannot exhaust the stack.
 */
export function jsonTextIssues(value: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: { v: unknown; path: string[]; depth: number }[] = [{ v: value, path: [], depth: 0 }];
  while (stack.length && issues.length < 20) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) issues.push({ path: path.join('.'), message: problem });
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      issues.push({ path: path.join('.'), message: `nests deeper than ${MAX_JSON_DEPTH} levels` });
      continue;
    }
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [key, child] of entries) {
      const keyProblem = textProblem(key);
      if (keyProblem) issues.push({ path: [...path, key.toWellFormed().replace(/\u0000/g, '\\0')].join('.'), message: `key ${keyProblem}` });
      stack.push({ v: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return issues;
}

export function invalidText(issues: FieldIssue[]): DomainError {
  return new DomainError('validation_failed', 'The request is not valid.', { issues });
}

function decodedPath(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null; // malformed percent-encoding, e.g. `%ff` or a lone `%`
  }
}

/**
 * Refuses a request whose path or query string holds text no route can use: malformed
 * percent-encoding, NUL characters, lone surrogates. Query parameters are named in the error.
 *
 * @example
 * app.use(saneRequest())
 */
export function saneRequest(): MiddlewareHandler<AppEnv> {
  return async function saneRequestMiddleware(c, next) {
    const url = new URL(c.req.url);
    const path = decodedPath(url.pathname);
    if (path === null || textProblem(path)) {
      throw new DomainError('bad_request', 'The request path is not valid text (malformed percent-encoding or a NUL character).');
    }
    const issues: FieldIssue[] = [];
    for (const [name, value] of url.searchParams) {
      const problem = textProblem(name) ?? textProblem(value);
      if (problem) issues.push({ path: name.toWellFormed().replace(/\u0000/g, '\\0'), message: problem });
    }
    if (issues.length) throw invalidText(issues);
    return next();
  };
}
