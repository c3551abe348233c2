/**
 * The Worker's connection string in tests. The gateway serves whatever backend it was started
 * with; this string only names the connection, so the gateway's counters can be read for it.
 */
export const TEST_DATABASE_URL = 'postgresql://nchat:test@db.test.localhost/nchat';

export const TEST_BASE_DOMAIN = 'nchat.test';
export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789';
export const TEST_PLATFORM_ADMIN_TOKEN = 'test-platform-admin-token-0123456789';
/** The Worker's Stripe keys in tests; the local Stripe fake signs its events with the webhook secret. */
export const TEST_STRIPE_SECRET_KEY = 'sk_test_nchat_tests';
export const TEST_STRIPE_WEBHOOK_SECRET = 'whsec_nchat_tests';
/**
 * The Worker's Cloudflare for SaaS settings in tests: the local Cloudflare fake (test/global-setup.ts)
 * accepts only this token and serves only this zone, as a real token scoped to one zone would.
 */
export const TEST_CLOUDFLARE_API_TOKEN = 'cf-test-token-0123456789';
export const TEST_CLOUDFLARE_ZONE_ID = '0123456789abcdef0123456789abcdef';
/** The CNAME target customers are told to point their hostname at (CUSTOM_DOMAIN_TARGET). */
export const TEST_CUSTOM_DOMAIN_TARGET = `customers.${TEST_BASE_DOMAIN}`;
