/**
 * People in a test: each is a fresh BrowserContext (own cookies, storage, cache) with one page,
 * on one Chromium shared by the whole test file. Everything that goes wrong in a person's pages
 * (console errors, uncaught exceptions, failed requests, HTTP errors) is collected so a test can
 * assert that nothing did.
 *
 * Lifecycle (automatic): a person made inside a test is closed when that test ends, one made in
 * beforeAll when the file ends; the shared browser closes after the file. When a test fails,
 * each of its people's pages is saved as test-artifacts/screenshots/<file>/FAILED-<test>-<person>.png.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, onTestFinished } from 'vitest';
import { launchBrowser, viewportOptions, type ViewportName } from './browser';
import { uniqueClientIp } from './api';
import { SESSION_COOKIE_NAME } from './constants';
import { workspaceUrl } from './context';
import { screenshot } from './screenshot';

export type ProblemKind = 'console' | 'pageerror' | 'requestfailed' | 'http';

export interface Problem {
  kind: ProblemKind;
  /** One line: what happened. */
  text: string;
  /** The resource (request URL, or where a console message came from). */
  url?: string;
  /** For `http`: the response status (400 and up). */
  status?: number;
  method?: string;
}

/** What to ignore: a pattern matched against a problem's text, fields to match, or a predicate. */
export type ProblemFilter = RegExp | string | { kind?: ProblemKind; url?: RegExp | string; status?: number; text?: RegExp | string } | ((problem: Problem) => boolean);

export interface Person {
  name: string;
  /** The CF-Connecting-IP the person's requests carry (null: none). */
  clientIp: string | null;
  context: BrowserContext;
  /** The person's first page (open more with context.newPage(); they are watched too). */
  page: Page;
  /** Everything that went wrong so far, in order. */
  problems: Problem[];
  /**
   * Fails listing every problem not matched by `ignore`. E.g. a signed-out visit that expects
   * GET /api/me to answer 401: `expectNoErrors({ ignore: [{ url: /\/api\/me$/, status: 401 }] })`.
   */
  expectNoErrors(options?: { ignore?: ProblemFilter[] }): void;
  /** Forgets the problems collected so far. */
  clearProblems(): void;
  /** Signs the person in on a workspace by setting the session cookie (a token from api.createWorkspace / api.signIn). */
  signIn(slug: string, token: string): Promise<void>;
  close(): Promise<void>;
}

export interface PersonOptions {
  /** `desktop` (1280×800, default), `mobile` (375×740, touch) or a size. */
  viewport?: ViewportName | { width: number; height: number };
  /**
   * The address the Worker sees (CF-Connecting-IP, which wrangler dev passes through). Default:
   * one of its own per person, as real people have, so per-address limits (5 sign-ups an hour)
   * count each person separately; give two people the same one to test such a limit; `null`
   * sends none (everyone is then `unknown` to the Worker).
   */
  clientIp?: string | null;
  /** Anything else for browser.newContext() (locale, timezoneId, colorScheme, …). */
  contextOptions?: BrowserContextOptions;
}

let shared: Promise<Browser> | undefined;
const fileScoped = new Set<Person>();

/** The test file's Chromium, launched on first use. */
export function sharedBrowser(): Promise<Browser> {
  shared ??= launchBrowser();
  return shared;
}

afterAll(async () => {
  for (const person of [...fileScoped]) await person.close().catch(() => undefined);
  if (shared) {
    const browser = shared;
    shared = undefined;
    await (await browser.catch(() => undefined))?.close();
  }
});

export async function newPerson(name: string, options: PersonOptions = {}): Promise<Person> {
  const browser = await sharedBrowser();
  const clientIp = options.clientIp === undefined ? uniqueClientIp() : options.clientIp;
  const extraHTTPHeaders = { ...(clientIp ? { 'cf-connecting-ip': clientIp } : {}), ...options.contextOptions?.extraHTTPHeaders };
  const context = await browser.newContext({ ...viewportOptions(options.viewport), ...options.contextOptions, extraHTTPHeaders });
  const problems: Problem[] = [];
  watch(context, problems);
  const page = await context.newPage();

  const person: Person = {
    name,
    clientIp,
    context,
    page,
    problems,
    expectNoErrors(o = {}) {
      const left = problems.filter((p) => !(o.ignore ?? []).some((f) => matches(p, f)));
      if (left.length) throw new Error(`${name}'s pages had ${left.length} problem(s):\n${left.map((p) => `  [${p.kind}] ${p.text}`).join('\n')}`);
    },
    clearProblems() {
      problems.length = 0;
    },
    async signIn(slug, token) {
      await context.addCookies([{ name: SESSION_COOKIE_NAME, value: token, url: workspaceUrl(slug), httpOnly: true, secure: true, sameSite: 'Lax' }]);
    },
    async close() {
      fileScoped.delete(person);
      await context.close().catch(() => undefined);
    },
  };

  try {
    // One handler for both: vitest runs onTestFinished handlers before onTestFailed ones, so a
    // failure screenshot taken in onTestFailed would find the context already closed.
    onTestFinished(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        for (const [i, p] of context.pages().entries()) {
          if (!p.isClosed()) await screenshot(p, `FAILED-${ctx.task.name.slice(0, 80)}-${name}${i ? `-${i}` : ''}`).catch(() => undefined);
        }
      }
      await person.close();
    });
  } catch {
    fileScoped.add(person); // not inside a test (beforeAll): closed after the file
  }
  return person;
}

const FAILED_RESOURCE = /^Failed to load resource: /;

function watch(context: BrowserContext, problems: Problem[]): void {
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Chromium also logs every failed request and 4xx/5xx response as a console error; the
    // `requestfailed` and `http` entries below say it better (method, URL, status).
    if (FAILED_RESOURCE.test(text)) return;
    const url = msg.location().url || undefined;
    problems.push({ kind: 'console', text: url ? `${text} (${url})` : text, url });
  });
  context.on('weberror', (err) => {
    const e = err.error();
    problems.push({ kind: 'pageerror', text: `uncaught ${e.name}: ${e.message}`, url: err.page()?.url() });
  });
  context.on('requestfailed', (req) => {
    problems.push({ kind: 'requestfailed', text: `${req.method()} ${req.url()} failed: ${req.failure()?.errorText ?? 'unknown'}`, url: req.url(), method: req.method() });
  });
  context.on('response', (res) => {
    if (res.status() < 400) return;
    const req = res.request();
    problems.push({ kind: 'http', text: `${req.method()} ${res.url()} answered ${res.status()}`, url: res.url(), status: res.status(), method: req.method() });
  });
}

function matches(p: Problem, f: ProblemFilter): boolean {
  if (typeof f === 'function') return f(p);
  if (typeof f === 'string') return p.text.includes(f);
  if (f instanceof RegExp) return f.test(p.text);
  if (f.kind && f.kind !== p.kind) return false;
  if (f.status !== undefined && f.status !== p.status) return false;
  if (f.url !== undefined && !(p.url && (typeof f.url === 'string' ? p.url.includes(f.url) : f.url.test(p.url)))) return false;
  if (f.text !== undefined && !(typeof f.text === 'string' ? p.text.includes(f.text) : f.text.test(p.text))) return false;
  return true;
}
