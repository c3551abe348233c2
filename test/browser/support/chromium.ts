/**
 * Debian's Chromium, driven by playwright-core (which never downloads a browser of its own).
 * The launch flags are the ones this machine needs: without the background-networking ones,
 * Chromium's own connections to Google are refused by the closed network at every start.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.NCHAT_CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const INSTALL_HINT = `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package with \`sudo apt-get install -y chromium\` (or set NCHAT_CHROMIUM_PATH to a Chromium binary).`;

/**
 * Makes sure Chromium is there. Missing, and running as root with apt-get available, it is
 * installed from Debian's packages (saying so); otherwise this throws one line saying how.
 */
export function ensureChromium(log: (line: string) => void = (l) => console.log(l)): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt || CHROMIUM_PATH !== '/usr/bin/chromium') throw new Error(INSTALL_HINT);
  log(`[browser] ${CHROMIUM_PATH} is missing: installing Debian's chromium package (apt-get install -y chromium)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  if (!install()) {
    log('[browser] apt-get install failed; refreshing the package lists (apt-get update) and trying again...');
    spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (!install()) throw new Error(`apt-get install -y chromium failed. ${INSTALL_HINT}`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(INSTALL_HINT);
  const version = spawnSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`[browser] installed ${version || 'chromium'}`);
}
