/**
 * Cutting a page's WebSockets, for reconnect tests.
 *
 * What this Chromium (Debian 156) does, checked with a page holding an open socket:
 *  - `context.setOffline(true)` and CDP `Network.emulateNetworkConditions({ offline: true })`
 *    (the same thing underneath) do NOT drop an open WebSocket: no `close` event, and a frame the
 *    page sends meanwhile is held and delivered when the context is back online. They only make
 *    NEW connections fail (`error`, then `close` 1006) and fetches fail.
 *  - So the sockets are routed through Playwright (`routeWebSocket`, every URL, proxied to the
 *    real server with `connectToServer()`), and `cut()` closes both ends of each: the page gets
 *    `close` with code 1006 (as on a dropped connection, though `wasClean` is true), the server a
 *    close frame (1000, "network cut (test)"), so the room sees the person leave. Until
 *    `restore()`, new sockets are closed at once with 1006 and, by default, the context is
 *    offline too (so fetches fail as in a real outage).
 *
 * Routing replaces the page's `WebSocket` with Playwright's stand-in, so install it before the
 * page opens its sockets: right after newPerson(), before the first goto().
 */
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';

export interface SocketControl {
  /** Sockets open through the route right now. */
  openCount(): number;
  /** The URL of every socket opened so far, in order (tickets and `since=` included). */
  readonly opened: string[];
  /** Drops every open socket, and refuses new ones until restore(). `offline: false` keeps HTTP up. */
  cut(options?: { offline?: boolean }): Promise<void>;
  /** Back online: new sockets connect to the server again. */
  restore(): Promise<void>;
  /** Resolves when at least `count` sockets are open (after a reconnect, say). */
  waitForOpen(count?: number, timeoutMs?: number): Promise<void>;
}

interface Live {
  page: WebSocketRoute;
  server: WebSocketRoute;
}

export async function controlWebSockets(target: Page | BrowserContext): Promise<SocketControl> {
  const context = 'context' in target ? target.context() : target;
  const live = new Set<Live>();
  const opened: string[] = [];
  let down = false;
  let offline = false;

  await target.routeWebSocket(/.*/, (ws) => {
    opened.push(ws.url());
    if (down) {
      void ws.close({ code: 1006, reason: '' }).catch(() => undefined);
      return;
    }
    const server = ws.connectToServer();
    const entry: Live = { page: ws, server };
    live.add(entry);
    // With onClose handlers set, closing is not forwarded automatically: forward it here.
    ws.onClose((code, reason) => {
      if (!live.delete(entry)) return;
      void server.close({ code: code ?? 1000, reason: reason ?? '' }).catch(() => undefined);
    });
    server.onClose((code, reason) => {
      if (!live.delete(entry)) return;
      void ws.close({ code: code ?? 1006, reason: reason ?? '' }).catch(() => undefined);
    });
  });

  return {
    openCount: () => live.size,
    opened,
    async cut(options = {}) {
      down = true;
      const entries = [...live];
      live.clear();
      await Promise.all(
        entries.map(async (e) => {
          await e.server.close({ code: 1000, reason: 'network cut (test)' }).catch(() => undefined);
          await e.page.close({ code: 1006, reason: '' }).catch(() => undefined);
        }),
      );
      if (options.offline !== false) {
        offline = true;
        await context.setOffline(true);
      }
    },
    async restore() {
      down = false;
      if (offline) {
        offline = false;
        await context.setOffline(false);
      }
    },
    async waitForOpen(count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (live.size < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} open WebSocket(s) within ${timeoutMs} ms, have ${live.size} (opened so far: ${opened.join(', ') || 'none'})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
