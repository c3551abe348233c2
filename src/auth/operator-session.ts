import { sign, verify } from 'hono/jwt';
import type { Config } from '../config';
import { b64url, timingSafeEqual } from './password';

/**
 * Operator sessions: what the operator console's cookie holds, so that the browser never keeps
 * the platform admin token itself. A short-lived HS256 JWT `{typ: 'operator', iat, exp}`.
 *
 * It is signed with a key derived from SESSION_SECRET *and* PLATFORM_ADMIN_TOKEN (an HMAC of
 * the token under the secret) rather than with SESSION_SECRET alone:
 *  - rotating either secret ends every operator session at once (the signature no longer
 *    verifies), which is what rotating the admin token after a leak must do;
 *  - nothing about the admin token is in the cookie, not even a hash of it;
 *  - a user session (signed with SESSION_SECRET itself) never verifies as an operator session
 *    and an operator session never verifies as a user session; the `typ` claims differ as well
 *    (`session` for users, see ./session.ts), so neither check alone is relied upon.
 */
export const OPERATOR_COOKIE = 'nchat_operator';
/** Sent with API requests only: the console's pages and assets do not need it. */
export const OPERATOR_COOKIE_PATH = '/api';
export const OPERATOR_SESSION_HOURS = 8;

export interface OperatorSession {
  issuedAt: Date;
  expiresAt: Date;
}

type Secrets = Pick<Config, 'SESSION_SECRET' | 'PLATFORM_ADMIN_TOKEN'>;

const KEY_LABEL = 'nchat operator session\n';

/** One derived key per isolate: the secrets only change with a new deployment (a new isolate). */
let cachedKey: { secret: string; token: string; key: Promise<string> } | null = null;

function signingKey(secrets: Secrets): Promise<string> {
  if (cachedKey?.secret !== secrets.SESSION_SECRET || cachedKey.token !== secrets.PLATFORM_ADMIN_TOKEN) {
    cachedKey = { secret: secrets.SESSION_SECRET, token: secrets.PLATFORM_ADMIN_TOKEN, key: deriveKey(secrets) };
  }
  return cachedKey.key;
}

async function deriveKey(secrets: Secrets): Promise<string> {
  const enc = new TextEncoder();
  const hmac = await crypto.subtle.importKey('raw', enc.encode(secrets.SESSION_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, enc.encode(KEY_LABEL + secrets.PLATFORM_ADMIN_TOKEN))));
}

export async function signOperatorSession(secrets: Secrets, now = Date.now(), lifetimeHours = OPERATOR_SESSION_HOURS): Promise<{ token: string; session: OperatorSession }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + lifetimeHours * 3600;
  const token = await sign({ typ: 'operator', iat, exp }, await signingKey(secrets), 'HS256');
  return { token, session: { issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) } };
}

/** The session in `token` if it is a valid, unexpired operator session under the current secrets; null otherwise. Never throws. */
export async function verifyOperatorSession(secrets: Secrets, token: string): Promise<OperatorSession | null> {
  try {
    const payload = await verify(token, await signingKey(secrets), 'HS256');
    if (payload.typ !== 'operator' || typeof payload.iat !== 'number' || typeof payload.exp !== 'number') return null;
    return { issuedAt: new Date(payload.iat * 1000), expiresAt: new Date(payload.exp * 1000) };
  } catch {
    return null;
  }
}

/**
 * Whether `candidate` is the platform admin token, in time independent of where they differ and
 * of either's length (both are hashed first, so the comparison is always of 32 bytes).
 */
export async function isPlatformAdminToken(candidate: string, secrets: Pick<Config, 'PLATFORM_ADMIN_TOKEN'>): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(candidate), adminTokenDigest(secrets.PLATFORM_ADMIN_TOKEN)]);
  return timingSafeEqual(a, b);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The admin token's digest, once per isolate: every bearer request is compared with it. */
let cachedDigest: { token: string; digest: Promise<Uint8Array> } | null = null;

function adminTokenDigest(token: string): Promise<Uint8Array> {
  if (cachedDigest?.token !== token) cachedDigest = { token, digest: sha256(token) };
  return cachedDigest.digest;
}
