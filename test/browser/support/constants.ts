/**
 * Fixed secrets of the browser suite's Worker (never real ones; the suite's own `wrangler dev`
 * gets them, whatever the developer's .dev.vars says). The Stripe keys match the local Stripe
 * fake: it accepts any `sk_test_…` key and signs its webhook events with the webhook secret.
 */
export const BROWSER_SESSION_SECRET = 'browser-test-session-secret-0123456789abcdef';
export const BROWSER_PLATFORM_ADMIN_TOKEN = 'browser-test-platform-admin-token-0123456789';
export const BROWSER_STRIPE_SECRET_KEY = 'sk_test_nchat_browser_tests';
export const BROWSER_STRIPE_WEBHOOK_SECRET = 'whsec_nchat_browser_tests';
/** Custom domains: the local Cloudflare fake accepts only this token and serves only this zone. */
export const BROWSER_CLOUDFLARE_API_TOKEN = 'cf-browser-test-token-0123456789';
export const BROWSER_CLOUDFLARE_ZONE_ID = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';

/** Workspaces are `<slug>.localhost`: browsers resolve every `*.localhost` name to loopback. */
export const BROWSER_BASE_DOMAIN = 'localhost';

/** The session cookie the API sets (src/auth/session.ts SESSION_COOKIE). */
export const SESSION_COOKIE_NAME = 'nchat_session';
