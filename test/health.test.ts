/**
 * GET /api/health: ok against the test database, and a fast 503 "degraded" when the database
 * hangs or refuses — never a hung check.
 */
import { exports } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { version } from '../package.json';
import worker from '../src/index';
import { envWith } from './support/gateway';

interface HealthBody {
  status: string;
  version: string;
  db: { status: string; latencyMs: number; schemaVersion?: string | null };
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Calls the Worker with a database at `endpoint` and measures how long the answer takes. */
async function healthAgainst(host: string, endpoint: string, overrides: Record<string, string | undefined> = {}) {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {}); // the 503's request line
  const env = envWith({ DATABASE_URL: `postgresql://nchat:test@${host}/nchat`, NEON_FETCH_ENDPOINT: endpoint, ...overrides });
  const started = Date.now();
  const res = await worker.fetch(new Request('http://nchat.test/api/health'), env, createExecutionContext());
  const elapsed = Date.now() - started;
  const text = await res.text();
  const body = JSON.parse(text) as HealthBody;
  return { res, text, body, elapsed, warnings: warn.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>) };
}

describe('GET /api/health', () => {
  it('reports ok with the app version, database latency and schema version', async () => {
    const res = await exports.default.fetch('http://nchat.test/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as HealthBody;
    expect(body).toEqual({
      status: 'ok',
      version,
      db: { status: 'ok', latencyMs: expect.any(Number), schemaVersion: expect.stringMatching(/^\d{4}$/) },
    });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.db.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.db.schemaVersion! >= '0001').toBe(true);
  });

  it('answers HEAD (uptime checkers use it) with 200 and no body', async () => {
    const res = await exports.default.fetch(new Request('http://nchat.test/api/health', { method: 'HEAD' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('GET /api/health with an unreachable database', () => {
  it('answers 503 degraded soon after HEALTH_DB_TIMEOUT_MS when the database hangs', async () => {
    const { res, body, elapsed, warnings } = await healthAgainst('blackhole.db.test.localhost', `${inject('blackholeUrl')}/sql`, { HEALTH_DB_TIMEOUT_MS: '500' });
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({ status: 'degraded', version, db: { status: 'unreachable', latencyMs: expect.any(Number) } });
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000);
    expect(warnings.find((w) => w.msg === 'health_db_failed')).toMatchObject({ level: 'warn', kind: 'unavailable' });
  });

  it('answers 503 quickly when the database refuses connections', async () => {
    const { res, body, elapsed } = await healthAgainst('closed.db.test.localhost', `${inject('closedPortUrl')}/sql`, { HEALTH_DB_TIMEOUT_MS: '5000' });
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ status: 'degraded', db: { status: 'unreachable' } });
    expect(elapsed).toBeLessThan(3000);
  });

  it('never leaks the connection string while degraded', async () => {
    const { res, text } = await healthAgainst('closed.db.test.localhost', `${inject('closedPortUrl')}/sql`);
    expect(res.status).toBe(503);
    expect(text).not.toContain('nchat:test');
    expect(text).not.toContain('closed.db.test.localhost');
  });

  it('uses the default HEALTH_DB_TIMEOUT_MS (2000) against a hanging database', async () => {
    const { res, body, elapsed } = await healthAgainst('blackhole-default.db.test.localhost', `${inject('blackholeUrl')}/sql`, { HEALTH_DB_TIMEOUT_MS: undefined });
    expect(res.status).toBe(503);
    expect(body.db.status).toBe('unreachable');
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4000);
  });
});
