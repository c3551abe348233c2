/**
 * Configuration: parseConfig/configFor as units, and what the Worker answers when its
 * configuration is broken (a 500 naming the variables, never their values).
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, configFor, formatConfigProblems, parseConfig } from '../src/config';
import worker from '../src/index';
import { envWith } from './support/gateway';

/** Every required variable with a valid value; optional ones left out. */
const VALID: Record<string, string> = {
  BASE_DOMAIN: 'nchat.app',
  ENABLE_MULTI_TENANCY: 'true',
  DEFAULT_TENANT_SLUG: 'default',
  DATABASE_URL: 'postgresql://nchat:hunter2@ep-cool-name-123456.eu-central-1.aws.neon.tech/nchat?sslmode=require',
  SESSION_SECRET: 's'.repeat(32),
  PLATFORM_ADMIN_TOKEN: 'p'.repeat(24),
};

function with_(overrides: Record<string, string | undefined>): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...VALID, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete raw[k];
  return raw;
}

function problemsOf(raw: Record<string, unknown>): { variable: string; problem: string }[] {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected parseConfig to throw ConfigError');
}

describe('parseConfig', () => {
  it('parses a valid config and fills in the defaults', () => {
    const config = parseConfig(VALID);
    expect(config).toEqual({
      BASE_DOMAIN: 'nchat.app',
      ENABLE_MULTI_TENANCY: true,
      DEFAULT_TENANT_SLUG: 'default',
      LOG_LEVEL: 'info',
      DATABASE_URL: VALID.DATABASE_URL,
      NEON_FETCH_ENDPOINT: undefined,
      DB_QUERY_TIMEOUT_MS: 10_000,
      CHAT_ROOM_WRITES: 'behind',
      HEALTH_DB_TIMEOUT_MS: 2_000,
      TENANT_DELETION_GRACE_DAYS: 30,
      PLAN_LIMITS_ENFORCED: true,
      SESSION_SECRET: VALID.SESSION_SECRET,
      PLATFORM_ADMIN_TOKEN: VALID.PLATFORM_ADMIN_TOKEN,
      STRIPE_SECRET_KEY: undefined,
      STRIPE_WEBHOOK_SECRET: undefined,
      BILLING_GRACE_DAYS: 7,
    });
  });

  it('parses a full config with every optional variable set', () => {
    const config = parseConfig({
      ...VALID,
      BASE_DOMAIN: '  NChat.Example.COM ',
      ENABLE_MULTI_TENANCY: 'false',
      LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://user@localhost:5432/db',
      NEON_FETCH_ENDPOINT: 'http://127.0.0.1:4444/sql',
      DB_QUERY_TIMEOUT_MS: '2500',
      HEALTH_DB_TIMEOUT_MS: '300',
      STRIPE_SECRET_KEY: 'sk_live_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
    });
    expect(config).toMatchObject({
      BASE_DOMAIN: 'nchat.example.com',
      ENABLE_MULTI_TENANCY: false,
      LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://user@localhost:5432/db',
      NEON_FETCH_ENDPOINT: 'http://127.0.0.1:4444/sql',
      DB_QUERY_TIMEOUT_MS: 2500,
      HEALTH_DB_TIMEOUT_MS: 300,
      STRIPE_SECRET_KEY: 'sk_live_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
    });
    expect(typeof config.ENABLE_MULTI_TENANCY).toBe('boolean');
  });

  it.each([
    ['localhost'],
    ['nchat.app'],
    ['a-b.c-d.example'],
    ['xn--bcher-kva.example'],
  ])('accepts BASE_DOMAIN %s', (domain) => {
    expect(parseConfig(with_({ BASE_DOMAIN: domain })).BASE_DOMAIN).toBe(domain);
  });

  it.each<[string, Record<string, string | undefined>, string, string | RegExp]>([
    ['missing DATABASE_URL', { DATABASE_URL: undefined }, 'DATABASE_URL', 'is required'],
    ['a mysql DATABASE_URL', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres/],
    ['a DATABASE_URL without a database name', { DATABASE_URL: 'postgresql://u@host/' }, 'DATABASE_URL', /database name/],
    ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }, 'DATABASE_URL', /postgres/],
    ['a BASE_DOMAIN with a scheme', { BASE_DOMAIN: 'https://nchat.app' }, 'BASE_DOMAIN', /bare hostname/],
    ['a BASE_DOMAIN with a port', { BASE_DOMAIN: 'nchat.app:8787' }, 'BASE_DOMAIN', /bare hostname/],
    ['a BASE_DOMAIN with a path', { BASE_DOMAIN: 'nchat.app/x' }, 'BASE_DOMAIN', /bare hostname/],
    ['missing BASE_DOMAIN', { BASE_DOMAIN: undefined }, 'BASE_DOMAIN', 'is required'],
    ['ENABLE_MULTI_TENANCY yes', { ENABLE_MULTI_TENANCY: 'yes' }, 'ENABLE_MULTI_TENANCY', /"true" or "false"/],
    ['DEFAULT_TENANT_SLUG with capitals and underscore', { DEFAULT_TENANT_SLUG: 'Bad_Slug' }, 'DEFAULT_TENANT_SLUG', /slug/],
    ['DEFAULT_TENANT_SLUG with a double hyphen', { DEFAULT_TENANT_SLUG: 'a--b' }, 'DEFAULT_TENANT_SLUG', /slug/],
    ['a short SESSION_SECRET', { SESSION_SECRET: 's'.repeat(31) }, 'SESSION_SECRET', /at least 32/],
    ['missing SESSION_SECRET', { SESSION_SECRET: undefined }, 'SESSION_SECRET', 'is required'],
    ['missing PLATFORM_ADMIN_TOKEN', { PLATFORM_ADMIN_TOKEN: undefined }, 'PLATFORM_ADMIN_TOKEN', 'is required'],
    ['a short PLATFORM_ADMIN_TOKEN', { PLATFORM_ADMIN_TOKEN: 'p'.repeat(23) }, 'PLATFORM_ADMIN_TOKEN', /at least 24/],
    ['NEON_FETCH_ENDPOINT ftp://x', { NEON_FETCH_ENDPOINT: 'ftp://x' }, 'NEON_FETCH_ENDPOINT', /http/],
    ['a publishable STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'pk_test_x' }, 'STRIPE_SECRET_KEY', /sk_test_/],
    ['a STRIPE_WEBHOOK_SECRET without whsec_', { STRIPE_WEBHOOK_SECRET: 'secret_x' }, 'STRIPE_WEBHOOK_SECRET', /whsec_/],
    ['LOG_LEVEL verbose', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /debug/],
    ['DB_QUERY_TIMEOUT_MS 0', { DB_QUERY_TIMEOUT_MS: '0' }, 'DB_QUERY_TIMEOUT_MS', /greater than zero/],
    ['DB_QUERY_TIMEOUT_MS abc', { DB_QUERY_TIMEOUT_MS: 'abc' }, 'DB_QUERY_TIMEOUT_MS', /whole number/],
    ['DB_QUERY_TIMEOUT_MS 1.5', { DB_QUERY_TIMEOUT_MS: '1.5' }, 'DB_QUERY_TIMEOUT_MS', /whole number/],
    ['HEALTH_DB_TIMEOUT_MS -1', { HEALTH_DB_TIMEOUT_MS: '-1' }, 'HEALTH_DB_TIMEOUT_MS', /whole number/],
  ])('rejects %s, naming the variable', (_label, overrides, variable, problem) => {
    const problems = problemsOf(with_(overrides));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.variable).toBe(variable);
    if (typeof problem === 'string') expect(problems[0]!.problem).toBe(problem);
    else expect(problems[0]!.problem).toMatch(problem);
  });

  it('reports every problem at once, and the error message names each variable', () => {
    const raw = with_({
      DATABASE_URL: undefined,
      BASE_DOMAIN: 'https://nchat.app',
      ENABLE_MULTI_TENANCY: 'yes',
      SESSION_SECRET: 'short',
      STRIPE_SECRET_KEY: 'pk_test_x',
    });
    let error: unknown;
    try {
      parseConfig(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual(['BASE_DOMAIN', 'DATABASE_URL', 'ENABLE_MULTI_TENANCY', 'SESSION_SECRET', 'STRIPE_SECRET_KEY']);
    expect(problems.find((p) => p.variable === 'DATABASE_URL')!.problem).toBe('is required');
    for (const p of problems) expect((error as Error).message).toContain(p.variable);
    expect((error as Error).name).toBe('ConfigError');
    const report = formatConfigProblems(error as ConfigError);
    expect(report.split('\n')).toHaveLength(1 + problems.length);
  });

  it('never puts a rejected value in the problems or the message', () => {
    const raw = with_({ SESSION_SECRET: 'too-short-VALUE-1234', STRIPE_SECRET_KEY: 'pk_live_LEAKED_VALUE' });
    let error: unknown;
    try {
      parseConfig(raw);
    } catch (err) {
      error = err;
    }
    const text = `${(error as Error).message} ${JSON.stringify((error as ConfigError).problems)}`;
    expect(text).not.toContain('too-short-VALUE-1234');
    expect(text).not.toContain('pk_live_LEAKED_VALUE');
  });

  it.each(['NEON_FETCH_ENDPOINT', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'LOG_LEVEL', 'DB_QUERY_TIMEOUT_MS', 'HEALTH_DB_TIMEOUT_MS'])(
    'treats an empty %s as unset',
    (variable) => {
      expect(parseConfig(with_({ [variable]: '' }))).toEqual(parseConfig(VALID));
    },
  );
});

