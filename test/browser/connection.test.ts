/**
 * The app's connections when something goes wrong, in Chromium against the real stack: socket
 * handshakes the server refuses (a browser sees only a close 1006) are looked into over HTTP
 * and end in the right place (sign-in, saying why; the workspace's page); the person's stream
 * resumes from the last event it received, not from `ready` (sent before the replay); a room
 * that cannot replay catches up from the newest page; and messages that can no longer be sent
 * (channel archived, person removed) say so beside them, stay through a channel switch, and go
 * when retried once they can.
 */
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, newPerson, screenshot, workspaceUrl, type Member, type Person, type Workspace } from './support';

// ---- the person's sockets, routed ----

interface Routed {
  url: string;
  page: WebSocketRoute;
  server: WebSocketRoute;
  /** The server has sent something on it (its `ready`): the app knows where it stands. */
  heard: boolean;
}

type Match = (url: string) => boolean;
const isStream: Match = (url) => url.includes('/api/me/stream');
const isRoom: Match = (url) => /\/api\/channels\/[^/]+\/ws/.test(url);
const noop = () => undefined;

/**
 * A person's WebSockets through Playwright, proxied to the server (support/sockets.ts says why
 * routing is the only way to drop one in this Chromium), with what these tests need beyond
 * cutting everything: refusing only some (a room's, not the stream's), holding the next one back
 * until the test is ready, and filtering what the server sends on the next one.
 */
