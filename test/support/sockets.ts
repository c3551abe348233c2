import { exports } from 'cloudflare:workers';

/** A WebSocket opened through the Worker (response.webSocket), with a queue of received frames. */
export interface TestSocket {
  ws: WebSocket;
  frames: Record<string, any>[];
  /** Resolves with the first frame (after those already consumed) that matches. */
  next(match: (f: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  send(frame: unknown): void;
  close(): void;
  closed: Promise<{ code: number; reason: string }>;
}

export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket?: TestSocket; body?: any }> {
  const res = await exports.default.fetch(new Request(url, { headers: { upgrade: 'websocket', ...headers } }));
  if (!res.webSocket) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body };
  }
  const ws = res.webSocket;
  ws.accept();
  const frames: Record<string, any>[] = [];
  const waiters: { match: (f: Record<string, any>) => boolean; resolve: (f: Record<string, any>) => void; from: number }[] = [];
  let consumed = 0;
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data)) as Record<string, any>;
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.match(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })));
  const socket: TestSocket = {
    ws,
    frames,
    next(match, timeoutMs = 5000) {
      const existing = frames.slice(consumed).find(match);
      if (existing) {
        consumed = frames.indexOf(existing) + 1;
        return Promise.resolve(existing);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`)), timeoutMs);
        waiters.push({
          match,
          from: consumed,
          resolve: (f) => {
            clearTimeout(timer);
            consumed = frames.indexOf(f) + 1;
            resolve(f);
          },
        });
      });
    },
    send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    close() {
      try {
        ws.close(1000, 'done');
      } catch {
        /* closed */
      }
    },
    closed,
  };
  return { status: 101, socket };
}
