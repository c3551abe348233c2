/**
 * The fake's HTTP server: Stripe's API under /v1 (authenticated, recorded, idempotent, with
 * planned failures), the control API under /_fake, and the hosted checkout/portal pages.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readBody, sendJson } from '../lib/fake-http';
import type { AddressInfo } from 'node:net';
import { apiRoutes } from './api-routes';
import { controlRoutes } from './control-routes';
import { StripeApiError, unknownRoute } from './errors';
import { deliverEvents, signEvent, type DeliveryResult, type SignedEvent } from './events';
import { parseParams, type Params } from './form';
import { newId, type PriceSeed, type StripeEvent } from './objects';
import { pageRoutes } from './pages';
import { matchRoute, type EventOutlet, type Route, type RouteContext, type RouteResult } from './router';
import { StripeFakeState, type RecordedRequest } from './state';

export interface StripeFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (the control API has no authentication). */
  host?: string;
  /** Signs the webhook events (`whsec_…`), the same secret the Worker verifies with. */
  webhookSecret: string;
  /** If set, events are also POSTed here as Stripe would (npm run dev: the Worker's webhook route). */
  webhookUrl?: string;
  /** The prices that exist; default: nchat's four (price_pro_monthly, …). */
  prices?: PriceSeed[];
  /** If set, only this secret key is accepted; otherwise any `sk_test_…`/`rk_test_…` key. */
  apiKey?: string;
  /** Where to report background webhook deliveries (npm run dev prints them). */
  log?: (line: string) => void;
}

export interface StripeFake {
  url: string;
  port: number;
  state: StripeFakeState;
  close(): Promise<void>;
}


