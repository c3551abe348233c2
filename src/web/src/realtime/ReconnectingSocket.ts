/**
 * A WebSocket that stays connected: reconnects with exponential backoff (with jitter, so a
 * room's clients do not all come back in the same millisecond), asks for a fresh URL on each
 * attempt (the caller puts the last sequence it has in `?since=`), keeps the connection alive
 * with pings, notices a dead one by silence, waits while the browser is offline, and stops for
 * good on the close codes that mean "do not come back" (docs/chat.md).
 */

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

/** Close codes after which reconnecting cannot help. */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4003, 4004, 4401, 4403]);

export interface ReconnectingSocketOptions<F> {
  /** The URL for the next attempt (read each time: `?since=` moves on). */
  url(): string;
  onFrame(frame: F): void;
  onStatus?(status: SocketStatus): void;
  /** A terminal close (4003, 4004, 4401, 4403): the socket does not reconnect. */
  onTerminal?(code: number, reason: string): void;
  pingIntervalMs?: number;
  /** No frame at all for this long after a ping: the connection is dead. */
  silenceTimeoutMs?: number;
}

const BASE_DELAY_MS = 400;
const MAX_DELAY_MS = 30_000;

export class ReconnectingSocket<F extends { type: string }> {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private stopped = false;
  private statusValue: SocketStatus = 'connecting';
  private readonly pingIntervalMs: number;
  private readonly silenceTimeoutMs: number;

  constructor(private readonly options: ReconnectingSocketOptions<F>) {
    this.pingIntervalMs = options.pingIntervalMs ?? 25_000;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? 10_000;
    window.addEventListener('online', this.handleOnline);
    window.addEventListener('offline', this.handleOffline);
    this.connect();
  }

  get status(): SocketStatus {
    return this.statusValue;
  }

  /** Sends a frame if the socket is open; false if it is not (the caller keeps it for later). */
  send(frame: object): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the connection and connects again now (a gap was noticed, or the caller asks). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.teardown(4000, 'reconnect');
    this.attempts = 0;
    this.connect();
  }

  close(): void {
    this.stopped = true;
    window.removeEventListener('online', this.handleOnline);
    window.removeEventListener('offline', this.handleOffline);
    this.teardown(1000, 'closed by the app');
    this.setStatus('closed');
  }

  private connect(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!navigator.onLine) return this.setStatus('offline');
    this.setStatus(this.attempts === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url());
    } catch {
      return this.scheduleRetry();
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      this.setStatus('open');
      this.startPings();
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      // A frame means the server took us: the next drop starts the backoff from the beginning.
      this.attempts = 0;
      let frame: F;
      try {
        frame = JSON.parse(String(event.data)) as F;
      } catch {
        return;
      }
      this.options.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPings();
      if (TERMINAL_CLOSE_CODES.has(event.code)) {
        this.stopped = true;
        this.setStatus('closed');
        this.options.onTerminal?.(event.code, event.reason);
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    if (!navigator.onLine) return this.setStatus('offline');
    this.setStatus('reconnecting');
    const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempts);
    const delay = this.attempts === 0 ? 0 : exp * (0.7 + Math.random() * 0.6);
    this.attempts++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private startPings(): void {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > this.pingIntervalMs + this.silenceTimeoutMs) {
        // Nothing came back, not even a pong: the connection is gone without a close.
        this.teardown(4000, 'silent');
        this.scheduleRetry();
        return;
      }
      this.send({ type: 'ping' });
    }, this.pingIntervalMs);
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private teardown(code: number, reason: string): void {
    this.stopPings();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
  }

  private setStatus(status: SocketStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.options.onStatus?.(status);
  }

  private readonly handleOnline = () => {
    if (this.stopped) return;
    this.attempts = 0;
    if (!this.ws) this.connect();
  };

  private readonly handleOffline = () => {
    if (this.stopped) return;
    this.teardown(4000, 'offline');
    this.setStatus('offline');
  };
}

/** `ws:` or `wss:` URL for an API path on this host. */
export function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}
