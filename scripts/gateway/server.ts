import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIsolationLevel, type BatchOptions, type SqlBackend, type Statement, type StatementResult } from './backend';
import { GatewayStats } from './stats';

/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint. The Worker's `@neondatabase/serverless`
 * driver is pointed here with `neonConfig.fetchEndpoint`; everything above the HTTP call is the
 * production code path.
 *
 * Protocol (as the driver speaks it): POST /sql with headers `Neon-Connection-String`,
 * `Neon-Raw-Text-Output: true`, `Neon-Array-Mode: true` and, for a batch,
 * `Neon-Batch-Isolation-Level`, `Neon-Batch-Read-Only`, `Neon-Batch-Deferrable`. Body
 * `{query, params}` or `{queries: [{query, params}, ...]}`. Reply: one result
 * `{command, rowCount, rows, rowAsArray, fields}` or `{results: [...]}`; a Postgres error is
 * HTTP 400 with its fields as JSON.
 *
 * Extra endpoints for tests and benchmarks: GET /_gateway/stats (round trips per connection, and
 * the most requests answered at once), POST /_gateway/stats/reset, POST /_gateway/latency
 * (`?connection=`, body `{minMs, maxMs}`: hold that connection's requests that long before they
 * run, a random time in the range; 0 ends it), GET /_gateway/health.
 */
export interface Gateway {
  url: string;
  /** The URL to give `neonConfig.fetchEndpoint` (NEON_FETCH_ENDPOINT). */
  sqlEndpoint: string;
  stats: GatewayStats;
  backend: SqlBackend;
  close(): Promise<void>;
}

export interface GatewayOptions {
  backend: SqlBackend;
  port?: number;
  host?: string;
  /** Largest accepted request body. Neon's own limit is 64 MB. */
  maxBodyBytes?: number;
}

/** Postgres error fields the driver copies onto its NeonDbError (its list, in its order). */
const ERROR_FIELDS = [
  'severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine',
] as const;

class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { backend } = options;
  const stats = new GatewayStats();
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('[gateway] unexpected error:', err);
      if (!res.headersSent) send(res, 500, { message: 'gateway internal error' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (req.method === 'POST' && path === '/sql') return handleSql(req, res);
    if (req.method === 'GET' && path === '/_gateway/health') return send(res, 200, { status: 'ok', backend: backend.kind });
    if (req.method === 'GET' && path === '/_gateway/stats') return send(res, 200, { backend: backend.kind, connections: stats.snapshot(), concurrency: stats.concurrencySnapshot() });
    if (req.method === 'POST' && path === '/_gateway/latency') {
      const connection = new URL(req.url ?? '/', 'http://gateway').searchParams.get('connection');
      const body = JSON.parse((await readBody(req, 1024)) || '{}') as { minMs?: unknown; maxMs?: unknown };
      if (!connection || typeof body.minMs !== 'number' || typeof body.maxMs !== 'number') return send(res, 400, { message: 'want ?connection= and {minMs, maxMs}' });
      stats.setLatency(connection, body.minMs, body.maxMs);
      return send(res, 200, { ok: true });
    }
    if (req.method === 'POST' && path === '/_gateway/stats/reset') {
      const connection = new URL(req.url ?? '/', 'http://gateway').searchParams.get('connection') ?? undefined;
      stats.reset(connection);
      return send(res, 200, { ok: true });
    }
    send(res, 404, { message: `no route for ${req.method} ${path}` });
  }

  async function handleSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const connection = header(req, 'neon-connection-string');
    if (!connection) return send(res, 400, { message: 'missing Neon-Connection-String header' });

    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, maxBodyBytes));
    } catch (err) {
      const status = err instanceof RequestError ? err.status : 400;
      return send(res, status, { message: err instanceof Error ? err.message : 'invalid JSON body' });
    }

    let batch: Statement[] | undefined;
    let single: Statement | undefined;
    try {
      if (isRecord(body) && Array.isArray(body.queries)) batch = body.queries.map(parseStatement);
      else single = parseStatement(body);
    } catch (err) {
      return send(res, 400, { message: (err as Error).message });
    }

    let batchOptions: BatchOptions = {};
    if (batch) {
      const iso = header(req, 'neon-batch-isolation-level');
      if (iso !== undefined && !isIsolationLevel(iso)) return send(res, 400, { message: `invalid Neon-Batch-Isolation-Level: ${iso}` });
      batchOptions = {
        isolationLevel: iso,
        readOnly: boolHeader(header(req, 'neon-batch-read-only')),
        deferrable: boolHeader(header(req, 'neon-batch-deferrable')),
      };
    }

    const statementCount = batch ? batch.length : 1;
    stats.started(connection);
    const delay = stats.delayFor(connection);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    try {
      if (batch) {
        const results = batch.length ? await backend.runBatch(batch, batchOptions) : [];
        stats.record(connection, statementCount, true, false);
        send(res, 200, { results: results.map(toWire) });
      } else {
        const result = await backend.run(single!);
        stats.record(connection, statementCount, false, false);
        send(res, 200, toWire(result));
      }
    } catch (err) {
      stats.record(connection, statementCount, batch !== undefined, true);
      if (isPostgresError(err)) return send(res, 400, postgresErrorBody(err));
      // Not a Postgres error: the database itself could not be reached. Neon answers such
      // cases with a 5xx, which the driver surfaces as "Server error (HTTP status ...)".
      send(res, 503, { message: `database unavailable: ${(err as Error)?.message ?? String(err)}` });
    } finally {
      stats.finished(connection);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    sqlEndpoint: `${url}/sql`,
    stats,
    backend,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await backend.close();
    },
  };
}

function toWire(r: StatementResult) {
  return { command: r.command, rowCount: r.rowCount, rows: r.rows, rowAsArray: true, fields: r.fields };
}

interface PostgresErrorLike {
  message: string;
  code: string;
  [key: string]: unknown;
}

function isPostgresError(err: unknown): err is PostgresErrorLike {
  // SQLSTATE codes are five characters; connection errors (ECONNREFUSED, ...) are not.
  const code: unknown = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function postgresErrorBody(err: PostgresErrorLike): Record<string, unknown> {
  const body: Record<string, unknown> = { message: err.message };
  for (const field of ERROR_FIELDS) {
    const value = err[field];
    if (value !== undefined && value !== null) body[field] = String(value);
  }
  return body;
}

function parseStatement(value: unknown): Statement {
  if (!isRecord(value) || typeof value.query !== 'string') throw new Error('each query needs a string "query"');
  const params = value.params ?? [];
  if (!Array.isArray(params)) throw new Error('"params" must be an array');
  return { query: value.query, params };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function boolHeader(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value === 'true';
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new RequestError(413, `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
