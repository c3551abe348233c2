/**
 * A WebSocket that stays connected: reconnects with exponential backoff, asks for a fresh URL on
 * each attempt (the caller puts the last sequence it has in `?since=`), keeps the connection
 * alive with pings, notices a dead one by silence, waits while the browser is offline, and stops
 * for good on the close codes that mean "do not come back" (docs/chat.md).
 *
 * Every reconnect waits a random time ("full jitter": anywhere from 0 to the backoff step), the
 * first one too: a deploy or a network blip drops every client at once, and they must not all
 * come back in the same moment. A handshake the server refuses is only a bare close 1006 to a
 * browser, like a network that is down, so after a few attempts in a row that ended before any
 * frame the caller is asked why (`checkRefusal`, over HTTP) instead of trying forever.
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
  /**
   * Several attempts in a row closed before a single frame: is the server refusing us? The
   * caller finds out (and deals with it: signed out, workspace unusable, channel gone) and
   * answers 'stop' (the socket closes for good) or 'retry' (the backoff goes on).
   */
  checkRefusal?(): Promise<'retry' | 'stop'>;
  pingIntervalMs?: number;
  /** No frame at all for this long after a ping: the connection is dead. */
  silenceTimeoutMs?: number;
}

/** The first reconnect comes within this long; each further attempt doubles it, up to the cap. */
const FIRST_RETRY_WITHIN_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** Attempts in a row that ended before any frame, before the caller is asked why. */
export const REFUSALS_BEFORE_CHECK = 3;

export class ReconnectingSocket<F extends { type: string }> {
  private ws: WebSocket | null = null;
  /** Failed attempts since the server last sent a frame: the backoff's exponent. */
  private attempts = 0;
  /** Attempts in a row that closed before a single frame (refused handshakes look like this). */
  private refusals = 0;
  private checking = false;
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

  /**
   * Drops the connection and connects again now: this client noticed a gap in what the open
   * connection delivered. Not jittered: it is this client's own finding, not a drop every client
   * saw at once.
   */
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
    this.clearRetry();
    if (!navigator.onLine) return this.setStatus('offline');
    this.setStatus(this.attempts === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url());
    } catch {
      return this.scheduleRetry();
    }
    this.ws = ws;
    let gotFrame = false;
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
      gotFrame = true;
      this.attempts = 0;
      this.refusals = 0;
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
        this.close();
        this.options.onTerminal?.(event.code, event.reason);
        return;
      }
      if (!gotFrame) this.refusals++;
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped || this.checking) return;
    this.clearRetry();
    if (!navigator.onLine) return this.setStatus('offline');
    this.setStatus('reconnecting');
    if (this.options.checkRefusal && this.refusals >= REFUSALS_BEFORE_CHECK) return void this.askWhyRefused(this.options.checkRefusal);
    const step = Math.min(MAX_DELAY_MS, FIRST_RETRY_WITHIN_MS * 2 ** this.attempts);
    this.attempts++;
    this.retryTimer = setTimeout(() => this.connect(), Math.random() * step);
  }

  private async askWhyRefused(checkRefusal: () => Promise<'retry' | 'stop'>): Promise<void> {
    this.refusals = 0;
    this.checking = true;
    let verdict: 'retry' | 'stop';
    try {
      verdict = await checkRefusal();
    } catch {
      verdict = 'retry';
    }
    this.checking = false;
    if (this.stopped) return;
    // The caller has dealt with why (signed out, workspace unusable, channel gone): no more attempts.
    if (verdict === 'stop') return this.close();
    this.scheduleRetry();
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

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private teardown(code: number, reason: string): void {
    this.stopPings();
    this.clearRetry();
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
    if (this.stopped || this.ws || this.checking) return;
    // Back online: from the first backoff step, jittered like any reconnect (a whole network
    // coming back brings its clients back together).
    this.attempts = 0;
    this.scheduleRetry();
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
