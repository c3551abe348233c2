/**
 * The local Cloudflare fake (custom hostnames, Cloudflare for SaaS) from the command line.
 *
 *   npm run cloudflare:fake                   the fake alone on CLOUDFLARE_FAKE_PORT (12112), accepting
 *                                             .dev.vars' CLOUDFLARE_API_TOKEN (or the dev token) for its
 *                                             CLOUDFLARE_ZONE_ID (or the dev zone)
 *       options: --port N  --token T  --zone Z  --any-token  --any-zone  --allow-reserved
 *   npm run cloudflare:activate -- <hostname or id>
 *                                             Cloudflare verifies it: hostname and certificate active
 *   npm run cloudflare -- <command> <hostname or id> [--fake-url URL]
 *       pending    back to waiting for DNS (the same records asked for)
 *       fail       verification failed: the certificate's validation timed out
 *       move       the CNAME was removed: Cloudflare reports it moved
 *       block      Cloudflare blocked it
 *       delete     gone from Cloudflare (deleted in the dashboard)
 *       show       print it as the API returns it
 *   npm run cloudflare -- list [hostname]      every custom hostname the fake holds
 *   npm run cloudflare -- requests [hostname]  the API calls it received (about that hostname)
 *
 * These drive a running fake: npm run dev's, or the one `cloudflare:fake` starts (--fake-url, or
 * CLOUDFLARE_API_URL in the shell, names another). The Worker learns of a change when it next
 * asks Cloudflare: the owner's refresh (POST /api/tenant/domains/:id/refresh) or the scheduled check.
 */
import { parseArgs } from 'node:util';
import { CLOUDFLARE_FAKE_DEFAULT_PORT, CLOUDFLARE_FAKE_DEV_TOKEN, CLOUDFLARE_FAKE_DEV_ZONE_ID, planCloudflareFake, readDevVars } from './lib/dev-vars';
import { startCloudflareFake, type FakeHostname, type HostnameStateName, type RecordedRequest } from './cloudflare-fake';

const [command, ...rest] = process.argv.slice(2);

const USAGE = `The local Cloudflare fake (custom hostnames, Cloudflare for SaaS): scripts/cloudflare-fake/README.md

  npm run cloudflare:fake [-- --port N --token T --zone Z --any-token --any-zone --allow-reserved]
      serve the fake alone (default 127.0.0.1:12112, .dev.vars' token and zone or the dev ones)
  npm run cloudflare:activate -- <hostname or id>     Cloudflare verified it: hostname and certificate active
  npm run cloudflare -- pending <hostname or id>      waiting for DNS again (the same records)
  npm run cloudflare -- fail <hostname or id>         verification failed: certificate validation timed out
  npm run cloudflare -- move <hostname or id>         the CNAME was removed: status moved
  npm run cloudflare -- block <hostname or id>        Cloudflare blocked it
  npm run cloudflare -- delete <hostname or id>       deleted at Cloudflare (the API answers 404)
  npm run cloudflare -- show <hostname or id>         as the API returns it
  npm run cloudflare -- list [hostname]               every custom hostname the fake holds
  npm run cloudflare -- requests [hostname]           the API calls it received
  (each takes --fake-url URL; default CLOUDFLARE_API_URL in the shell, else http://127.0.0.1:12112)
`;

