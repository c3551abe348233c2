import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Parses the dotenv-style .dev.vars format: KEY=value, # comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

/**
 * A fresh clone has no .dev.vars (it holds secrets and is never committed). Create it from
 * .dev.vars.example, replacing every `generate-me` placeholder with a random value, so
 * `npm install && npm run dev` works with nothing else to do.
 */
export function ensureDevVars(root = ROOT): { path: string; created: boolean } {
  const path = join(root, '.dev.vars');
  if (existsSync(path)) return { path, created: false };
  const example = readFileSync(join(root, '.dev.vars.example'), 'utf8');
  const filled = example.replace(/generate-me/g, () => randomBytes(32).toString('base64url'));
  writeFileSync(path, filled, { mode: 0o600 });
  return { path, created: true };
}

export function readDevVars(root = ROOT): Record<string, string> {
  const path = join(root, '.dev.vars');
  return existsSync(path) ? parseDotenv(readFileSync(path, 'utf8')) : {};
}

/** The [vars] table of wrangler.toml. */
export function readWranglerVars(root = ROOT): Record<string, string> {
  const toml = parseToml(readFileSync(join(root, 'wrangler.toml'), 'utf8')) as { vars?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(toml.vars ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Where `npm run dev` runs the local Stripe fake (scripts/stripe-fake); STRIPE_FAKE_PORT moves it. */
export const STRIPE_FAKE_DEFAULT_PORT = 12111;

/** The price ids the Stripe fake serves (scripts/stripe-fake/objects.ts DEFAULT_PRICES), as the Worker's vars. */
export const STRIPE_FAKE_PRICE_VARS: Record<string, string> = {
  STRIPE_PRICE_PRO_MONTHLY: 'price_pro_monthly',
  STRIPE_PRICE_PRO_YEARLY: 'price_pro_yearly',
  STRIPE_PRICE_ENTERPRISE_MONTHLY: 'price_enterprise_monthly',
  STRIPE_PRICE_ENTERPRISE_YEARLY: 'price_enterprise_yearly',
};

export type StripeFakePlan =
  | { use: true; port: number; url: string; webhookSecret: string; webhookSecretMissing: boolean; vars: Record<string, string> }
  | { use: false; reason: string };

/**
 * Whether `npm run dev` starts the Stripe fake: yes, unless STRIPE_FAKE=false (in the shell or
 * .dev.vars) or .dev.vars points STRIPE_API_URL somewhere else (then Stripe calls go there, as
 * configured). When it does, the Worker is given the fake's URL and its price ids.
 */
export function planStripeFake(devVars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): StripeFakePlan {
  const port = Number(env.STRIPE_FAKE_PORT ?? STRIPE_FAKE_DEFAULT_PORT);
  const url = `http://127.0.0.1:${port}`;
  const flag = (env.STRIPE_FAKE ?? devVars.STRIPE_FAKE ?? '').trim().toLowerCase();
  if (flag === 'false' || flag === '0' || flag === 'no') return { use: false, reason: 'STRIPE_FAKE=false' };
  const configured = devVars.STRIPE_API_URL?.trim();
  if (configured && !isSameLocalUrl(configured, port)) return { use: false, reason: `STRIPE_API_URL=${configured} in .dev.vars` };
  const secret = devVars.STRIPE_WEBHOOK_SECRET?.trim();
  return {
    use: true,
    port,
    url,
    webhookSecret: secret || 'whsec_local',
    webhookSecretMissing: !secret,
    vars: { STRIPE_API_URL: url, ...STRIPE_FAKE_PRICE_VARS },
  };
}

/** A STRIPE_API_URL (or CLOUDFLARE_API_URL) that names the fake's own address is not "pointing elsewhere". */
function isSameLocalUrl(value: string, port: number): boolean {
  try {
    const u = new URL(value);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && Number(u.port) === port;
  } catch {
    return false;
  }
}

/** Where `npm run dev` runs the local Cloudflare fake (scripts/cloudflare-fake); CLOUDFLARE_FAKE_PORT moves it. */
export const CLOUDFLARE_FAKE_DEFAULT_PORT = 12112;
/** What the Worker is given in dev when .dev.vars names no token or zone: the fake accepts exactly these. */
export const CLOUDFLARE_FAKE_DEV_TOKEN = 'cf-dev-local-token-0123456789';
export const CLOUDFLARE_FAKE_DEV_ZONE_ID = 'de0de0de0de0de0de0de0de0de0de0de';
/** The CNAME target in dev (BASE_DOMAIN=localhost): nothing resolves it, the fake never checks DNS. */
export const CLOUDFLARE_FAKE_DEV_TARGET = 'customers.localhost';

export type CloudflareFakePlan =
  | {
      use: true;
      port: number;
      /** The fake's own URL (control API at /_fake). */
      url: string;
      /** The SDK's base URL: url + /client/v4 (the Worker's CLOUDFLARE_API_URL). */
      apiUrl: string;
      apiToken: string;
      zoneId: string;
      /**
       * Worker vars to pass with --var: what .dev.vars does not already set. (A .dev.vars from
       * before custom domains has no CLOUDFLARE_API_TOKEN: the dev token then goes here, and
       * wrangler, which only counts .dev.vars for secrets, warns that it is missing.)
       */
      vars: Record<string, string>;
      /** .dev.vars has no CLOUDFLARE_API_TOKEN (the dev token is passed with --var). */
      tokenMissing: boolean;
    }
  | { use: false; reason: string };

/**
 * Whether `npm run dev` starts the Cloudflare fake: yes, unless CLOUDFLARE_FAKE=false (in the
 * shell or .dev.vars), or .dev.vars points CLOUDFLARE_API_URL somewhere else, or .dev.vars sets
 * a real CLOUDFLARE_API_TOKEN (any but the dev token of .dev.vars.example) without
 * CLOUDFLARE_API_URL: real credentials for the SDK's default, the real api.cloudflare.com
 * (CLOUDFLARE_FAKE=true uses the fake anyway). When it does, the Worker is given the fake's URL
 * and, unless .dev.vars has its own, the dev token, a dev zone and a CNAME target; the fake
 * accepts that token for that zone.
 */
export function planCloudflareFake(devVars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): CloudflareFakePlan {
  const port = Number(env.CLOUDFLARE_FAKE_PORT ?? CLOUDFLARE_FAKE_DEFAULT_PORT);
  const url = `http://127.0.0.1:${port}`;
  const apiUrl = `${url}/client/v4`;
  const flag = (env.CLOUDFLARE_FAKE ?? devVars.CLOUDFLARE_FAKE ?? '').trim().toLowerCase();
  if (flag === 'false' || flag === '0' || flag === 'no') return { use: false, reason: 'CLOUDFLARE_FAKE=false' };
  const configured = devVars.CLOUDFLARE_API_URL?.trim();
  if (configured && !isSameLocalUrl(configured, port)) return { use: false, reason: `CLOUDFLARE_API_URL=${configured} in .dev.vars` };
  const token = devVars.CLOUDFLARE_API_TOKEN?.trim();
  const forced = flag === 'true' || flag === '1' || flag === 'yes';
  if (token && token !== CLOUDFLARE_FAKE_DEV_TOKEN && !configured && !forced) {
    return { use: false, reason: 'CLOUDFLARE_API_TOKEN in .dev.vars without CLOUDFLARE_API_URL: the real Cloudflare API' };
  }
  const zoneId = devVars.CLOUDFLARE_ZONE_ID?.trim() || CLOUDFLARE_FAKE_DEV_ZONE_ID;
  return {
    use: true,
    port,
    url,
    apiUrl,
    apiToken: token || CLOUDFLARE_FAKE_DEV_TOKEN,
    zoneId,
    vars: {
      CLOUDFLARE_API_URL: apiUrl,
      CLOUDFLARE_ZONE_ID: zoneId,
      ...(token ? {} : { CLOUDFLARE_API_TOKEN: CLOUDFLARE_FAKE_DEV_TOKEN }),
      ...(devVars.CUSTOM_DOMAIN_TARGET?.trim() ? {} : { CUSTOM_DOMAIN_TARGET: CLOUDFLARE_FAKE_DEV_TARGET }),
    },
    tokenMissing: !token,
  };
}
