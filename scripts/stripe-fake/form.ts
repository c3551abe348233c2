/**
 * Request parameters as Stripe receives them. The SDK sends POST bodies as
 * application/x-www-form-urlencoded and GET/DELETE parameters in the query string, both with
 * bracket notation (`line_items[0][price]=…`, `metadata[tenant_id]=…`, `expand[0]=subscription`,
 * `expand[]=…`); qs turns that into the nested objects and arrays Stripe's API works on.
 * Every leaf stays a string, as on the wire: readers below convert where a field is a number or
 * a boolean.
 */
import qs from 'qs';
import { invalidParam } from './errors';

export type ParamValue = string | ParamValue[] | Params;
export interface Params {
  [key: string]: ParamValue | undefined;
}

/** Parses a form body or query string (without the leading `?`). */
export function parseParams(text: string): Params {
  if (!text) return {};
  // Stripe's own limits are generous; these only guard against pathological input.
  return qs.parse(text, { depth: 20, arrayLimit: 1000, parameterLimit: 10_000 }) as Params;
}

export function isParams(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readString(params: Params, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

export function readObject(params: Params, key: string): Params | undefined {
  const value = params[key];
  return isParams(value) ? value : undefined;
}

/** An array param: qs gives an array for `a[0]=…` and `a[]=…`, an object if indices are sparse or huge. */
export function readList(params: Params, key: string): ParamValue[] {
  const value = params[key];
  if (Array.isArray(value)) return value;
  if (isParams(value)) return Object.values(value).filter((v): v is ParamValue => v !== undefined);
  if (typeof value === 'string') return [value];
  return [];
}

/** Stripe accepts `true`/`false` for booleans; anything else is a parameter error. */
export function readBoolean(params: Params, key: string): boolean | undefined {
  const value = readString(params, key);
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidParam(key, `Invalid boolean: ${value}`);
}

export function readInteger(params: Params, key: string): number | undefined {
  const value = readString(params, key);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw invalidParam(key, `Invalid integer: ${value}`);
  return n;
}

/**
 * Metadata as Stripe applies it on update: each key set to its string value, and a key sent as
 * an empty string (`metadata[key]=`) removed.
 */
export function mergeMetadata(current: Record<string, string>, update: Params | undefined): Record<string, string> {
  if (!update) return current;
  const next = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (typeof value !== 'string') continue;
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The `expand[]` list of a request, as dotted paths. */
export function readExpand(params: Params): string[] {
  return readList(params, 'expand').filter((v): v is string => typeof v === 'string');
}
