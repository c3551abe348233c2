import { defineConfig } from 'vitest/config';

/**
 * The browser suite (npm run test:browser): test/browser/**\/*.test.ts in Node (not workerd),
 * driving Debian's Chromium with playwright-core against the real stack that
 * test/browser/support/global-setup.ts starts once for the run (the built app, wrangler dev,
 * the database gateway, the Stripe fake). Files run one at a time: they share that one stack.
 * How to write a test: test/browser/README.md.
 */
/** CI (.ci/run) sets NCHAT_TEST_REPORT to a path prefix: each suite writes its JSON report beside it. */
const report = process.env.NCHAT_TEST_REPORT;

export default defineConfig({
  test: {
    name: 'browser',
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: `${report}.browser.json` } } : {}),
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['./test/browser/support/global-setup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    // A page load, a sign-in and a few round trips through wrangler dev take seconds, not ms.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    slowTestThreshold: 10_000,
  },
});
