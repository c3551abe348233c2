import type { MiddlewareHandler } from 'hono';
import type { AppBindings, AppEnv } from '../env';
import { ApiError } from '../http/errors';
import { suspendedError } from './middleware';
import type { TenantSnapshot } from './snapshot';
import { servedWhileSuspended } from './suspension';

export function gateStub(env: AppBindings, tenantId: string) {
  return env.TENANT_GATE.get(env.TENANT_GATE.idFromName(tenantId));
}

/** After a tenant write: the gate applies it from the next request on, in every location. */
export async function pushToGate(env: AppBindings, snapshot: TenantSnapshot): Promise<void> {
  await gateStub(env, snapshot.id).update(snapshot);
}

/**
 * One TenantGate call per tenant API request (not the health check): status, per-plan rate
 * limit and monthly quota, with RateLimit-* headers on every answer.
 *
 * @example
 * app.use(tenantGate())
 */
export function tenantGate(): MiddlewareHandler<AppEnv> {
  return async function tenantGateMiddleware(c, next) {
    const site = c.get('site');
    const path = c.req.path;
    if (site.kind !== 'tenant' || !path.startsWith('/api/') || path === '/api/health' || !c.get('config').PLAN_LIMITS_ENFORCED) return next();
    const route = path.split('/')[2] ?? 'api';
    const decision = await gateStub(c.env, site.tenant.id).admit(site.tenant, route);
    const { rateLimit, quota } = decision;
    const headers: Record<string, string> = { 'RateLimit-Reset': String(rateLimit.resetSeconds) };
    if (rateLimit.limit !== null) {
      headers['RateLimit-Limit'] = String(rateLimit.limit);
      headers['RateLimit-Remaining'] = String(Math.max(0, rateLimit.remaining ?? 0));
    }
    if (!decision.allowed && !(decision.reason === 'tenant_suspended' && servedWhileSuspended(decision.snapshot, path))) {
      switch (decision.reason) {
        case 'tenant_suspended':
          throw suspendedError(decision.snapshot, headers);
        case 'tenant_cancelled':
          throw new ApiError(410, 'tenant_cancelled', `The workspace "${site.tenant.name}" has been cancelled.`, undefined, headers);
        case 'quota_exceeded':
          throw new ApiError(429, 'quota_exceeded', `This workspace has used its ${quota.limit} API calls for ${quota.period}. The count resets on ${quota.resetsAt}.`, { limit: quota.limit, used: quota.used, resetsAt: quota.resetsAt }, {
            ...headers,
            'Retry-After': String(Math.max(1, Math.ceil((Date.parse(quota.resetsAt) - Date.now()) / 1000))),
          });
        default:
          throw new ApiError(429, 'rate_limited', `Too many requests: this plan allows ${rateLimit.limit} a minute.`, { limit: rateLimit.limit, retryAfterSeconds: rateLimit.resetSeconds }, {
            ...headers,
            'Retry-After': String(rateLimit.resetSeconds),
          });
      }
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  };
}
