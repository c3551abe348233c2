import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ROOT } from './dev-vars';

/** What wrangler needs to run offline and quietly (no metrics, no cf.json fetch, no local tracing: it costs CPU in benchmarks). */
export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', X_LOCAL_OBSERVABILITY: 'false' };

export interface WranglerOptions {
  port: number;
  /** Where wrangler keeps its local KV and Durable Object state (and the env file). */
  dir: string;
  /** The built web app to serve; default dist/web (wrangler.toml [assets]). */
  webDir?: string;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  readyTimeoutMs?: number;
  /** The host the health check is sent with. */
  host?: string;
  /** Show wrangler's own output (default: only its errors). */
  showOutput?: boolean;
}

/**
 * `wrangler dev` for a private run (benchmarks, browser tests): its own local state in `dir`,
 * secrets through `--env-file` (so wrangler reads no .dev.vars), optionally the web app from
 * another directory (`--assets`), in its own process group (one kill reaches wrangler and every
 * workerd it started; SIGKILL if SIGTERM is not enough; nothing left behind should this process
 * exit without stopping it), ready once GET /api/health answers 200 — and failing at once if
 * wrangler exits before that.
 */
export async function startWranglerDev(o: WranglerOptions): Promise<{ stop(): Promise<void> }> {
  const envFile = join(o.dir, 'worker.env');
  writeFileSync(envFile, Object.entries(o.secrets).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
  const args = [
    'dev',
    '--port', String(o.port),
    '--infer-origin-from-routes=false',
    '--persist-to', join(o.dir, 'wrangler-state'),
    ...(o.webDir ? ['--assets', o.webDir] : []),
    '--env-file', envFile,
    '--show-interactive-dev-session=false',
    '--log-level', 'warn',
  ];
  for (const [k, v] of Object.entries(o.vars)) args.push('--var', `${k}:${v}`);
  const child: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: ROOT,
    stdio: ['ignore', o.showOutput ? 'inherit' : 'ignore', 'inherit'],
    detached: true, // its own process group: one kill reaches wrangler and every workerd it started
    // wrangler also reads secrets from its own environment, over the env file: the names given
    // here must come from the env file only (a DATABASE_URL in the shell is the gateway's, not the Worker's).
    env: { ...(Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in o.secrets))) as NodeJS.ProcessEnv), ...WRANGLER_ENV },
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* gone */
    }
  };
  // If this process ends without calling stop(), never leave workerd behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM');
      const forced = setTimeout(() => killGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    }
    killGroup('SIGKILL'); // anything left in the group
  };

  let early: string | undefined;
  void exited.then((how) => (early = how));
  const readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (early) throw new Error(`wrangler dev exited (${early}) before it answered /api/health; see its output above`);
    try {
      const res = await healthStatus(o.port, o.host ?? 'localhost');
      if (res === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /api/health with 200 within ${readyTimeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { stop };
}

/** GET /api/health's status with a Host header (Node's resolver does not know *.localhost). */
function healthStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/health', headers: { host: `${host}:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
