import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { SESSION_COOKIE } from '../auth/session';
import type { Caller } from '../../durable-objects/tenant-gate';
import { clientIp } from '../http/rate-limit';
import type { Config } from '../config';
import type { AppBindings, AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import type { TenantSnapshot } from './snapshot';
import { assertTenantUsable } from './suspension';
import { assertServesHost } from '../domains/routing';

export function gateStub(env: AppBindings, tenantId: string) {
  return env.TENANT_GATE.get(env.TENANT_GATE.idFromName(tenantId));
}

/** After a tenant write: the gate applies it from the next request on, in every location. */
export async function pushToGate(env: AppBindings, snapshot: TenantSnapshot): Promise<void> {
  await gateStub(env, snapshot.id).update(snapshot);
}

/** Whether the TenantGate decides on this request: tenant API requests, not the health check. */
export function gateApplies(path: string, config: Pick<Config, 'PLAN_LIMITS_ENFORCED'>): boolean {
  return path.startsWith('/api/') && path !== '/api/health' && config.PLAN_LIMITS_ENFORCED;
}

/**
 * API client or the web app (see Caller): a token in `Authorization` is an API client; the
 * session cookie is the app, per person; a same-origin browser request before sign-in is the
 * app, per address. Anything else (curl without a token) counts as API traffic.
 */
export function callerOf(c: Context<AppEnv>): Caller {
  if (c.req.header('authorization')) return { kind: 'api' };
  const principal = c.get('principal');
  if (principal.kind === 'user' && getCookie(c, SESSION_COOKIE)) return { kind: 'app', key: `user:${principal.userId}` };
  const site = c.req.header('sec-fetch-site');
  if (site === 'same-origin' || site === 'none') return { kind: 'app', key: `ip:${clientIp(c)}` };
  return { kind: 'api' };
}

/**
 * One TenantGate call per tenant API request (not the health check): status, per-plan rate
 * limit and monthly quota, with RateLimit-* headers on every answer. The gate's snapshot is
 * authoritative (every tenant write pushes it there): when it is newer than the copy this
 * isolate resolved from its cache or KV, it replaces it for the rest of the request, so plan,
 * limits, features and status apply on the very next request everywhere.
 *
 * @example
 * app.use(tenantGate())
 */
export function tenantGate(): MiddlewareHandler<AppEnv> {
  return async function tenantGateMiddleware(c, next) {
    const site = c.get('site');
    const path = c.req.path;
    if (site.kind !== 'tenant' || !gateApplies(path, c.get('config'))) return next();
    const route = path.split('/')[2] ?? 'api';
    const caller = callerOf(c);
    const decision = await gateStub(c.env, site.tenant.id).admit(site.tenant, route, Date.now(), caller);
    const { rateLimit, quota } = decision;
    const headers: Record<string, string> = { 'RateLimit-Reset': String(rateLimit.resetSeconds) };
    if (rateLimit.limit !== null) {
      headers['RateLimit-Limit'] = String(rateLimit.limit);
      headers['RateLimit-Remaining'] = String(Math.max(0, rateLimit.remaining ?? 0));
    }
    // Set before any refusal too: onError's response keeps the headers already set on the context.
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    // The gate sends its snapshot back only when it is newer than the one it was given.
    const tenant = decision.snapshot && decision.snapshot.version > site.tenant.version ? decision.snapshot : site.tenant;
    assertServesHost(tenant, site.customHost);
    assertTenantUsable(tenant, path);
    if (tenant !== site.tenant) {
      c.set('tenant', tenant);
      c.set('site', { ...site, tenant });
    }
    if (decision.reason === 'quota_exceeded') {
      const retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(quota.resetsAt) - Date.now()) / 1000));
      throw new DomainError('quota_exceeded', `This workspace has used its ${quota.limit} API calls for ${quota.period}. The count resets on ${quota.resetsAt}.`, { limit: quota.limit, used: quota.used, resetsAt: quota.resetsAt, retryAfterSeconds });
    }
    if (decision.reason === 'rate_limited') {
      const message =
        caller.kind === 'app'
          ? `Too many requests from this browser: at most ${rateLimit.limit} a minute. Trying again in ${rateLimit.resetSeconds} seconds works.`
          : `Too many requests: this plan allows ${rateLimit.limit} a minute.`;
      throw new DomainError('rate_limited', message, { limit: rateLimit.limit, retryAfterSeconds: rateLimit.resetSeconds });
    }
    await next();
    // Again on the handler's response: one it built itself (a download, an upgrade) has not got them.
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  };
}
