import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig } from 'vitest/config';
import {
  TEST_BASE_DOMAIN,
  TEST_CLOUDFLARE_API_TOKEN,
  TEST_CLOUDFLARE_ZONE_ID,
  TEST_CUSTOM_DOMAIN_TARGET,
  TEST_DATABASE_URL,
  TEST_PLATFORM_ADMIN_TOKEN,
  TEST_SESSION_SECRET,
  TEST_STRIPE_SECRET_KEY,
  TEST_STRIPE_WEBHOOK_SECRET,
} from './test/support/constants.ts';

/** CI (.ci/run) sets NCHAT_TEST_REPORT to a path prefix: each suite writes its JSON report beside it. */
const report = process.env.NCHAT_TEST_REPORT;

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          BASE_DOMAIN: TEST_BASE_DOMAIN,
          ENABLE_MULTI_TENANCY: 'true',
          DEFAULT_TENANT_SLUG: 'default',
          LOG_LEVEL: 'warn',
          // The gate's rate limit and quota are tested on their own (test/tenant-gate.test.ts,
          // which turns them on); the rest of the suite sends more than a free plan's 60/minute.
          PLAN_LIMITS_ENFORCED: 'false',
          DATABASE_URL: TEST_DATABASE_URL,
          NEON_FETCH_ENDPOINT: `${inject('gatewayUrl')}/sql`,
          SESSION_SECRET: TEST_SESSION_SECRET,
          PLATFORM_ADMIN_TOKEN: TEST_PLATFORM_ADMIN_TOKEN,
          STRIPE_SECRET_KEY: TEST_STRIPE_SECRET_KEY,
          // Also the secret the Stripe fake signs events with (test/global-setup.ts).
          STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET,
          // The local Stripe fake (scripts/stripe-fake), and the prices it serves.
          STRIPE_API_URL: inject('stripeFakeUrl'),
          STRIPE_PRICE_PRO_MONTHLY: 'price_pro_monthly',
          STRIPE_PRICE_PRO_YEARLY: 'price_pro_yearly',
          STRIPE_PRICE_ENTERPRISE_MONTHLY: 'price_enterprise_monthly',
          STRIPE_PRICE_ENTERPRISE_YEARLY: 'price_enterprise_yearly',
          // Custom domains: the local Cloudflare fake (scripts/cloudflare-fake), reached by the real
          // cloudflare SDK; it accepts this token and serves this zone only.
          CLOUDFLARE_API_URL: `${inject('cloudflareFakeUrl')}/client/v4`,
          CLOUDFLARE_API_TOKEN: TEST_CLOUDFLARE_API_TOKEN,
          CLOUDFLARE_ZONE_ID: TEST_CLOUDFLARE_ZONE_ID,
          CUSTOM_DOMAIN_TARGET: TEST_CUSTOM_DOMAIN_TARGET,
        },
      },
    })),
  ],
  test: {
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: `${report}.worker.json` } } : {}),
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // The browser suite runs in Node against the real stack: vitest.browser.config.ts.
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    // The cloudflare SDK's client module imports every Cloudflare API (hundreds of modules, some
    // over 1 MiB with their source maps); loaded one by one into workerd, such a module is larger
    // than the runner's WebSocket takes (1009, the test worker exits). Pre-bundled by esbuild,
    // as wrangler bundles the Worker, only what the Worker uses is left.
    deps: { optimizer: { ssr: { enabled: true, include: ['cloudflare/tree-shakable', 'cloudflare/resources/custom-hostnames/custom-hostnames', 'cloudflare/error'] } } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
