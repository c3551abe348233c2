import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The HTTP plumbing the local fakes of outside services share (scripts/stripe-fake,
 * scripts/cloudflare-fake): reading a bounded body, answering JSON, and matching a route table.
 */
export const MAX_FAKE_BODY_BYTES = 1 << 20;

export function readBody(req: IncomingMessage, maxBytes = MAX_FAKE_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A route of a fake: a method and an anchored pattern whose capture groups are ids. */
export interface PatternRoute {
  method: string;
  pattern: RegExp;
}

/** The route for `method path` and its URL-decoded ids; `methodNotAllowed` when only the path matched. */
export function matchRoute<R extends PatternRoute>(routes: R[], method: string, path: string): { route: R; ids: string[] } | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return { route, ids: m.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}
