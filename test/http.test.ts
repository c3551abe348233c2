/**
 * The HTTP edge: unknown routes, request ids, the single error shape and structured logs.
 */
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/app';
import { DomainError } from '../src/domain/errors';
import { HTTP_STATUS } from '../src/http/errors';
import worker from '../src/index';
import { envWith } from './support/gateway';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface ErrorResponse {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

const SECRET = 'SECRET-INTERNAL-DETAIL';

/** The real app with extra routes that fail in each way a handler can fail. */
function appWithFailingRoutes() {
  const app = createApp();
  app.get('/boom', () => {
    throw new Error(`connection to 10.0.0.7 failed: ${SECRET}`);
  });
  app.get('/plan-limit', () => {
    throw new DomainError('plan_limit', 'Your plan allows 5 channels.', { limit: 5 });
  });
  app.get('/rate-limited', () => {
    throw new DomainError('rate_limited', 'Slow down.', { retryAfterSeconds: 7 });
  });
  app.post('/validate', async (c) => {
    const schema = z.object({ name: z.string().min(1), user: z.object({ email: z.email() }), age: z.number() });
    schema.parse(await c.req.json());
    return c.json({ ok: true });
  });
  app.post('/too-large', () => {
    throw new HTTPException(413);
  });
  app.get('/teapot', () => {
    throw new HTTPException(418, { message: 'short and stout' });
  });
  app.get('/db-busy', () => {
    throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
  });
  app.get('/db-down', () => {
    throw Object.assign(new Error('the database system is shutting down'), { code: '57P01' });
  });
  app.get('/db-query', () => {
    throw Object.assign(new Error(`relation "tenant_acme.${SECRET}" does not exist`), { code: '42P01' });
  });
  return app;
}

async function errorBody(res: Response): Promise<ErrorResponse> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as ErrorResponse;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/nope'],
    ['POST', '/nope'],
    ['DELETE', '/api/health'],
  ])('%s %s is a 404 in the error shape', async (method, path) => {
    const res = await exports.default.fetch(new Request(`http://nchat.test${path}`, { method }));
    expect(res.status).toBe(404);
    const body = await errorBody(res);
    expect(body).toEqual({ error: { code: 'not_found', message: expect.any(String), requestId: res.headers.get('x-request-id') } });
    expect(body.error.message).toContain(path);
  });
});

describe('request ids', () => {
  it('gives every response a UUID X-Request-Id when there is no cf-ray, different per request', async () => {
    const a = await exports.default.fetch('http://nchat.test/api/nope');
    const b = await exports.default.fetch('http://nchat.test/api/nope');
    expect(a.headers.get('x-request-id')).toMatch(UUID);
    expect(b.headers.get('x-request-id')).toMatch(UUID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('uses the cf-ray header as the request id', async () => {
    const ray = '8f1e2d3c4b5a6978-AMS';
    const res = await exports.default.fetch(new Request('http://nchat.test/api/nope', { headers: { 'cf-ray': ray } }));
    expect(res.headers.get('x-request-id')).toBe(ray);
    expect((await errorBody(res)).error.requestId).toBe(ray);
  });

  it.each([
    ['with spaces', 'abc def'],
    ['with quotes and braces', 'abc"},{"x":"y'],
    ['longer than 64 characters', 'a'.repeat(65)],
  ])('ignores a cf-ray %s and uses a UUID', async (_label, ray) => {
    const res = await exports.default.fetch(new Request('http://nchat.test/api/nope', { headers: { 'cf-ray': ray } }));
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('replaces a client-sent X-Request-Id with its own', async () => {
    const res = await exports.default.fetch(new Request('http://nchat.test/api/nope', { headers: { 'X-Request-Id': 'client-chosen-id' } }));
    const id = res.headers.get('x-request-id');
    expect(id).not.toBe('client-chosen-id');
    expect(id).not.toContain('client-chosen-id');
    expect(id).toMatch(UUID);
    expect((await errorBody(res)).error.requestId).toBe(id);
  });

  it('sets X-Request-Id on successful responses too', async () => {
    const res = await exports.default.fetch('http://nchat.test/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });
});

describe('the error handler', () => {
  it('turns an unexpected error into a 500 internal_error with no stack or internal detail', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFailingRoutes().request('http://nchat.test/boom', {}, env);
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as ErrorResponse;
    expect(body.error.code).toBe('internal_error');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(body.error).not.toHaveProperty('details');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('10.0.0.7');
    expect(text).not.toMatch(/\bat .*:\d+:\d+/); // no stack frames
    expect(text).not.toContain('stack');
  });

  it('renders a DomainError with the status its code maps to, its code and details', async () => {
    const res = await appWithFailingRoutes().request('http://nchat.test/plan-limit', {}, env);
    expect(res.status).toBe(402);
    expect(await errorBody(res)).toEqual({
      error: { code: 'plan_limit', message: 'Your plan allows 5 channels.', details: { limit: 5 }, requestId: res.headers.get('x-request-id') },
    });
  });

  it('sets Retry-After from a refusal that says when to come back', async () => {
    const res = await appWithFailingRoutes().request('http://nchat.test/rate-limited', {}, env);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const body = await errorBody(res);
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.details).toEqual({ retryAfterSeconds: 7 });
  });

  it('maps every domain error code to a 4xx or 5xx status, in one table', () => {
    for (const [code, status] of Object.entries(HTTP_STATUS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('turns a ZodError into a 400 validation_failed listing each failing field', async () => {
    const res = await appWithFailingRoutes().request(
      'http://nchat.test/validate',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '', user: { email: 'not-an-email' }, age: 'x' }) },
      env,
    );
    expect(res.status).toBe(400);
    const body = await errorBody(res);
    expect(body.error.code).toBe('validation_failed');
    const issues = (body.error.details as { issues: { path: string; message: string }[] }).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['age', 'name', 'user.email']);
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual(['message', 'path']);
      expect(issue.message).toEqual(expect.any(String));
      expect(issue.message.length).toBeGreaterThan(0);
    }
  });

  it('maps a plain HTTPException 413 to payload_too_large', async () => {
    const res = await appWithFailingRoutes().request('http://nchat.test/too-large', { method: 'POST' }, env);
    expect(res.status).toBe(413);
    const body = await errorBody(res);
    expect(body.error.code).toBe('payload_too_large');
    expect(body.error.message).toEqual(expect.any(String));
    expect(body.error.message.length).toBeGreaterThan(0);
  });

  it('gives an HTTPException with an unmapped status the generic http_error code', async () => {
    const res = await appWithFailingRoutes().request('http://nchat.test/teapot', {}, env);
    expect(res.status).toBe(418);
    expect((await errorBody(res)).error).toMatchObject({ code: 'http_error', message: 'short and stout' });
  });

  it('turns a serialization failure into 503 database_busy with Retry-After', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFailingRoutes().request('http://nchat.test/db-busy', {}, env);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await errorBody(res)).error.code).toBe('database_busy');
  });

  it('turns a server-shutdown error into 503 database_unavailable', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFailingRoutes().request('http://nchat.test/db-down', {}, env);
    expect(res.status).toBe(503);
    expect((await errorBody(res)).error.code).toBe('database_unavailable');
  });

  it('does not leak the text of an ordinary query error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFailingRoutes().request('http://nchat.test/db-query', {}, env);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect((JSON.parse(text) as ErrorResponse).error.code).toBe('internal_error');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('tenant_acme');
  });
});

