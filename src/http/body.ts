import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';

/**
 * The request's JSON body validated by `schema`. Malformed JSON is a 400 `invalid_json`;
 * a body that does not fit is a 400 `validation_failed` listing each failing field
 * (the ZodError is rendered by onError).
 */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new DomainError('invalid_json', 'The request body is not valid JSON.');
  }
  return schema.parse(raw);
}

/** The query string validated by `schema`. */
export function queryParams<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  return schema.parse(c.req.query());
}
