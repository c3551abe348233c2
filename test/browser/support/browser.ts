/**
 * Launching Debian's Chromium with playwright-core, and the viewport presets. Free of vitest,
 * so bench/web.ts uses it too.
 *
 * Debugging: NCHAT_BROWSER_HEADED=1 opens a real window (needs a display: run under
 * `xvfb-run`, or on a desktop), NCHAT_BROWSER_SLOWMO=<ms> slows every Playwright action down,
 * NCHAT_BROWSER_DEVTOOLS=1 opens DevTools in each window (headed only).
 */
import { chromium, type Browser, type BrowserContextOptions, type LaunchOptions } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 375, height: 740 },
} as const;

export type ViewportName = keyof typeof VIEWPORTS;

/** Context options for a preset: the mobile one is also a touch device with a mobile viewport meta. */
export function viewportOptions(viewport: ViewportName | { width: number; height: number } = 'desktop'): BrowserContextOptions {
  if (typeof viewport !== 'string') return { viewport };
  if (viewport === 'mobile') return { viewport: VIEWPORTS.mobile, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  return { viewport: VIEWPORTS.desktop };
}

export function isHeaded(): boolean {
  return truthy(process.env.NCHAT_BROWSER_HEADED);
}

/** A new Chromium; the caller closes it. Tests normally use the shared one (people.ts). */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const headed = isHeaded();
  const slowMo = Number(process.env.NCHAT_BROWSER_SLOWMO ?? 0) || undefined;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: !headed,
    args: [...(headed ? [] : ['--headless']), ...CHROMIUM_ARGS, ...(headed && truthy(process.env.NCHAT_BROWSER_DEVTOOLS) ? ['--auto-open-devtools-for-tabs'] : [])],
    slowMo,
    ...options,
  });
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
