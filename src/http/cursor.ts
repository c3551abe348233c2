import { b64url, fromB64url } from '../auth/password';
import { DomainError } from '../domain/errors';
import { isUuid } from './ids';
import { parseTimestamp } from './timestamp';
import { jsonTextIssues } from './input';

/**
 * Opaque pagination cursors: base64url of a small JSON object (UTF-8, so a display name can be
 * in one), and the one way a page of `limit + 1` rows becomes `{items, nextCursor}`.
 */
export function encodeCursor(value: Record<string, string | number>): string {
  return b64url(new TextEncoder().encode(JSON.stringify(value)));
}

function readCursor(cursor: string): Record<string, unknown> {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromB64url(cursor)));
    // A cursor is ours, but it comes back from the client: its text is checked like any input.
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && jsonTextIssues(value).length === 0) return value as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw invalidCursor();
}

function invalidCursor(): DomainError {
  return new DomainError('invalid_cursor', 'The cursor is not valid. Start again from the first page.');
}

/** A (created_at, id) cursor over uuid-keyed rows; `t` is the ISO text the page's last row had. */
export function decodeCursor(cursor: string): { t: string; id: string } {
  const { t, id } = readCursor(cursor);
  if (typeof t !== 'string' || parseTimestamp(t) === null || typeof id !== 'string' || !isUuid(id)) throw invalidCursor();
  return { t, id };
}

/** An id cursor over rows keyed by an identity column. */
export function decodeIdCursor(cursor: string): number {
  const { id } = readCursor(cursor);
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw invalidCursor();
  return id;
}

/** A (sort name, id) cursor over uuid-keyed rows sorted by a text key. */
export function decodeNameCursor(cursor: string): { n: string; id: string } {
  const { n, id } = readCursor(cursor);
  if (typeof n !== 'string' || n.length > 1000 || typeof id !== 'string' || !isUuid(id)) throw invalidCursor();
  return { n, id };
}

/** An offset cursor (lists whose order cannot be keyed, e.g. by a computed figure). */
export function decodeOffsetCursor(cursor: string): number {
  const { o } = readCursor(cursor);
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw invalidCursor();
  return o;
}

/** `rows` fetched with `limit + 1`: the page, and the cursor after its last row if there is more. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => Record<string, string | number>): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