describe('structured logs', () => {
  const infoEnv = () => envWith({ LOG_LEVEL: 'info' });

  function jsonLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
    return spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
  }

  it('writes one JSON line per request with its id, method, path, status and duration', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const ctx = createExecutionContext();
    // A Request built in a test has no Host header unless given one; a real request always has it.
    const req = new Request('http://nchat.test/api/nope?x=1', { method: 'POST', headers: { host: 'nchat.test' } });
    const res = await worker.fetch(req, infoEnv(), ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    const id = res.headers.get('x-request-id');
    const lines = jsonLines(log).filter((l) => l.requestId === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request', requestId: id, method: 'POST', path: '/api/nope', host: 'nchat.test', status: 404 });
    expect(lines[0]!.durationMs).toEqual(expect.any(Number));
    expect(lines[0]!.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
  });

  it('logs a successful request as one line with status 200', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const res = await worker.fetch(new Request('http://nchat.test/api/health'), infoEnv(), createExecutionContext());
    expect(res.status).toBe(200);
    const lines = jsonLines(log).filter((l) => l.requestId === res.headers.get('x-request-id'));
    expect(lines).toEqual([expect.objectContaining({ msg: 'request', method: 'GET', path: '/api/health', status: 200 })]);
  });

  it('uses cf-ray as the logged request id', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await worker.fetch(new Request('http://nchat.test/api/nope', { headers: { 'cf-ray': 'ray-for-logs-1' } }), infoEnv(), createExecutionContext());
    expect(jsonLines(log).filter((l) => l.requestId === 'ray-for-logs-1')).toEqual([expect.objectContaining({ msg: 'request', status: 404 })]);
  });

  it('logs nothing below the configured level', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const res = await worker.fetch(new Request('http://nchat.test/api/nope'), envWith({ LOG_LEVEL: 'warn' }), createExecutionContext());
    expect(res.status).toBe(404);
    expect(log).not.toHaveBeenCalled();
  });

  it('logs a 500 with console.error, with the stack server-side only', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFailingRoutes().request('http://nchat.test/boom', {}, infoEnv());
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id');
    expect(jsonLines(log).filter((l) => l.requestId === id)).toEqual([]);
    const lines = jsonLines(error).filter((l) => l.requestId === id);
    const unhandled = lines.find((l) => l.msg === 'unhandled_error');
    expect(unhandled).toMatchObject({ level: 'error', requestId: id });
    expect(unhandled!.error).toContain(SECRET);
    expect(unhandled!.stack).toEqual(expect.stringContaining(SECRET));
    expect(unhandled!.stack).toMatch(/\n\s+at /);
    const request = lines.find((l) => l.msg === 'request');
    expect(request).toMatchObject({ level: 'error', method: 'GET', path: '/boom', status: 500 });
    expect(await res.text()).not.toContain(SECRET);
  });

  it('still logs when the configuration is broken', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await worker.fetch(new Request('http://nchat.test/api/health'), envWith({ LOG_LEVEL: 'info', PLATFORM_ADMIN_TOKEN: undefined }), createExecutionContext());
    expect(res.status).toBe(500);
    const lines = jsonLines(error).filter((l) => l.requestId === res.headers.get('x-request-id'));
    expect(lines.map((l) => l.msg).sort()).toEqual(['config_error', 'request']);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ status: 500, path: '/api/health' });
  });
});
