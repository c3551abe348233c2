/**
 * File names and content types as clients send them, made safe to store, to put in an R2 key
 * and to send back in a Content-Disposition header.
 */

export const MAX_FILENAME_LENGTH = 200;
export const DEFAULT_FILENAME = 'file';
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

// C0 and C1 controls, and the Unicode format characters that reorder or hide text: a name like
// "invoice\u202Efdp.exe" would otherwise display as "invoiceexe.pdf".
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * A file name fit to store and show: the last path segment only (some browsers send
 * `C:\Users\...\name.pdf`), no control or bidi-override characters, no slashes, trimmed, at most
 * MAX_FILENAME_LENGTH characters (code points, keeping the extension when one is visible), and
 * never empty, "." or "..". `null` or an empty result gives DEFAULT_FILENAME.
 */
export function sanitizeFilename(raw: string | null | undefined): string {
  if (!raw) return DEFAULT_FILENAME;
  // toWellFormed: a lone surrogate (from a percent-decoded query or a form field) becomes U+FFFD.
  let name = raw.toWellFormed().normalize('NFC').replace(UNSAFE_CHARS, '');
  name = name.split(/[\\/]/).filter((part) => part.trim() !== '').pop() ?? '';
  name = name.replace(/\s+/g, ' ').trim();
  if (name === '' || /^\.+$/.test(name)) return DEFAULT_FILENAME;
  return truncateKeepingExtension(name, MAX_FILENAME_LENGTH);
}

function truncateKeepingExtension(name: string, max: number): string {
  const chars = Array.from(name); // code points: never cut a surrogate pair in half
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 1 && ext.length <= 16) return chars.slice(0, max - ext.length).join('').trimEnd() + ext.join('');
  return chars.slice(0, max).join('').trimEnd();
}

/**
 * The file name a raw-body upload names, in order of precedence:
 *   1. the `filename` query parameter (`?filename=report%20Q1.pdf`);
 *   2. the `X-Filename` header, percent-encoded UTF-8 (`X-Filename: r%C3%A9sum%C3%A9.pdf`;
 *      plain ASCII works as is);
 *   3. `Content-Disposition: attachment; filename*=UTF-8''...` or `filename="..."`.
 * Unsanitised; `null` when none is given.
 */
export function filenameFromRequest(query: string | undefined, headers: Headers): string | null {
  if (query) return query;
  const header = headers.get('x-filename');
  if (header) return percentDecode(header);
  const disposition = headers.get('content-disposition');
  return disposition ? filenameFromContentDisposition(disposition) : null;
}

/** The file name in a Content-Disposition value; `filename*` (RFC 6266/5987) wins over `filename`. */
export function filenameFromContentDisposition(value: string): string | null {
  const extended = /(?:^|;)\s*filename\*\s*=\s*([^']*)'[^']*'([^;]*)/i.exec(value);
  if (extended) {
    const charset = extended[1]!.trim().toLowerCase();
    const encoded = extended[2]!.trim();
    if (charset === 'utf-8') return percentDecode(encoded);
    if (charset === 'iso-8859-1') return unescapeLatin1(encoded);
  }
  const quoted = /(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(value);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  const token = /(?:^|;)\s*filename\s*=\s*([^;\s]+)/i.exec(value);
  return token ? token[1]! : null;
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function unescapeLatin1(value: string): string {
  return value.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * `Content-Disposition: attachment` for a stored (already sanitised) name: an ASCII fallback in
 * `filename` for old clients and the exact name in `filename*` (RFC 6266). Always `attachment`:
 * uploaded files are downloaded, never rendered as a page of this origin.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(filename)}`;
}

function encodeRfc5987(value: string): string {
  // encodeURIComponent leaves ' ( ) * ! unescaped; RFC 5987's attr-char does not allow them.
  return encodeURIComponent(value).replace(/['()*!]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

// type "/" subtype, RFC 9110 tokens, with optional parameters (kept as sent, if well formed).
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

/** The content type to store: the client's, if it is a well-formed media type (≤ 200 chars), lowercased type/subtype. */
export function normalizeContentType(raw: string | null | undefined): string {
  const value = raw?.trim();
  if (!value || value.length > 200 || !MEDIA_TYPE.test(value)) return DEFAULT_CONTENT_TYPE;
  const semi = value.indexOf(';');
  return semi < 0 ? value.toLowerCase() : `${value.slice(0, semi).trim().toLowerCase()}${value.slice(semi)}`;
}
