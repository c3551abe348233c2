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