describe('configFor', () => {
  it('parses once per env object and returns the same config', () => {
    const raw = with_({});
    const first = configFor(raw);
    expect(configFor(raw)).toBe(first);
    // A different object is parsed on its own.
    const other = with_({ LOG_LEVEL: 'error' });
    expect(configFor(other)).not.toBe(first);
    expect(configFor(other).LOG_LEVEL).toBe('error');
  });

  it('remembers a bad config and throws the same ConfigError every time', () => {
    const raw = with_({ SESSION_SECRET: undefined });
    let first: unknown;
    let second: unknown;
    try {
      configFor(raw);
    } catch (err) {
      first = err;
    }
    try {
      configFor(raw);
    } catch (err) {
      second = err;
    }
    expect(first).toBeInstanceOf(ConfigError);
    expect(second).toBe(first);
  });
});

describe('a Worker with a broken configuration', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers 500 config_error naming the variable, without leaking any secret', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    const broken = envWith({ SESSION_SECRET: undefined });
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://nchat.test/api/health'), broken, ctx);
    await waitOnExecutionContext(ctx);

    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string; details: { variables: { variable: string; problem: string }[] } } };
    expect(body.error.code).toBe('config_error');
    expect(body.error.details.variables).toEqual([{ variable: 'SESSION_SECRET', problem: 'is required' }]);
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));

    for (const secret of [env.PLATFORM_ADMIN_TOKEN, env.DATABASE_URL, env.STRIPE_SECRET_KEY, env.STRIPE_WEBHOOK_SECRET, ':test@']) {
      expect(text).not.toContain(secret);
    }
    // The operator learns what to fix from the log, which also carries no values.
    const logged = errors.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'config_error');
    expect(logged).toMatchObject({ level: 'error', requestId: body.error.requestId, problems: [{ variable: 'SESSION_SECRET' }] });
    expect(errors.join('\n')).not.toContain(env.PLATFORM_ADMIN_TOKEN);
  });

  it('does not echo a malformed secret value back', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const badSecret = 'short-SECRET-value';
    const broken = envWith({ SESSION_SECRET: badSecret, DATABASE_URL: 'mysql://root:pa55w0rd@db/nchat' });
    const res = await worker.fetch(new Request('http://nchat.test/api/health'), broken, createExecutionContext());
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as { error: { code: string; details: { variables: { variable: string }[] } } };
    expect(body.error.code).toBe('config_error');
    expect(body.error.details.variables.map((v) => v.variable).sort()).toEqual(['DATABASE_URL', 'SESSION_SECRET']);
    expect(text).not.toContain(badSecret);
    expect(text).not.toContain('pa55w0rd');
  });
});
