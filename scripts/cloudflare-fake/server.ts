/**
 * The fake's HTTP server: Cloudflare's custom hostnames API under /client/v4 (authenticated,
 * recorded, with planned failures) and the control API under /_fake.
 */
import { randomBytes } from 'node:crypto';
import { readBody, sendJson } from '../lib/fake-http';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiRoutes, COLLECTION, ITEM } from './api-routes';
import { controlRoutes } from './control-routes';
import { authenticationError, badAuthorizationHeader, badJson, CloudflareApiError, methodNotAllowed, noRoute, plannedFailure } from './envelope';
import { normaliseHostname } from './hostnames';
import { matchRoute, type Route } from './router';
import { CloudflareFakeState, type FailureRule, type RecordedRequest } from './state';

export interface CloudflareFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (the control API has no authentication). */
  host?: string;
  /** If set, only this API token is accepted; otherwise any non-empty bearer token. */
  apiToken?: string;
  /** If set, the only zone the API serves (others answer 404 code 7003); otherwise any 32-hex zone id. */
  zoneId?: string;
  /**
   * Refuse what Cloudflare refuses: hostnames under the reserved top-level domains test,
   * example, invalid, localhost (400 code 1409) and under example.com/.net/.org (1411).
   * Default true; false lets such names through (a test that cannot use realistic ones).
   */
  refuseReservedHostnames?: boolean;
  /** Where to report what happens (npm run dev prints it). */
  log?: (line: string) => void;
}

export interface CloudflareFake {
  /** e.g. `http://127.0.0.1:12112`; the SDK's baseURL is this plus `/client/v4`. */
  url: string;
  port: number;
  state: CloudflareFakeState;
  close(): Promise<void>;
}


