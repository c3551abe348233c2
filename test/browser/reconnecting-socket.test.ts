/**
 * The web app's reconnecting socket (src/web/src/realtime/ReconnectingSocket.ts) on its own, in
 * Node, against a scripted WebSocket and fake timers: every reconnect waits a random time (the
 * first one after a drop too), handshakes that keep failing before any frame make it ask the
 * caller why instead of retrying forever, and the caller's answer is followed.
 *
 * The module is browser code (window, navigator.onLine, the DOM's WebSocket), which the root
 * tsconfig (no DOM library) cannot type-check: it is imported by path at run time and typed here
 * by the little this test uses.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

type Verdict = 'retry' | 'stop';

interface SocketOptions {
  url(): string;
  onFrame(frame: { type: string }): void;
  onStatus?(status: string): void;
  onTerminal?(code: number, reason: string): void;
  checkRefusal?(): Promise<Verdict>;
}

interface ReconnectingSocketLike {
  readonly status: string;
  close(): void;
}

interface SocketModule {
  ReconnectingSocket: new (options: SocketOptions) => ReconnectingSocketLike;
  REFUSALS_BEFORE_CHECK: number;
}

/** A WebSocket whose server side the test plays: accept, send a frame, drop. */
class ScriptedSocket {
  static readonly OPEN = 1;
  static made: ScriptedSocket[] = [];
  readyState = 0;
  onopen: ((e: object) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    ScriptedSocket.made.push(this);
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
  accept(): this {
    this.readyState = 1;
    this.onopen?.({});
    return this;
  }
  frame(f: object): this {
    this.onmessage?.({ data: JSON.stringify(f) });
    return this;
  }
  /** What a browser reports for a dropped connection and for a refused handshake alike. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

let mod: SocketModule;
let random = 0.5;
const last = () => ScriptedSocket.made[ScriptedSocket.made.length - 1]!;

beforeEach(async () => {
  vi.useFakeTimers();
  ScriptedSocket.made = [];
  random = 0.5;
  vi.spyOn(Math, 'random').mockImplementation(() => random);
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('navigator', { onLine: true });
  vi.stubGlobal('WebSocket', ScriptedSocket);
  const path = new URL('../../src/web/src/realtime/ReconnectingSocket.ts', import.meta.url).href;
  mod = (await import(/* @vite-ignore */ path)) as SocketModule;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function open(options: Partial<SocketOptions> = {}): ReconnectingSocketLike {
  return new mod.ReconnectingSocket({ url: () => 'ws://test/socket', onFrame: () => {}, ...options });
}

describe('reconnecting', () => {
  test('the first reconnect after a drop waits a random time within a second, not 0 ms', () => {
    open();
    last().accept().frame({ type: 'ready' }).drop();
    expect(ScriptedSocket.made).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(ScriptedSocket.made).toHaveLength(1); // random 0.5 of the first second
    vi.advanceTimersByTime(1);
    expect(ScriptedSocket.made).toHaveLength(2);

    // Another client (another random draw) comes back at another moment.
    random = 0.9;
    last().accept().frame({ type: 'ready' }).drop();
    vi.advanceTimersByTime(899);
    expect(ScriptedSocket.made).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(ScriptedSocket.made).toHaveLength(3);
  });

  test('failed attempts back off: each step is twice the one before (jittered within it)', () => {
    random = 0.999;
    open();
    const times: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      const before = ScriptedSocket.made.length;
      last().drop();
      while (ScriptedSocket.made.length === before) {
        vi.advanceTimersByTime(10);
        now += 10;
      }
      times.push(now);
      now = 0;
    }
    expect(times.map((t) => Math.round(t / 100) * 100)).toEqual([1000, 2000, 4000, 8000]);
  });

  test('a terminal close ends it: no reconnect, the caller is told', () => {
    const onTerminal = vi.fn();
    const socket = open({ onTerminal });
    last().accept().frame({ type: 'ready' }).drop(4003);
    vi.advanceTimersByTime(120_000);
    expect(ScriptedSocket.made).toHaveLength(1);
    expect(onTerminal).toHaveBeenCalledWith(4003, '');
    expect(socket.status).toBe('closed');
  });
});

describe('refused handshakes (closed before any frame)', () => {
  async function failBeforeAnyFrame(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const before = ScriptedSocket.made.length;
      last().drop();
      // Let the check (a promise) run, then the backoff timer.
      await vi.advanceTimersByTimeAsync(60_000);
      if (ScriptedSocket.made.length === before) return;
    }
  }

  test(`after ${3} in a row the caller is asked why; "stop" ends the socket`, async () => {
    expect(mod.REFUSALS_BEFORE_CHECK).toBe(3);
    const checkRefusal = vi.fn(async (): Promise<Verdict> => 'stop');
    const socket = open({ checkRefusal });
    await failBeforeAnyFrame(2);
    expect(checkRefusal).not.toHaveBeenCalled();
    expect(ScriptedSocket.made).toHaveLength(3);
    await failBeforeAnyFrame(1);
    expect(checkRefusal).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(ScriptedSocket.made).toHaveLength(3);
    expect(socket.status).toBe('closed');
  });

  test('"retry" goes on, and asks again after as many more', async () => {
    const checkRefusal = vi.fn(async (): Promise<Verdict> => 'retry');
    open({ checkRefusal });
    await failBeforeAnyFrame(3);
    expect(checkRefusal).toHaveBeenCalledTimes(1);
    expect(ScriptedSocket.made).toHaveLength(4);
    await failBeforeAnyFrame(3);
    expect(checkRefusal).toHaveBeenCalledTimes(2);
  });

  test('a connection that got a frame is not a refusal: drops after frames never ask', async () => {
    const checkRefusal = vi.fn(async (): Promise<Verdict> => 'stop');
    open({ checkRefusal });
    for (let i = 0; i < 6; i++) {
      last().accept().frame({ type: 'ready' }).drop();
      await vi.advanceTimersByTimeAsync(5_000);
    }
    expect(checkRefusal).not.toHaveBeenCalled();
    expect(ScriptedSocket.made).toHaveLength(7);
  });

  test('a check that fails itself (offline, a 5xx) counts as "retry"', async () => {
    const checkRefusal = vi.fn(async (): Promise<Verdict> => {
      throw new Error('network');
    });
    const socket = open({ checkRefusal });
    await failBeforeAnyFrame(3);
    expect(checkRefusal).toHaveBeenCalledTimes(1);
    expect(ScriptedSocket.made).toHaveLength(4);
    expect(socket.status).not.toBe('closed');
  });
});
