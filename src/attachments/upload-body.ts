import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import type { PlanId } from '../db/schema';
import { upgradeAvailable } from '../tenancy/entitlements';
import { filenameFromRequest, normalizeContentType, sanitizeFilename } from './filename';

/**
 * Reading an upload from the request, in one of two forms:
 *
 *  - raw body: the bytes are the file, `Content-Type` is its type, and its name comes from the
 *    `filename` query parameter, an `X-Filename` header (percent-encoded UTF-8) or
 *    `Content-Disposition: attachment; filename*=UTF-8''...` (see filenameFromRequest). With a
 *    `Content-Length` the body is streamed to R2 without being held in memory, up to the plan's
 *    per-file limit. Without one it is buffered, up to IN_MEMORY_MAX_BYTES.
 *  - `multipart/form-data` with a `file` field (a browser form or `FormData`); its name is the
 *    part's file name unless `?filename=` overrides it. The Workers runtime parses a form in
 *    memory, so multipart bodies are limited to IN_MEMORY_MAX_BYTES and must carry a
 *    `Content-Length`.
 *
 * Sizes are refused (413) before anything is read when the declared length already says so.
 */

/** Bodies held in memory (multipart, or raw without Content-Length): a Worker has 128 MB in all. */
export const IN_MEMORY_MAX_BYTES = 32 * 1024 * 1024;
/** R2's limit for a single PUT; also the ceiling when a plan sets no per-file limit. */
export const SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;
/** What a multipart envelope may add to a file: boundaries and part headers. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface UploadBody {
  /** What R2 receives: the request's own (known-length) stream, or bytes read into memory. */
  data: ReadableStream | ArrayBuffer | Blob;
  /** Exact size in bytes (the declared Content-Length for a stream; the runtime enforces it). */
  size: number;
  contentType: string;
  filename: string;
}

export interface SizeLimit {
  /** Per-file bytes. */
  maxBytes: number;
  /** For the 413's details. */
  plan: PlanId;
  /** The plan's own limit (null: none); maxBytes may be lower for technical reasons. */
  planLimit: number | null;
}

function isMultipart(c: Context<AppEnv>): boolean {
  return /^multipart\/form-data\s*(;|$)/i.test(c.req.header('content-type') ?? '');
}

function declaredLength(c: Context<AppEnv>): number | null {
  const raw = c.req.header('content-length');
  if (raw === undefined || !/^\d{1,16}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

export function tooLarge(limit: SizeLimit, maxBytes = limit.maxBytes, hint?: string): DomainError {
  return new DomainError('payload_too_large', `The file is larger than the ${formatBytes(maxBytes)} allowed per upload.${hint ? ` ${hint}` : ''}`, {
    limit: maxBytes,
    plan: limit.plan,
    // An upgrade helps only when the plan's own per-file size is what stopped the file.
    upgrade: limit.planLimit !== null && maxBytes >= limit.planLimit && upgradeAvailable(limit.plan),
  });
}

export function emptyFile(): DomainError {
  return new DomainError('empty_file', 'The file is empty.');
}

/**
 * Refusals that need only the headers, made before any database or R2 work: a declared size
 * over the limit (413), an empty raw body (400), a multipart body without a length (411).
 * Returns the declared size of a raw body, if any (multipart: null — the file's own size is
 * known only once the form is parsed).
 */
export function precheckUpload(c: Context<AppEnv>, limit: SizeLimit): number | null {
  const length = declaredLength(c);
  if (isMultipart(c)) {
    if (length === null) throw new DomainError('length_required', 'A multipart upload needs a Content-Length header.');
    const cap = Math.min(limit.maxBytes, IN_MEMORY_MAX_BYTES);
    if (length > cap + MULTIPART_OVERHEAD_BYTES) throw tooLarge(limit, cap, multipartHint(limit));
    return null;
  }
  if (length === null) return null;
  if (length === 0) throw emptyFile();
  if (length > limit.maxBytes) throw tooLarge(limit);
  return length;
}

function multipartHint(limit: SizeLimit): string | undefined {
  return limit.maxBytes > IN_MEMORY_MAX_BYTES ? 'Send larger files as the raw request body with a Content-Length instead of a form.' : undefined;
}

/** The upload itself; call after precheckUpload and the access checks. */
export async function readUpload(c: Context<AppEnv>, limit: SizeLimit): Promise<UploadBody> {
  const queryName = c.req.query('filename');
  if (isMultipart(c)) return readMultipart(c, limit, queryName);

  const contentType = normalizeContentType(c.req.header('content-type'));
  const filename = sanitizeFilename(filenameFromRequest(queryName, c.req.raw.headers));
  const body = c.req.raw.body;
  if (!body) throw emptyFile();
  const length = declaredLength(c);
  if (length !== null) return { data: body, size: length, contentType, filename };

  // No declared length: R2 needs one for a stream, so read it, within the in-memory bound.
  const cap = Math.min(limit.maxBytes, IN_MEMORY_MAX_BYTES);
  const bytes = await readBounded(body, cap, () =>
    cap < limit.maxBytes
      ? new DomainError('length_required', `Files over ${formatBytes(cap)} need a Content-Length header.`)
      : tooLarge(limit),
  );
  if (bytes.byteLength === 0) throw emptyFile();
  return { data: bytes, size: bytes.byteLength, contentType, filename };
}

async function readMultipart(c: Context<AppEnv>, limit: SizeLimit, queryName: string | undefined): Promise<UploadBody> {
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new DomainError('invalid_multipart', 'The multipart body could not be parsed.');
  }
  const file = form.get('file');
  if (file === null || typeof file === 'string') {
    throw new DomainError('validation_failed', 'The request is not valid.', { issues: [{ path: 'file', message: 'a file field named "file" is required' }] });
  }
  if (file.size === 0) throw emptyFile();
  const cap = Math.min(limit.maxBytes, IN_MEMORY_MAX_BYTES);
  if (file.size > cap) throw tooLarge(limit, cap, multipartHint(limit));
  return {
    data: file,
    size: file.size,
    contentType: normalizeContentType(file.type),
    filename: sanitizeFilename(queryName || file.name),
  };
}

/** Reads a stream into memory, giving up (with `onTooLarge()`) as soon as it passes `max` bytes. */
async function readBounded(stream: ReadableStream<Uint8Array>, max: number, onTooLarge: () => DomainError): Promise<ArrayBuffer> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw onTooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}
