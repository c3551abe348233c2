/**
 * npm run bench:web — figures for the web app (no pass/fail):
 *   (a) first-load JavaScript: every JS file the built index.html loads directly
 *       (<script src>) or by <link rel="modulepreload">, gzipped, beside the 150 KB budget;
 *   (b) page load in Debian's Chromium against the real stack (test/browser/support/stack.ts:
 *       wrangler dev, gateway, Stripe fake): navigation start → load event of the platform page
 *       and a workspace page, p50/p90 over 10 loads, cold (a fresh browser context each time)
 *       and warm (reloads in one context);
 *   (c) flow timings: sign-in to the first message list, and a message from one browser to another;
 *   (d) the workspace admin pages (members, billing, usage with its charts, audit log): load to
 *       content on screen, and the API requests each load makes.
 * The app is built with src/web/vite.config.ts exactly as `npm run build:web` builds dist/web,
 * but into a temp directory (dist/web is left alone). DATABASE_URL picks PostgreSQL, as in tests.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext } from 'playwright-core';
import { percentile, printTable } from './stats';
import { launchBrowser } from '../test/browser/support/browser';
import { ensureChromium } from '../test/browser/support/chromium';
import { NchatApi } from '../test/browser/support/api';
import { buildWeb, startStack, type Stack } from '../test/browser/support/stack';
import { platformUrlOf, workspaceUrlOf } from '../test/browser/support/stack-info';

const FIRST_LOAD_BUDGET_KB = 150;
const LOADS = 10;

// ---- (a) first-load JavaScript ----

/** The JS files index.html loads at first paint: <script src> and <link rel="modulepreload" href>. */
export function firstLoadScripts(webDir: string): string[] {
  const html = readFileSync(join(webDir, 'index.html'), 'utf8');
  const found = new Set<string>();
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    const src = attr(tag, 'src');
    if (src) found.add(src);
  }
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    const href = attr(tag, 'href');
    if (href && /^modulepreload$/i.test(attr(tag, 'rel') ?? '')) found.add(href);
  }
  return [...found].filter((u) => !/^[a-z]+:\/\//i.test(u)).map((u) => u.replace(/^\//, '').split(/[?#]/)[0]!);
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined);
}

function firstLoadReport(webDir: string): void {
  const files = firstLoadScripts(webDir);
  const rows = files.map((f) => {
    const bytes = readFileSync(join(webDir, f));
    return { f, raw: statSync(join(webDir, f)).size / 1024, gz: gzipSync(bytes, { level: 9 }).length / 1024 };
  });
  const total = rows.reduce((s, r) => s + r.gz, 0);
  console.log(`\n(a) first-load JavaScript (what index.html loads directly or by modulepreload), gzip -9:`);
  printTable(['file', 'raw KB', 'gzip KB'], [...rows.map((r) => [r.f, r.raw, r.gz]), ['total', rows.reduce((s, r) => s + r.raw, 0), total]]);
  console.log(`first-load JS: ${total.toFixed(1)} KB gzipped   budget: ${FIRST_LOAD_BUDGET_KB} KB (${((total / FIRST_LOAD_BUDGET_KB) * 100).toFixed(0)}% of it)`);
}

// ---- (b) page load ----

interface LoadTiming {
  load: number;
  domContentLoaded: number;
}

/** Navigation Timing of the page as loaded now: ms from navigation start. */
async function navigationTiming(page: import('playwright-core').Page): Promise<LoadTiming> {
  return page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation') as unknown as { loadEventEnd: number; domContentLoadedEventEnd: number }[];
    return { load: nav!.loadEventEnd, domContentLoaded: nav!.domContentLoadedEventEnd };
  });
}

async function measureLoads(browser: Browser, url: string): Promise<{ cold: LoadTiming[]; warm: LoadTiming[] }> {
  const cold: LoadTiming[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    cold.push(await navigationTiming(page));
    await context.close();
  }
  const warm: LoadTiming[] = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  for (let i = 0; i < LOADS; i++) {
    await page.reload({ waitUntil: 'load' });
    warm.push(await navigationTiming(page));
  }
  await context.close();
  return { cold, warm };
}

