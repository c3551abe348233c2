/**
 * The local Stripe fake from the command line.
 *
 *   npm run stripe:fake                     the fake alone on STRIPE_FAKE_PORT (12111), sending
 *                                           webhook events to http://localhost:8787/api/billing/webhook
 *                                           signed with .dev.vars' STRIPE_WEBHOOK_SECRET
 *       options: --port N  --webhook-url URL  --no-webhook  --webhook-secret whsec_…
 *   npm run stripe:complete -- <checkout url or cs_test_… id> [--trialing] [--fake-url URL]
 *                                           pays a checkout on the running fake (npm run dev's
 *                                           or the one above) and prints the events it delivered
 *
 * (`npm run dev` starts the fake itself; stripe:fake is for running the Worker some other way.)
 */
import { parseArgs } from 'node:util';
import { planStripeFake, readDevVars, STRIPE_FAKE_DEFAULT_PORT } from './lib/dev-vars';
import { startStripeFake } from './stripe-fake';

const [command, ...rest] = process.argv.slice(2);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'webhook-url': { type: 'string' },
      'no-webhook': { type: 'boolean' },
      'webhook-secret': { type: 'string' },
    },
  });
  const devVars = readDevVars();
  const plan = planStripeFake(devVars);
  const port = Number(values.port ?? process.env.STRIPE_FAKE_PORT ?? STRIPE_FAKE_DEFAULT_PORT);
  const webhookSecret = values['webhook-secret'] ?? (plan.use ? plan.webhookSecret : devVars.STRIPE_WEBHOOK_SECRET) ?? 'whsec_local';
  const webhookUrl = values['no-webhook'] ? undefined : (values['webhook-url'] ?? `http://localhost:${process.env.PORT ?? 8787}/api/billing/webhook`);
  const fake = await startStripeFake({ port, webhookSecret, webhookUrl, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(
    `Stripe fake on ${fake.url} (webhooks ${webhookUrl ? `→ ${webhookUrl}` : 'not sent'}).\n` +
      `Point the Worker at it with STRIPE_API_URL=${fake.url} and the price ids price_pro_monthly, price_pro_yearly, price_enterprise_monthly, price_enterprise_yearly.\n` +
      `Complete a checkout: open its URL and press "Pay (test)", or npm run stripe:complete -- <checkout url>. Ctrl-C stops.\n`,
  );
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

interface CompleteResponse {
  session: { id: string; success_url: string | null };
  subscription: { id: string; status: string; items: { data: { price: { id: string } }[] } };
  events: { id: string; type: string }[];
  deliveries?: { id: string; type: string; status: number | null; error?: string }[];
}

async function complete(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { trialing: { type: 'boolean' }, 'fake-url': { type: 'string' } } });
  const target = positionals[0];
  if (!target) fail('usage: npm run stripe:complete -- <checkout url or cs_test_… id> [--trialing] [--fake-url URL]');
  const sessionId = /(cs_test_[A-Za-z0-9]+)/.exec(target)?.[1];
  if (!sessionId) fail(`no checkout session id (cs_test_…) in ${target}`);
  // A checkout URL names the fake that made it; otherwise the one npm run dev starts.
  const fakeUrl = values['fake-url'] ?? (/^https?:\/\//.test(target) ? new URL(target).origin : (process.env.STRIPE_API_URL ?? `http://127.0.0.1:${process.env.STRIPE_FAKE_PORT ?? STRIPE_FAKE_DEFAULT_PORT}`));
  let res: Response;
  try {
    res = await fetch(`${fakeUrl}/_fake/checkout/${sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(values.trialing ? { status: 'trialing' } : {}),
    });
  } catch (err) {
    fail(`the Stripe fake does not answer at ${fakeUrl} (${(err as Error).message}); is npm run dev (or npm run stripe:fake) running?`);
  }
  const text = await res.text();
  if (!res.ok) fail(`the Stripe fake refused: ${res.status} ${text}`);
  const body = JSON.parse(text) as CompleteResponse;
  const sub = body.subscription;
  process.stdout.write(`Checkout ${body.session.id} paid: subscription ${sub.id} (${sub.items.data[0]?.price.id}, ${sub.status}).\n`);
  if (body.deliveries) {
    for (const d of body.deliveries) process.stdout.write(`  ${d.type} ${d.id} → ${d.status ?? `not delivered: ${d.error}`}\n`);
    const failed = body.deliveries.filter((d) => d.status === null || d.status >= 300);
    if (failed.length > 0) process.exitCode = 1;
  } else {
    process.stdout.write(`  events (not delivered: the fake has no webhook URL): ${body.events.map((e) => `${e.type} ${e.id}`).join(', ')}\n`);
  }
  if (body.session.success_url) process.stdout.write(`Back to: ${body.session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', body.session.id)}\n`);
}

if (command === 'serve' || command === undefined) await serve(rest);
else if (command === 'complete') await complete(rest);
else fail(`unknown command ${command}: use serve or complete`);