if (command === 'help' || rest.includes('--help') || rest.includes('-h') || command === '--help' || command === '-h') {
  process.stdout.write(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      zone: { type: 'string' },
      'any-token': { type: 'boolean' },
      'any-zone': { type: 'boolean' },
      'allow-reserved': { type: 'boolean' },
    },
  });
  const devVars = readDevVars();
  const plan = planCloudflareFake(devVars, { ...process.env, CLOUDFLARE_FAKE: 'true' });
  const port = Number(values.port ?? process.env.CLOUDFLARE_FAKE_PORT ?? CLOUDFLARE_FAKE_DEFAULT_PORT);
  const apiToken = values['any-token'] ? undefined : (values.token ?? (plan.use ? plan.apiToken : CLOUDFLARE_FAKE_DEV_TOKEN));
  const zoneId = values['any-zone'] ? undefined : (values.zone ?? (plan.use ? plan.zoneId : CLOUDFLARE_FAKE_DEV_ZONE_ID));
  const fake = await startCloudflareFake({
    port,
    apiToken,
    zoneId,
    refuseReservedHostnames: !values['allow-reserved'],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `Cloudflare fake on ${fake.url} (custom hostnames API at ${fake.url}/client/v4, control API at ${fake.url}/_fake).\n` +
      `Point the Worker at it with CLOUDFLARE_API_URL=${fake.url}/client/v4, CLOUDFLARE_API_TOKEN=${apiToken ?? '<any>'}, CLOUDFLARE_ZONE_ID=${zoneId ?? '<any 32-hex zone>'}.\n` +
      `Activate a hostname: npm run cloudflare:activate -- <hostname>. Ctrl-C stops.\n`,
  );
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function fakeUrlFrom(value: string | undefined): string {
  if (value) return value.replace(/\/+$/, '').replace(/\/client\/v4$/, '');
  const configured = process.env.CLOUDFLARE_API_URL;
  if (configured) return configured.replace(/\/+$/, '').replace(/\/client\/v4$/, '');
  return `http://127.0.0.1:${process.env.CLOUDFLARE_FAKE_PORT ?? CLOUDFLARE_FAKE_DEFAULT_PORT}`;
}

async function call<T>(fakeUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${fakeUrl}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    fail(`the Cloudflare fake does not answer at ${fakeUrl} (${(err as Error).message}); is npm run dev (or npm run cloudflare:fake) running?`);
  }
  const text = await res.text();
  if (res.status === 404 && path.startsWith('/_fake/hostnames/')) fail(`the Cloudflare fake has no custom hostname ${decodeURIComponent(path.split('/')[3] ?? '')}`);
  if (!res.ok) fail(`the Cloudflare fake refused: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

function describe(h: FakeHostname): string {
  const errors = [...(h.verification_errors ?? []), ...(h.ssl?.validation_errors ?? []).map((e) => e.message ?? '')].filter(Boolean);
  return `${h.hostname}  ${h.id}  status ${h.status}, certificate ${h.ssl?.status ?? 'none'}${errors.length ? `  (${errors.join('; ')})` : ''}`;
}

const STATE_COMMANDS: Record<string, HostnameStateName> = {
  activate: 'active',
  pending: 'pending',
  fail: 'failed_verification',
  move: 'moved',
  block: 'blocked',
  delete: 'deleted',
};

async function control(name: string, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'fake-url': { type: 'string' } } });
  const fakeUrl = fakeUrlFrom(values['fake-url']);
  const target = positionals[0];

  if (name === 'list') {
    const q = target ? `?hostname=${encodeURIComponent(target)}` : '';
    const { hostnames } = await call<{ hostnames: FakeHostname[] }>(fakeUrl, 'GET', `/_fake/hostnames${q}`);
    if (hostnames.length === 0) process.stdout.write(target ? `No custom hostname ${target}.\n` : 'No custom hostnames yet.\n');
    for (const h of hostnames) process.stdout.write(`${describe(h)}\n`);
    return;
  }
  if (name === 'requests') {
    const q = target ? `?hostname=${encodeURIComponent(target)}` : '';
    const { requests } = await call<{ requests: RecordedRequest[] }>(fakeUrl, 'GET', `/_fake/requests${q}`);
    for (const r of requests) {
      const query = Object.keys(r.query).length ? `?${new URLSearchParams(r.query)}` : '';
      process.stdout.write(`${r.time}  ${r.method} ${r.path}${query} → ${r.status ?? `no answer (${r.failure?.mode})`}${r.hostname ? `  [${r.hostname}]` : ''}\n`);
    }
    return;
  }
  if (!target) fail(`usage: npm run cloudflare -- ${name} <hostname or id> [--fake-url URL]`);
  const ref = encodeURIComponent(target);
  if (name === 'show') {
    process.stdout.write(`${JSON.stringify(await call<FakeHostname>(fakeUrl, 'GET', `/_fake/hostnames/${ref}`), null, 2)}\n`);
    return;
  }
  const state = STATE_COMMANDS[name]!;
  const { customHostname } = await call<{ customHostname: FakeHostname | null }>(fakeUrl, 'POST', `/_fake/hostnames/${ref}/state`, { state });
  process.stdout.write(customHostname ? `${describe(customHostname)}\n` : `${target}: deleted at Cloudflare (the API now answers 404).\n`);
  process.stdout.write('The Worker sees it on its next check: the domain\'s refresh, or the scheduled run.\n');
}

if (command === 'serve' || command === undefined) await serve(rest);
else if (command in STATE_COMMANDS || command === 'list' || command === 'requests' || command === 'show') await control(command, rest);
else fail(`unknown command ${command}\n\n${USAGE}`);
