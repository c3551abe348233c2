/**
 * What the global setup hands to test files (`inject('nchatBrowser')`): plain data, no
 * functions, so it crosses into the test workers. The URL helpers below are pure functions of it.
 */
export interface StackInfo {
  /** The port `wrangler dev` listens on (every host: platform and workspaces). */
  port: number;
  /** The platform host, e.g. `http://localhost:41234` (sign-up, platform API). */
  platformUrl: string;
  /** BASE_DOMAIN of the Worker: `localhost`. */
  baseDomain: string;
  /** How a workspace's URL is made: replace `{slug}`, e.g. `http://{slug}.localhost:41234`. */
  workspaceUrlPattern: string;
  /** PLATFORM_ADMIN_TOKEN of the Worker: `Authorization: Bearer <it>` is the platform operator. */
  adminToken: string;
  /** The local Stripe fake (scripts/stripe-fake): the Worker's STRIPE_API_URL; pay a checkout with POST /_fake/... (see its README). */
  stripeFakeUrl: string;
  /** The local Cloudflare fake (scripts/cloudflare-fake): the Worker's CLOUDFLARE_API_URL is this plus /client/v4; activate a hostname with POST /_fake/hostnames/:hostname/state (see its README). */
  cloudflareFakeUrl: string;
  /** Which database the gateway serves. */
  database: 'pglite' | 'postgres';
  /** The built web app the Worker serves (a private copy, not dist/web). */
  webDir: string;
}

/** `http://<slug>.localhost:<port><path>`. */
export function workspaceUrlOf(info: StackInfo, slug: string, path = '/'): string {
  return info.workspaceUrlPattern.replace('{slug}', slug) + normalisePath(path);
}

/** `http://localhost:<port><path>`. */
export function platformUrlOf(info: StackInfo, path = '/'): string {
  return info.platformUrl + normalisePath(path);
}

/** The Host header of a workspace (`<slug>.localhost:<port>`), for requests from Node. */
export function workspaceHostOf(info: StackInfo, slug: string): string {
  return `${slug}.${info.baseDomain}:${info.port}`;
}

function normalisePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
