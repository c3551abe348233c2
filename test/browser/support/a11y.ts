/**
 * Accessibility checks with axe-core (@axe-core/playwright), run in the page as it is now.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export interface A11yContext {
  /** CSS selector(s) to check (default: the whole page). */
  include?: string | string[];
  /** CSS selector(s) to leave out. */
  exclude?: string | string[];
  /** axe rule ids not to run (say why in the test). */
  disableRules?: string[];
}

export type A11yViolation = { id: string; impact?: string | null; help: string; helpUrl: string; nodes: { target: unknown[] }[] };

/**
 * Fails if axe finds a `serious` or `critical` violation; the message lists each rule, its
 * impact, what it means and the offending elements' selectors. `context` is a selector (or
 * list) to check instead of the whole page, or include/exclude/disableRules. Returns every
 * violation (moderate and minor ones too) for tests that want to look further.
 */
export async function expectNoSeriousA11yViolations(page: Page, context?: string | string[] | A11yContext): Promise<A11yViolation[]> {
  const c: A11yContext = typeof context === 'string' || Array.isArray(context) ? { include: context } : (context ?? {});
  let builder = new AxeBuilder({ page });
  for (const s of list(c.include)) builder = builder.include(s);
  for (const s of list(c.exclude)) builder = builder.exclude(s);
  if (c.disableRules?.length) builder = builder.disableRules(c.disableRules);
  const results = await builder.analyze();
  const violations = results.violations as A11yViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) {
    const lines = serious.map((v) => {
      const targets = v.nodes.map((n) => `      ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))).join(' ')}`);
      return `  ${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}\n${targets.join('\n')}`;
    });
    throw new Error(`${serious.length} serious or critical accessibility violation(s) on ${page.url()}:\n${lines.join('\n')}`);
  }
  return violations;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
