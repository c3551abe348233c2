/**
 * npm run bench:web — figures for the web app (no pass/fail):
 *   (a) first-load JavaScript: every JS file the built index.html loads directly
 *       (<script src>) or by <link rel="modulepreload">, gzipped, beside the 150 KB budget;
 *   (b) page load in Debian's Chromium against the real stack (test/browser/support/stack.ts:
 *       wrangler dev, gateway, Stripe fake): navigation start → load event of the platform page
 *       and a workspace page, p50/p90 over 10 loads, cold (a fresh browser context each time)
 *       and warm (reloads in one context);
 *   (c) flow timings: the measureFlows() hook below, empty until the chat UI exists.
 * The app is built with src/web/vite.config.ts exactly as `npm run build:web` builds dist/web,
 * but into a temp directory (dist/web is left alone). DATABASE_URL picks PostgreSQL, as in tests.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
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

/**
 * ==== HOOK: flow timings (to be written once the chat UI exists) ====
 * Gets the running stack (stack.info: URLs, admin token; `api` creates workspaces, signs in,
 * posts messages) and the launched Chromium; returns figures to print. Planned:
 *   1. "sign-in → first message list": a workspace with a channel and ~50 messages (api);
 *      a fresh context opens workspaceUrl(slug, '/login'), fills in the owner's email and
 *      password, submits; time from the submit click until the message list's last message is
 *      visible (a locator on the list), over ~10 runs;
 *   2. "message in one browser → shown in another": two contexts signed in (cookie from
 *      api.signIn) on the same channel; A types and sends a unique text; time from A's send
 *      until B's page shows it (page.waitForSelector on the text, timed in Node, or a
 *      MutationObserver in B reporting performance.timeOrigin + now), 100 messages one after
 *      another, p50/p99.
 * Until then it measures nothing.
 */
export async function measureFlows(stack: Stack, browser: Browser, api: NchatApi): Promise<FlowFigure[]> {
  void stack;
  void browser;
  void api;
  return [];
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
    if (flows.length === 0) console.log('none measured yet (hook: measureFlows in bench/web.ts, to be filled in with the chat UI)');
    else printTable(['flow', 'n', 'p50 ms', 'p99 ms'], flows.map((f) => [f.name, String(f.samples), f.p50, f.p99]));
  } finally {
    await stop();
  }
}

// Run when executed (npm run bench:web), not when imported for firstLoadScripts / measureFlows.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