async function pageLoadReport(stack: Stack, browser: Browser, workspaceSlug: string): Promise<void> {
  const pages: [string, string][] = [
    ['platform page', platformUrlOf(stack.info, '/')],
    ['workspace page', workspaceUrlOf(stack.info, workspaceSlug, '/')],
  ];
  // One load of each first: wrangler dev's first asset requests are slower than any after.
  const warmup = await browser.newContext();
  const warmupPage = await warmup.newPage();
  for (const [, url] of pages) await warmupPage.goto(url, { waitUntil: 'load' });
  await warmup.close();

  const rows: (string | number)[][] = [];
  for (const [name, url] of pages) {
    const { cold, warm } = await measureLoads(browser, url);
    for (const [cache, samples] of [['cold', cold], ['warm', warm]] as const) {
      const load = samples.map((s) => s.load).sort((a, b) => a - b);
      const dcl = samples.map((s) => s.domContentLoaded).sort((a, b) => a - b);
      rows.push([name, cache, String(samples.length), percentile(load, 50), percentile(load, 90), percentile(dcl, 50)]);
    }
  }
  console.log(`\n(b) page load in Chromium through wrangler dev on loopback, navigation start → load event (ms); cold = a fresh context each load, warm = reloads in one context:`);
  printTable(['page', 'cache', 'n', 'load p50', 'load p90', 'DCL p50'], rows);
}

// ---- (c) flows: HOOK ----

export interface FlowFigure {
  name: string;
  samples: number;
  p50: number;
  p99: number;
}

const SIGN_INS = Number(process.env.SIGN_INS ?? 10);

/**
 * Runs in each page (as a string: tsx would wrap a function's inner helpers in its own __name,
 * which the page does not have): stamps, with the shared wall clock, when Enter went down in the
 * composer and when a stored message first appeared in the channel.
 */