async function routeSockets(context: BrowserContext) {
  const live = new Set<Routed>();
  const opened: string[] = [];
  let refused: Match = () => false;
  let hold: { match: Match; until: Promise<void> } | null = null;
  let filter: { match: Match; onFrame: (text: string, socket: { toPage(text: string): void; drop(): void }) => void } | null = null;

  function drop(entry: Routed): void {
    if (!live.delete(entry)) return;
    void entry.server.close({ code: 1000, reason: 'dropped (test)' }).catch(noop);
    void entry.page.close({ code: 1006, reason: '' }).catch(noop);
  }

  await context.routeWebSocket(/.*/, async (ws) => {
    const url = ws.url();
    opened.push(url);
    if (refused(url)) {
      // What a refused upgrade (401, 403, 404) looks like to the page.
      void ws.close({ code: 1006, reason: '' }).catch(noop);
      return;
    }
    const held = hold?.match(url) ? hold : null;
    if (held) {
      hold = null;
      await held.until;
    }
    const server = ws.connectToServer();
    const entry: Routed = { url, page: ws, server, heard: false };
    live.add(entry);
    const filtered = filter?.match(url) ? filter : null;
    if (filtered) filter = null;
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      entry.heard = true;
      if (!filtered) return ws.send(m);
      filtered.onFrame(String(m), { toPage: (text) => ws.send(text), drop: () => drop(entry) });
    });
    ws.onClose((code, reason) => {
      if (live.delete(entry)) void server.close({ code: code ?? 1000, reason: reason ?? '' }).catch(noop);
    });
    server.onClose((code, reason) => {
      if (live.delete(entry)) void ws.close({ code: code ?? 1006, reason: reason ?? '' }).catch(noop);
    });
  });

  return {
    opened,
    /** From now on, sockets whose URL matches are refused (closed at once with 1006). */
    refuse(match: Match) {
      refused = match;
    },
    allowAll() {
      refused = () => false;
    },
    /** Drops the open sockets whose URL matches (the page sees 1006). */
    drop(match: Match) {
      for (const e of [...live]) if (match(e.url)) drop(e);
    },
    /** The next matching socket reaches the server only once `release` is called. */
    holdNext(match: Match): () => void {
      let release: () => void = noop;
      hold = { match, until: new Promise<void>((resolve) => (release = () => resolve())) };
      return () => release();
    },
    /** What the server sends on the next matching socket goes through `onFrame` instead of straight to the page. */
    filterNext(match: Match, onFrame: (text: string, socket: { toPage(text: string): void; drop(): void }) => void) {
      filter = { match, onFrame };
    },
    /** Until `count` matching sockets are open and the server has spoken on each (its `ready`). */
    async waitForReady(match: Match, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while ([...live].filter((e) => match(e.url) && e.heard).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} open socket(s) within ${timeoutMs} ms; opened so far: ${opened.join(', ') || 'none'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

// ---- helpers ----

function sidebarLink(page: Page, name: RegExp) {
  return page.getByRole('navigation', { name: 'Channels and direct messages' }).getByRole('link', { name });
}

function composer(page: Page) {
  return page.locator('.channel-pane').getByRole('textbox', { name: /^Message / });
}

/** The person's session as its own token: ending it does not end the file's other sessions. */
async function freshSession(ws: Workspace, who: { email: string; password: string }): Promise<string> {
  return (await api.signIn(ws.slug, who.email, who.password)).token;
}

async function channelId(ws: Workspace, name: string): Promise<string> {
  const res = await api.workspace(ws.slug, 'GET', '/api/channels', { token: ws.token });
  return res.body.channels.find((c: { name: string }) => c.name === name).id;
}

async function post(ws: Workspace, token: string, channel: string, text: string): Promise<void> {
  const res = await api.workspace(ws.slug, 'POST', `/api/channels/${channel}/messages`, { token, body: { text } });
  expect(res.status, res.text).toBe(201);
}

// Expected here: sockets refused or dropped on purpose, and the checks the app makes about them.
const socketProblems = [{ kind: 'console' as const, text: /WebSocket/ }];

let ws: Workspace;
let bob: Member;
let general: string;

beforeAll(async () => {
  ws = await api.createWorkspace({ name: 'Connection Co', ownerName: 'Ada Lovelace', plan: 'pro', trial: true });
  bob = await api.addMember(ws, { name: 'Bob Stone' });
  general = await channelId(ws, 'general');
});

async function bobOpens(path = '/'): Promise<{ person: Person; sockets: Awaited<ReturnType<typeof routeSockets>>; token: string }> {
  const person = await newPerson('bob');
  const sockets = await routeSockets(person.context); // before the page opens any socket
  const token = await freshSession(ws, bob);
  await person.signIn(ws.slug, token);
  await person.page.goto(workspaceUrl(ws.slug, path));
  await person.page.locator('.channel-pane h1').waitFor();
  await person.page.locator('.message-scroll[aria-busy="false"]').waitFor(); // its history is in
  await sockets.waitForReady(isStream);
  await sockets.waitForReady(isRoom);
  return { person, sockets, token };
}

describe('handshakes the server refuses', () => {
  test('while the session ended elsewhere: back to sign-in, saying why (not retried forever)', async () => {
    const { person, sockets, token } = await bobOpens();
    sockets.refuse(() => true);
    sockets.drop(() => true);
    const out = await api.workspace(ws.slug, 'POST', '/api/auth/logout', { token });
    expect(out.status, out.text).toBeLessThan(300);
    await person.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await person.page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
    await screenshot(person.page, 'refused-session-ended');
    person.expectNoErrors({ ignore: [...socketProblems, { url: /\/api\/(me|channels\/[^/]+)$/, status: 401 }] });
  });

  test('while the workspace was suspended: its page', async () => {
    const other = await api.createWorkspace({ name: 'Suspended Later', plan: 'pro', trial: true });
    const owner = await newPerson('owner');
    const sockets = await routeSockets(owner.context);
    await owner.signIn(other.slug, other.token);
    await owner.page.goto(workspaceUrl(other.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await sockets.waitForReady(isStream);
    await sockets.waitForReady(isRoom);
    sockets.refuse(() => true);
    sockets.drop(() => true);
    const res = await api.admin('POST', `/api/tenants/${other.id}/suspend`, { body: { reason: 'Review' } });
    expect(res.status, res.text).toBe(200);
    await owner.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor({ timeout: 30_000 });
    owner.expectNoErrors({ ignore: [...socketProblems, { url: /\/api\/(me|tenant|channels\/[^/]+)(\?.*)?$/, status: 403 }] });
  });
});

describe('resuming', () => {
  test("the stream resumes from the last event received, not from `ready`'s sequence", async () => {
    const other = (await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'resume-here', memberIds: [bob.id] } })).body.channel.id as string;
    const { person, sockets } = await bobOpens(`/c/${general}`);

    // The stream drops; its next connection waits until three messages are in another channel.
    const release = sockets.holdNext(isStream);
    let readySeq = -1;
    let firstEventSeq = -1;
    // On that connection: `ready`, then one replayed event gets through, and it drops again.
    sockets.filterNext(isStream, (text, socket) => {
      const frame = JSON.parse(text) as { type: string; seq?: number };
      if (frame.type === 'ready') {
        readySeq = frame.seq ?? -1;
        socket.toPage(text);
      } else if (frame.type === 'activity' && firstEventSeq < 0) {
        firstEventSeq = frame.seq ?? -1;
        socket.toPage(text);
        socket.drop();
      }
    });
    const before = sockets.opened.filter(isStream).length;
    sockets.drop(isStream);
    for (const t of ['one', 'two', 'three']) await post(ws, ws.token, other, `resume ${t}`);
    release();

    await expect.poll(() => sockets.opened.filter(isStream).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
    expect(firstEventSeq).toBeGreaterThan(0);
    expect(readySeq).toBeGreaterThan(firstEventSeq); // the replay had more to bring after the first one
    const resumedWith = new URL(sockets.opened.filter(isStream)[before + 1]!).searchParams.get('since');
    expect(resumedWith).toBe(String(firstEventSeq));
    // Nothing was skipped: all three count.
    await expect.poll(() => sidebarLink(person.page, /Channel resume-here/).getAttribute('aria-label')).toMatch(/3 unread/);
    person.expectNoErrors({ ignore: socketProblems });
  });

  test('a room that cannot replay catches up from the newest page: what was missed shows, and sending works', async () => {
    const { person, sockets } = await bobOpens(`/c/${general}`);
    const { page } = person;
    // The room socket drops; its next connection waits until Ada has written twice, and then
    // the room "fails" its replay: `ready`, the error frame, no replayed messages.
    const release = sockets.holdNext(isRoom);
    sockets.filterNext(isRoom, (text, socket) => {
      const frame = JSON.parse(text) as { type: string; replay?: boolean };
      if (frame.type === 'message.created' && frame.replay) return;
      socket.toPage(text);
      if (frame.type === 'ready') socket.toPage(JSON.stringify({ type: 'error', code: 'replay_failed', message: 'Could not send missed messages; reload the channel.' }));
    });
    sockets.drop(isRoom);
    await post(ws, ws.token, general, 'missed while away 1');
    await post(ws, ws.token, general, 'missed while away 2');
    release();

    await page.locator('.channel-pane article.message:not(.pending) .message-text', { hasText: 'missed while away 2' }).waitFor();
    await composer(page).fill('sent after a failed replay');
    await composer(page).press('Enter');
    await page.locator('.channel-pane article.message:not(.pending) .message-text', { hasText: 'sent after a failed replay' }).waitFor({ timeout: 15_000 });
    const stored = await api.workspace(ws.slug, 'GET', `/api/channels/${general}/messages`, { token: ws.token });
    expect(stored.body.messages.filter((m: { text: string }) => m.text === 'sent after a failed replay')).toHaveLength(1);
    person.expectNoErrors({ ignore: socketProblems });
  });
});

describe('messages that cannot be sent', () => {
  test('archived while waiting: "Not sent" with the reason, still there after a channel switch, sent on retry once unarchived', async () => {
    const proj = (await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'soon-archived', memberIds: [bob.id] } })).body.channel.id as string;
    const { person, sockets } = await bobOpens(`/c/${proj}`);
    const { page } = person;
    await page.getByRole('heading', { name: 'soon-archived', level: 1 }).waitFor();

    // The room is out of reach (the stream is not): what Bob writes waits.
    sockets.refuse(isRoom);
    sockets.drop(isRoom);
    await composer(page).fill('written while the room was out of reach');
    await composer(page).press('Enter');
    await page.getByText('Waiting for connection…').waitFor();

    const archived = await api.workspace(ws.slug, 'POST', `/api/channels/${proj}/archive`, { token: ws.token });
    expect(archived.status, archived.text).toBe(200);
    const notSent = page.locator('article.message.pending.failed', { hasText: 'written while the room was out of reach' });
    await notSent.getByText('Not sent').waitFor();
    await notSent.getByText('The channel was archived').waitFor();
    await screenshot(page, 'not-sent-archived');

    // To another channel and back (in the app, no reload): the message is still there.
    await sidebarLink(page, /Channel general/).click();
    await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await page.evaluate((id) => {
      const g = globalThis as unknown as { history: { pushState(s: unknown, t: string, u: string): void }; dispatchEvent(e: unknown): void; PopStateEvent: new (type: string) => unknown };
      g.history.pushState(null, '', `/c/${id}`);
      g.dispatchEvent(new g.PopStateEvent('popstate'));
    }, proj);
    await page.getByRole('heading', { name: 'soon-archived', level: 1 }).waitFor();
    await notSent.getByText('The channel was archived').waitFor();

    // Unarchived and reachable again: Retry sends it.
    sockets.allowAll();
    const back = await api.workspace(ws.slug, 'POST', `/api/channels/${proj}/unarchive`, { token: ws.token });
    expect(back.status, back.text).toBe(200);
    await composer(page).waitFor();
    await notSent.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.channel-pane article.message:not(.pending) .message-text', { hasText: 'written while the room was out of reach' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('article.message.pending').count()).toBe(0);
    person.expectNoErrors({ ignore: socketProblems });
  });

  test('removed from a private channel while a message waits: told it could not be sent, and why', async () => {
    const secret = (await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'secret-plans', kind: 'private', memberIds: [bob.id] } })).body.channel.id as string;
    const { person, sockets } = await bobOpens(`/c/${secret}`);
    const { page } = person;
    await page.getByRole('heading', { name: 'secret-plans', level: 1 }).waitFor();
    sockets.refuse(isRoom);
    sockets.drop(isRoom);
    await composer(page).fill('a plan nobody will read');
    await composer(page).press('Enter');
    await page.getByText('Waiting for connection…').waitFor();

    const removed = await api.workspace(ws.slug, 'DELETE', `/api/channels/${secret}/members/${bob.id}`, { token: ws.token });
    expect(removed.status, removed.text).toBeLessThan(300);
    await page.getByRole('alert').filter({ hasText: 'A message you wrote in #secret-plans could not be sent: You are no longer in this channel.' }).waitFor();
    await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    person.expectNoErrors({ ignore: socketProblems });
  });
});
