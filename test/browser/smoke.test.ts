/**
 * Smoke: the app loads in Chromium on the platform host and on a workspace host, at desktop and
 * mobile width, and the API answers through the browser. Asserts only what stays true whatever
 * the app becomes (the document title, #root gets content, 200s for the HTML and its JS, no
 * console errors). The last block checks the support helpers themselves against the real stack.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { api, controlWebSockets, expectNoSeriousA11yViolations, newPerson, platformUrl, screenshot, workspaceUrl, type Person, type Problem, type ViewportName, type Workspace } from './support';

let workspace: Workspace;

/**
 * The app may ask the API for what a visitor is refused (GET /api/me → 401 when signed out):
 * an answer, not an error of the page. Everything else counts (console errors, uncaught
 * exceptions, failed requests, 5xx, any 4xx that is not the API's).
 */
const apiRefusals = (p: Problem) => p.kind === 'http' && (p.status ?? 0) < 500 && /\/api\//.test(new URL(p.url ?? 'http://x/').pathname);

beforeAll(async () => {
  workspace = await api.createWorkspace({ name: 'Smoke Test' });
});

/** Loads `url` and checks the HTML, every script it runs, the title (once the app has its bootstrap) and that React rendered into #root. */
async function expectAppLoads(person: Person, url: string, title: RegExp): Promise<void> {
  const { page } = person;
  const scripts: { url: string; status: number }[] = [];
  page.on('response', (res) => {
    if (res.request().resourceType() === 'script') scripts.push({ url: res.url(), status: res.status() });
  });
  const res = await page.goto(url, { waitUntil: 'load' });
  expect(res?.status(), `GET ${url}`).toBe(200);
  expect(res?.headers()['content-type']).toMatch(/^text\/html/);
  await expect.poll(() => page.locator('#root > *').count(), { message: '#root gets content' }).toBeGreaterThan(0);
  await expect.poll(() => page.title(), { message: 'the title names the site' }).toMatch(title);
  expect(scripts.length, 'the page loads its JavaScript').toBeGreaterThan(0);
  for (const s of scripts) expect(s.status, s.url).toBe(200);
}

describe.each<ViewportName>(['desktop', 'mobile'])('at %s width', (viewport) => {
  test('the platform host serves the app', async () => {
    const visitor = await newPerson('visitor', { viewport });
    await expectAppLoads(visitor, platformUrl('/'), /nchat/);
    await screenshot(visitor.page, `platform-${viewport}`);
    visitor.expectNoErrors({ ignore: [apiRefusals] });
  });

  test('a workspace host serves the app', async () => {
    const member = await newPerson('member', { viewport });
    // The workspace's own name, not the platform's: the app has read its bootstrap.
    await expectAppLoads(member, workspaceUrl(workspace.slug, '/'), /Smoke Test/);
    await screenshot(member.page, `workspace-${viewport}`);
    member.expectNoErrors({ ignore: [apiRefusals] });
  });
});

test('GET /api/health answers 200 through the browser, on the platform and a workspace host', async () => {
  const visitor = await newPerson('visitor');
  const direct = await visitor.page.goto(platformUrl('/api/health'));
  expect(direct?.status()).toBe(200);
  expect(JSON.parse(await direct!.text())).toMatchObject({ status: 'ok', db: { status: 'ok' } });

  await visitor.page.goto(workspaceUrl(workspace.slug, '/'));
  const fetched = await visitor.page.evaluate(async () => {
    const r = await fetch('/api/health');
    return { status: r.status, body: (await r.json()) as { status: string } };
  });
  expect(fetched).toMatchObject({ status: 200, body: { status: 'ok' } });
  visitor.expectNoErrors({ ignore: [apiRefusals] });
});

