import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError } from '../domain/errors';
import type { AppEnv } from '../env';
import { invalidText, jsonTextIssues } from './input';

/** No JSON body the API takes comes near this; route groups may set smaller limits. */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;

/**
 * The request's JSON body validated by `schema`. An empty body is `{}` (for routes whose fields
 * are all optional). Otherwise: a declared type other than JSON is a 415, more than 1 MiB a 413,
 * malformed JSON a 400 `invalid_json`, text a database cannot store (NUL, lone surrogates) or
 * absurd nesting a 400 `validation_failed`, and a body that does not fit the schema a 400
 * `validation_failed` listing each failing field (the ZodError is rendered by onError).
 */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > JSON_BODY_MAX_BYTES) throw tooLarge();
  const text = await c.req.text();
  if (text.length > JSON_BODY_MAX_BYTES) throw tooLarge();
  if (text.trim() === '') return schema.parse({});
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new DomainError('unsupported_media_type', `Send the body as application/json (got ${type.slice(0, 100)}).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DomainError('invalid_json', 'The request body is not valid JSON.');
  }
  const issues = jsonTextIssues(raw);
  if (issues.length) throw invalidText(issues);
  return schema.parse(raw);
}

function tooLarge(): DomainError {
  return new DomainError('payload_too_large', `The request body is larger than ${JSON_BODY_MAX_BYTES / 1024} KB.`);
}

/** The query string validated by `schema` (its text was checked by `saneRequest`). */
export function queryParams<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  return schema.parse(c.req.query());
}
