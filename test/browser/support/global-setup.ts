/**
 * The browser suite's global setup (vitest.browser.config.ts): runs once, in Node, before the
 * first test file. Makes sure Chromium is there, starts the stack (./stack.ts) and provides
 * its description to test files as `inject('nchatBrowser')` (./urls.ts and ./api.ts read it).
 * The function it returns stops everything it started.
 */
import type { TestProject } from 'vitest/node';
import { ensureChromium } from './chromium';
import { startStack } from './stack';
import './provided';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(line);
  try {
    ensureChromium(log);
  } catch (err) {
    const line = (err as Error).message;
    const clean = new Error(line);
    clean.stack = line; // one line, no stack: it is an instruction, not a bug
    throw clean;
  }
  const stack = await startStack({ log });
  const { info } = stack;
  log(`[stack] platform ${info.platformUrl}, workspaces ${info.workspaceUrlPattern}, Stripe fake ${info.stripeFakeUrl}, Cloudflare fake ${info.cloudflareFakeUrl}`);
  project.provide('nchatBrowser', info);

  // Ctrl-C in the middle of a run: vitest may not reach the teardown, so stop here too.
  const onSignal = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stack.stop();
  };
}
