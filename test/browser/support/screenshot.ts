/**
 * Screenshots as test artifacts: test-artifacts/screenshots/<test file>/<name>.png, full page
 * by default (CI copies test-artifacts/ somewhere stable after the run; see .ci/run).
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from '../../../scripts/lib/dev-vars';

export const ARTIFACTS_DIR = join(ROOT, 'test-artifacts');

/** test-artifacts/screenshots/<file> for the test file running now (`smoke` for smoke.test.ts). */
export function screenshotDir(): string {
  let testPath: string | undefined;
  try {
    testPath = expect.getState().testPath;
  } catch {
    /* outside a test */
  }
  const file = testPath ? basename(testPath).replace(/\.test\.[cm]?[jt]sx?$/, '') : 'misc';
  return join(ARTIFACTS_DIR, 'screenshots', file);
}

/** Writes <dir>/<name>.png and returns its path. `name` may use letters, digits, `-`, `_`, `.`. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  const dir = screenshotDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true, animations: 'disabled' });
  return path;
}