export async function startCloudflareFake(options: CloudflareFakeOptions = {}): Promise<CloudflareFake> {
  const host = options.host ?? '127.0.0.1';
  const state = new CloudflareFakeState(options.zoneId ?? null, { refuseReservedHostnames: options.refuseReservedHostnames });
  const log = options.log ?? (() => undefined);
  let requestSeq = 0;
  /** Timers of hung requests that close their connection later; cleared at close(). */
  const hangTimers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake, not a Cloudflare error: say so plainly rather than hang the client.
      if (!res.headersSent) sendJson(res, 500, new CloudflareApiError(500, 1500, `Cloudflare fake internal error: ${(err as Error).message}`).toBody());
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const path = url.pathname;
    const rawBody = await readBody(req);

    if (path === '/client/v4' || path.startsWith('/client/v4/')) return handleApi(req, res, method, path, url.searchParams, rawBody);

    if (!path.startsWith('/_fake/')) return sendJson(res, 404, noRoute().toBody());
    const matched = matchRoute(controlRoutes, method, path);
    if (!matched) return sendJson(res, 404, noRoute().toBody());
    if ('methodNotAllowed' in matched) return sendJson(res, 405, methodNotAllowed(method).toBody());
    try {
      const body = rawBody ? parseJson(rawBody) : undefined;
      const result = await matched.route.handle({ state, ids: matched.ids, query: url.searchParams, body });
      sendJson(res, result.status, result.body);
    } catch (err) {
      if (err instanceof CloudflareApiError) return sendJson(res, err.status, err.toBody());
      throw err;
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams, rawBody: string): Promise<void> {
    let body: unknown = null;
    let bodyError: CloudflareApiError | undefined;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody) as unknown;
      } catch {
        bodyError = badJson();
      }
    }
    const auth = header(req, 'authorization');
    const bearer = auth ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
    const about = subjectOf(method, path, query, body);
    const record: RecordedRequest = {
      id: `req_${(++requestSeq).toString().padStart(6, '0')}`,
      method,
      path,
      query: Object.fromEntries(query),
      body,
      zoneId: about.zoneId,
      hostname: about.hostname,
      hostnameId: about.hostnameId,
      auth: { present: auth !== null, scheme: auth ? (auth.split(/\s+/)[0] ?? null) : null, accepted: false },
      status: null,
      failure: null,
      time: new Date().toISOString(),
    };
    state.requests.push(record);
    const rayId = `${randomBytes(8).toString('hex')}-FAKE`;
    const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, payload, { 'cf-ray': rayId, ...extra });
    };
    const replyError = (err: CloudflareApiError, extra?: Record<string, string>) => reply(err.status, err.toBody(), extra);

    if (auth !== null && bearer === undefined) return replyError(badAuthorizationHeader());
    if (!bearer || (options.apiToken !== undefined && bearer !== options.apiToken)) return replyError(authenticationError());
    record.auth.accepted = true;

    const failure = state.takeFailure(record);
    if (failure) {
      record.failure = { rule: failure.id, mode: failure.mode };
      log(`planned failure ${failure.id} (${describeFailure(failure)}) for ${method} ${path}`);
      if (failure.mode === 'close') {
        req.socket.destroy();
        return;
      }
      if (failure.mode === 'hang') {
        // No answer. With hangMs the connection is dropped then; otherwise the client times out.
        if (failure.hangMs !== null) {
          const timer = setTimeout(() => {
            hangTimers.delete(timer);
            req.socket.destroy();
          }, failure.hangMs);
          hangTimers.add(timer);
        }
        return;
      }
      const extra: Record<string, string> = failure.retryAfter !== null ? { 'retry-after': String(failure.retryAfter) } : {};
      return replyError(plannedFailure(failure.status, failure.code ?? undefined, failure.message ?? undefined), extra);
    }

    try {
      if (bodyError) throw bodyError;
      const matched = matchRoute(apiRoutes as Route[], method, path);
      if (!matched) throw noRoute();
      if ('methodNotAllowed' in matched) throw methodNotAllowed(method);
      const result = await matched.route.handle({ state, ids: matched.ids, query, body: rawBody ? body : undefined });
      // A create names its new id; the log can then be filtered by it.
      const created = method === 'POST' && (result.body as { result?: { id?: unknown } }).result?.id;
      if (typeof created === 'string') record.hostnameId = created;
      reply(result.status, result.body);
    } catch (err) {
      if (err instanceof CloudflareApiError) return replyError(err);
      throw err;
    }
  }

  /** What a call is about, read before it runs (a delete's hostname is known from its id). */
  function subjectOf(method: string, path: string, query: URLSearchParams, body: unknown): Pick<RecordedRequest, 'zoneId' | 'hostname' | 'hostnameId'> {
    const item = ITEM.exec(path);
    if (item) {
      const id = decodeURIComponent(item[2]!).toLowerCase();
      return { zoneId: decodeURIComponent(item[1]!), hostname: state.hostnameOfId(id) ?? null, hostnameId: id };
    }
    const collection = COLLECTION.exec(path);
    if (!collection) return { zoneId: null, hostname: null, hostnameId: null };
    const zoneId = decodeURIComponent(collection[1]!);
    if (method === 'POST') {
      const name = typeof body === 'object' && body !== null ? (body as { hostname?: unknown }).hostname : undefined;
      return { zoneId, hostname: typeof name === 'string' ? normaliseHostname(name) : null, hostnameId: null };
    }
    const filter = query.get('hostname.exact') ?? query.get('hostname');
    const id = query.get('id');
    return { zoneId, hostname: filter ? normaliseHostname(filter) : id ? (state.hostnameOfId(id) ?? null) : null, hostnameId: id ? id.toLowerCase() : null };
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

  return {
    url: `http://${urlHost}:${port}`,
    port,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of hangTimers) clearTimeout(timer);
        hangTimers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describeFailure(rule: FailureRule): string {
  if (rule.mode === 'close') return 'connection closed';
  if (rule.mode === 'hang') return rule.hangMs !== null ? `hang ${rule.hangMs} ms, then close` : 'hang';
  return `HTTP ${rule.status}`;
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new CloudflareApiError(400, 1400, 'The control API takes a JSON body.');
  }
}


