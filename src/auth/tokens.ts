import { b64url } from './password';

/**
 * Secrets handed out once (invitation links, sign-in handoffs, socket tickets): random bytes as
 * base64url, and the SHA-256 under which they are kept, so a leaked table or object storage
 * cannot be turned back into working links.
 */
export function randomToken(bytes = 32): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}