export async function startStripeFake(options: StripeFakeOptions): Promise<StripeFake> {
  const host = options.host ?? '127.0.0.1';
  const state = new StripeFakeState(options.prices);
  const log = options.log ?? (() => undefined);
  let fakeUrl = '';

  // Deliveries go out one at a time in the order they were emitted, whoever emitted them.
  let deliveryQueue: Promise<unknown> = Promise.resolve();
  const deliverInOrder = (signed: SignedEvent[]): Promise<DeliveryResult[]> => {
    const run = deliveryQueue.then(() => deliverEvents(options.webhookUrl!, signed));
    deliveryQueue = run.catch(() => undefined);
    return run;
  };
  const events: EventOutlet = {
    webhookConfigured: Boolean(options.webhookUrl),
    sign: (event, o = {}) => signEvent(event, o.secret ?? options.webhookSecret, o.timestamp),
    async emitNow(list: StripeEvent[]) {
      state.events.push(...list);
      const signed = await Promise.all(list.map((e) => signEvent(e, options.webhookSecret)));
      const deliveries = options.webhookUrl ? await deliverInOrder(signed) : null;
      return { signed, deliveries };
    },
    emitInBackground(list: StripeEvent[]) {
      state.events.push(...list);
      if (!options.webhookUrl) return;
      void Promise.all(list.map((e) => signEvent(e, options.webhookSecret)))
        .then(deliverInOrder)
        .then((results) => {
          for (const r of results) log(`webhook ${r.type} ${r.id} → ${r.status ?? r.error}`);
        });
    },
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake, not a Stripe error: say so plainly rather than hang the client.
      if (!res.headersSent) sendJson(res, 500, new StripeApiError(500, 'api_error', `Stripe fake internal error: ${(err as Error).message}`).toBody());
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const queryText = url.search.slice(1);
    const rawBody = await readBody(req);

    if (path.startsWith('/v1/')) return handleApi(req, res, method, path, queryText, rawBody);

    const routes: Route[] = path.startsWith('/_fake/') ? controlRoutes : pageRoutes;
    const matched = matchRoute(routes, method, path);
    if (!matched || 'methodNotAllowed' in matched) return sendJson(res, 404, unknownRoute(method, path).toBody());
    try {
      const query = parseParams(queryText);
      send(res, await matched.route.handle(context(matched.ids, query, query, parseControlBody(req, rawBody), null)));
    } catch (err) {
      if (err instanceof StripeApiError) return sendJson(res, err.status, err.toBody());
      throw err;
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, path: string, queryText: string, rawBody: string): Promise<void> {
    const query = parseParams(queryText);
    const body = isForm(req) ? parseParams(rawBody) : {};
    const idempotencyKey = header(req, 'idempotency-key');
    const apiKey = bearerKey(req);
    const record: RecordedRequest = {
      id: newId('req_', 14),
      method,
      path,
      query,
      body,
      idempotencyKey,
      stripeVersion: header(req, 'stripe-version'),
      auth: { present: apiKey !== null, keyPrefix: apiKey ? keyPrefix(apiKey) : null },
      status: 0,
      result: null,
      time: new Date().toISOString(),
    };
    state.requests.push(record);
    let reply = (status: number, payload: unknown, extra: Record<string, string> = {}): void => {
      record.status = status;
      record.result = summarise(payload);
      const echo = { ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...(record.stripeVersion ? { 'stripe-version': record.stripeVersion } : {}) };
      sendJson(res, status, payload, { 'request-id': record.id, ...echo, ...extra });
    };
    const replyError = (err: StripeApiError) => reply(err.status, err.toBody());

    const authError = checkApiKey(apiKey, options.apiKey);
    if (authError) return replyError(authError);

    const hold = state.takeHold(method, path);
    if (hold) {
      // The answer is computed now and sent when the test releases it (or the client gives up).
      const send = reply;
      reply = (status, payload, extra) => {
        hold.markArrived();
        void hold.released.then(() => send(status, payload, extra));
      };
    }

    const failure = state.takeFailure(method, path);
    if (failure) {
      const type = failure.status === 429 ? 'rate_limit_error' : failure.status === 402 ? 'card_error' : failure.status >= 500 ? 'api_error' : 'invalid_request_error';
      return replyError(new StripeApiError(failure.status, type, failure.message ?? `Injected failure from the Stripe fake (${method} ${failure.pathPrefix}).`));
    }

    try {
      if (method === 'POST' && idempotencyKey) {
        const stored = state.idempotentReplay(idempotencyKey, method, path, body);
        if (stored) return reply(stored.status, stored.body, { 'idempotent-replayed': 'true' });
      }
      const matched = matchRoute(apiRoutes, method, path);
      if (!matched || 'methodNotAllowed' in matched) return replyError(unknownRoute(method, path));
      const result = await matched.route.handle(context(matched.ids, query, { ...query, ...body }, body, idempotencyKey));
      if (result.kind !== 'json') throw new Error(`API route ${path} returned ${result.kind}`);
      if (method === 'POST' && idempotencyKey && result.status < 300) state.saveIdempotent(idempotencyKey, method, path, body, result.status, result.body);
      reply(result.status, result.body);
    } catch (err) {
      if (err instanceof StripeApiError) return replyError(err);
      throw err;
    }
  }

  function context(ids: string[], query: Params, params: Params, body: unknown, idempotencyKey: string | null): RouteContext {
    return { state, fakeUrl, params, query, body, ids, idempotencyKey, events };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  fakeUrl = `http://${urlHost}:${port}`;

  return {
    url: fakeUrl,
    port,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The secret key from `Authorization: Bearer sk_…` (what the SDK sends) or Basic auth with the key as user name. */
function bearerKey(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  if (!auth) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
  if (bearer) return bearer[1] ?? null;
  const basic = /^Basic\s+(\S+)$/i.exec(auth);
  if (basic) return Buffer.from(basic[1] ?? '', 'base64').toString('utf8').split(':')[0] || null;
  return null;
}

/** `sk_test`, `rk_test`, `sk_live`: what kind of key came, without any of its secret part. */
function keyPrefix(key: string): string {
  const m = /^([a-z]{2,4}_(?:test|live))_/.exec(key);
  return m?.[1] ?? 'unknown';
}

function checkApiKey(key: string | null, expected: string | undefined): StripeApiError | undefined {
  if (!key) {
    return new StripeApiError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').');
  }
  // A live key sent to a local fake is a configuration mistake worth stopping at once.
  if (!/^(sk|rk)_test_/.test(key)) return new StripeApiError(401, 'invalid_request_error', 'This Stripe fake accepts test mode keys only (sk_test_…).', 'api_key_invalid');
  if (expected && key !== expected) return new StripeApiError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, 'api_key_invalid');
  return undefined;
}

function isForm(req: IncomingMessage): boolean {
  return (header(req, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** Control requests are JSON; a form body (the checkout page's button) is accepted too. */
function parseControlBody(req: IncomingMessage, raw: string): unknown {
  if (!raw) return {};
  if (isForm(req)) return parseParams(raw);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new StripeApiError(400, 'invalid_request_error', 'The control API takes a JSON body.');
  }
}



function send(res: ServerResponse, result: RouteResult): void {
  if (result.kind === 'json') return sendJson(res, result.status, result.body);
  if (result.kind === 'redirect') {
    res.writeHead(303, { location: result.location });
    res.end();
    return;
  }
  res.writeHead(result.status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(result.html) });
  res.end(result.html);
}

/** The object a response carried, in brief, for the request log. */
function summarise(payload: unknown): RecordedRequest['result'] {
  if (typeof payload !== 'object' || payload === null) return null;
  const { object, id, customer } = payload as { object?: unknown; id?: unknown; customer?: unknown };
  if (typeof object !== 'string' || typeof id !== 'string') return null;
  const customerId = typeof customer === 'string' ? customer : typeof customer === 'object' && customer !== null && typeof (customer as { id?: unknown }).id === 'string' ? (customer as { id: string }).id : null;
  return { object, id, customer: customerId };
}