// These check the helpers, not the app: signed-in people stay on a page of the workspace's
// origin that is not the app (the health JSON), so only the test's own requests and sockets run.
describe('support helpers', () => {
  test('two people have separate sessions; a third is signed out', async () => {
    const member = await api.addMember(workspace, { name: 'Bob' });
    const owner = await newPerson('owner');
    const bob = await newPerson('bob', { viewport: 'mobile' });
    const stranger = await newPerson('stranger');
    await owner.signIn(workspace.slug, workspace.token);
    await bob.signIn(workspace.slug, member.token);
    const me = (p: Person) =>
      p.page.evaluate(async () => {
        const r = await fetch('/api/me');
        return { status: r.status, id: r.ok ? ((await r.json()) as { user: { id: string } }).user.id : null };
      });
    for (const p of [owner, bob, stranger]) await p.page.goto(workspaceUrl(workspace.slug, '/api/health'));
    expect(await me(owner)).toEqual({ status: 200, id: workspace.owner.id });
    expect(await me(bob)).toEqual({ status: 200, id: member.id });
    expect(await me(stranger)).toEqual({ status: 401, id: null });
    owner.expectNoErrors();
    bob.expectNoErrors();
    expect(stranger.problems.map((p) => p.kind)).toEqual(['http']);
    stranger.expectNoErrors({ ignore: [{ url: /\/api\/me$/, status: 401 }] });
  });

  test("cutting a page's WebSockets drops an open room socket; restoring lets it reconnect", async () => {
    const owner = await newPerson('owner');
    const sockets = await controlWebSockets(owner.context); // before the page opens any socket
    await owner.signIn(workspace.slug, workspace.token);
    const created = await api.workspace(workspace.slug, 'POST', '/api/channels', { token: workspace.token, body: { name: `smoke-${Date.now()}` } });
    expect(created.status, created.text).toBe(201);
    const channelId = (created.body as { channel: { id: string } }).channel.id;
    await owner.page.goto(workspaceUrl(workspace.slug, '/api/health'));

    // A socket opened by page script, as the app will (the session cookie authenticates it).
    const wsUrl = workspaceUrl(workspace.slug, `/api/channels/${channelId}/ws`).replace(/^http/, 'ws');
    const open = (n: number) =>
      owner.page.evaluate(
        ([url, n]) =>
          new Promise<string>((resolve) => {
            const g = globalThis as unknown as Record<string, unknown>;
            const ws = new WebSocket(url);
            g[`closed${n}`] = new Promise<number>((done) => ws.addEventListener('close', (e) => done(e.code)));
            ws.addEventListener('message', (e) => resolve(JSON.parse(String(e.data)).type as string), { once: true });
            ws.addEventListener('close', (e) => resolve(`closed ${e.code}`), { once: true });
          }),
        [wsUrl, n] as const,
      );
    const closeCode = (n: number) => owner.page.evaluate((n) => (globalThis as unknown as Record<string, Promise<number>>)[`closed${n}`], n);

    expect(await open(1)).toBe('ready');
    await sockets.cut();
    expect(await closeCode(1)).toBe(1006);
    expect(await open(2)).toBe('closed 1006'); // no reconnect while cut
    const offlineFetch = await owner.page.evaluate(async () => fetch('/api/health').then((r) => r.status, () => 'failed'));
    expect(offlineFetch).toBe('failed');
    await sockets.restore();
    expect(await open(3)).toBe('ready');
    expect(sockets.openCount()).toBe(1);
    owner.expectNoErrors({ ignore: [{ kind: 'requestfailed', url: /\/api\/health$/ }] });
  });

  test('the accessibility check passes a clean page and names rule, impact and selector otherwise', async () => {
    const visitor = await newPerson('visitor');
    await visitor.page.setContent('<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1><button id="mute">Mute</button></main></html>');
    await expectNoSeriousA11yViolations(visitor.page);
    await visitor.page.setContent('<!doctype html><html lang="en"><title>t</title><main><button id="mute"></button></main></html>');
    await expect(expectNoSeriousA11yViolations(visitor.page)).rejects.toThrow(/button-name \(critical\)[\s\S]*#mute/);
  });
});