const STAMP_MESSAGES = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__sent = {};
  window.__seen = {};
  const root = document.querySelector('.channel-pane');
  root.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__sent[e.target.value] = now(); }, true);
  new MutationObserver(() => {
    for (const el of root.querySelectorAll('article.message:not(.pending) .message-text')) {
      const t = el.textContent || '';
      if (t.startsWith('latency ') && !(t in window.__seen)) window.__seen[t] = now();
    }
  }).observe(root, { childList: true, subtree: true, characterData: true });
})()`;
const LATENCY_MESSAGES = Number(process.env.LATENCY_MESSAGES ?? 100);

/** A browser context signed in on a workspace: the session cookie the API set for `token`. */
async function signedInContext(browser: Browser, stack: Stack, slug: string, token: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'nchat_session', value: token, url: workspaceUrlOf(stack.info, slug, '/'), httpOnly: true, secure: true, sameSite: 'Lax' }]);
  return context;
}

/**
 * The two flows the issue budgets, as a person meets them:
 *   1. sign-in → first message list: a fresh browser on the sign-in page, the form filled, the
 *      chat's code already fetched (as it is while a person types); from the click on "Sign in"
 *      until the channel's newest message is on screen (budget 1 s);
 *   2. a message sent in one browser → shown in another: two people on #general; each page
 *      stamps with the shared clock when Enter went down and when the stored message appeared;
 *      one message after another (budget p50 100 ms).
 */
export async function measureFlows(stack: Stack, browser: Browser, api: NchatApi): Promise<FlowFigure[]> {
  const ws = await api.createWorkspace({ name: 'Bench Flows', plan: 'pro', trial: true });
  const bob = await api.addMember(ws, { name: 'Bob Bench' });
  const channels = (await api.workspace(ws.slug, 'GET', '/api/channels', { token: ws.token })).body.channels as { id: string; name: string }[];
  const general = channels.find((c) => c.name === 'general')!.id;
  for (let i = 1; i <= 50; i++) await api.workspace(ws.slug, 'POST', `/api/channels/${general}/messages`, { token: i % 2 ? ws.token : bob.token, body: { text: `seed message ${i}` } });

  const signIns: number[] = [];
  for (let i = 0; i < SIGN_INS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(workspaceUrlOf(stack.info, ws.slug, '/'));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(bob.email);
    await page.getByLabel('Password').fill(bob.password);
    await page.waitForLoadState('networkidle');
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.message-text', { hasText: 'seed message 50' }).waitFor();
    signIns.push(performance.now() - t0);
    await context.close();
  }

  const [ada, bobs] = await Promise.all([signedInContext(browser, stack, ws.slug, ws.token), signedInContext(browser, stack, ws.slug, bob.token)]);
  const [adaPage, bobPage] = await Promise.all([ada.newPage(), bobs.newPage()]);
  for (const page of [adaPage, bobPage]) {
    await page.goto(workspaceUrlOf(stack.info, ws.slug, `/c/${general}`));
    await page.locator('.message-text', { hasText: 'seed message 50' }).waitFor();
    await page.evaluate(STAMP_MESSAGES);
  }
  const box = adaPage.getByRole('textbox', { name: /^Message / });
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const text = `latency ${i}`;
    await box.fill(text);
    await box.press('Enter');
    await bobPage.locator('article.message:not(.pending) .message-text', { hasText: new RegExp(`^${text}$`) }).waitFor();
  }
  const sent = (await adaPage.evaluate('window.__sent')) as Record<string, number>;
  const seen = (await bobPage.evaluate('window.__seen')) as Record<string, number>;
  const latencies = Object.keys(sent).filter((t) => t in seen).map((t) => seen[t]! - sent[t]!).sort((a, b) => a - b);
  await Promise.all([ada.close(), bobs.close()]);
  signIns.sort((a, b) => a - b);
  return [
    { name: 'sign-in click → first message list (budget 1000 ms)', samples: signIns.length, p50: percentile(signIns, 50), p99: percentile(signIns, 99) },
    { name: 'message: Enter in one browser → shown in the other (budget p50 100 ms)', samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
  ];
}

// ---- (d) admin pages ----

const ADMIN_LOADS = Number(process.env.ADMIN_LOADS ?? 10);

/**
 * The workspace admin pages as an owner opens them (warm: one signed-in context, the admin chunk
 * cached after the first load): navigation start → the page's content on screen, and the API
 * requests each load makes. Usage waits for its four charts (the charting library's chunk).
 */
async function adminPagesReport(stack: Stack, browser: Browser, api: NchatApi): Promise<void> {
  const ws = await api.createWorkspace({ name: 'Bench Admin', plan: 'pro', trial: true });
  for (let i = 0; i < 5; i++) await api.addMember(ws, { name: `Member ${i}` });
  // Ready when the page's content is on screen, checked in the page on every animation frame and
  // timed from navigation start (a locator's waitFor polls at growing intervals, up to 500 ms).
  // Strings, not functions: tsx would wrap a function in a helper the page does not have.
  const pages: { name: string; path: string; ready: string }[] = [
    { name: 'members', path: '/admin', ready: `[...document.querySelectorAll('tbody tr')].some((r) => r.textContent.includes('Member 4'))` },
    { name: 'billing', path: '/billing', ready: `[...document.querySelectorAll('h2')].some((h) => h.textContent === 'Choose a plan')` },
    { name: 'usage (bars and 4 charts)', path: '/admin/usage', ready: `document.querySelectorAll('.usage-chart .recharts-wrapper').length === 4` },
    { name: 'audit log', path: '/admin/audit-log', ready: `document.querySelectorAll('.audit-table tbody tr').length > 0` },
  ];
  const context = await signedInContext(browser, stack, ws.slug, ws.token);
  const page = await context.newPage();
  let apiRequests = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiRequests++;
  });
  const readyAt = async (ready: string): Promise<number> => (await (await page.waitForFunction(`(${ready}) && performance.now()`, undefined, { polling: 'raf' })).jsonValue()) as number;
  const rows: (string | number)[][] = [];
  for (const p of pages) {
    const url = workspaceUrlOf(stack.info, ws.slug, p.path);
    await page.goto(url);
    await readyAt(p.ready);
    const times: number[] = [];
    const requests: number[] = [];
    for (let i = 0; i < ADMIN_LOADS; i++) {
      apiRequests = 0;
      await page.goto(url);
      times.push(await readyAt(p.ready));
      requests.push(apiRequests);
    }
    times.sort((a, b) => a - b);
    rows.push([p.name, String(times.length), percentile(times, 50), percentile(times, 90), String(Math.max(...requests))]);
  }
  await context.close();
  console.log(`\n(d) admin pages, warm, navigation → content on screen (ms), and API requests per load:`);
  printTable(['page', 'n', 'p50 ms', 'p90 ms', 'API requests'], rows);
}

// ---- main ----

async function main(): Promise<void> {
  const buildDir = mkdtempSync(join(tmpdir(), 'nchat-bench-web-'));
  try {
    await buildWeb(buildDir);
    console.log(`built the web app (${process.env.NCHAT_WEB_VITE_CONFIG || 'src/web/vite.config.ts'}, as npm run build:web builds dist/web) into ${buildDir}`);
    firstLoadReport(buildDir);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }

  ensureChromium();
  const stack = await startStack({ log: (line) => console.log(line) });
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await stack.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    const api = new NchatApi(() => stack.info);
    const workspace = await api.createWorkspace({ name: 'Bench Web' });
    browser = await launchBrowser();
    console.log(`Chromium ${browser.version()}, database ${stack.info.database}`);
    await pageLoadReport(stack, browser, workspace.slug);

    const flows = await measureFlows(stack, browser, api);
    console.log('\n(c) flows:');
    printTable(['flow', 'n', 'p50 ms', 'p99 ms'], flows.map((f) => [f.name, String(f.samples), f.p50, f.p99]));

    await adminPagesReport(stack, browser, api);
  } finally {
    await stop();
  }
}

// Run when executed (npm run bench:web), not when imported for firstLoadScripts / measureFlows.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
