import type { Context, MiddlewareHandler } from 'hono';
import { openDatabase } from '../db/client';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import { TenantDirectory } from './directory';
import { classifyHost } from './host';
import { gateApplies } from './gate';
import { assertTenantUsable } from './suspension';
import { assertServesHost } from '../domains/routing';

/**
 * Client headers that name a tenant are never trusted: the tenant comes from the Host alone.
 * The Worker entry removes them before the app sees the request.
 */
export function withoutTenantHeaders(request: Request): Request {
  let found = false;
  for (const name of request.headers.keys()) if (name.startsWith('x-tenant-')) found = true;
  if (!found) return request;
  const headers = new Headers(request.headers);
  for (const name of [...headers.keys()]) if (name.startsWith('x-tenant-')) headers.delete(name);
  return new Request(request, { headers });
}

export function directoryFor(c: Context<AppEnv>): TenantDirectory {
  const config = c.get('config');
  return new TenantDirectory(c.env.TENANT_CACHE, config, () => openDatabase(config), deferFor(c));
}

/** ctx.waitUntil when the runtime gave us a context (it always does in production). */
function deferFor(c: Context<AppEnv>): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work.catch((err: unknown) => c.get('log')?.warn('deferred_work_failed', { error: String(err) })));
  } catch {
    return undefined;
  }
}

/**
 * Resolves the site from the Host header: the platform, or a tenant (which must exist and be
 * usable). Sets `site`, and `tenant` on tenant hosts.
 *
 * @example
 * app.use(resolveSite())
 */
export function resolveSite(): MiddlewareHandler<AppEnv> {
  return async function resolveSiteMiddleware(c, next) {
    const config = c.get('config');
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    const target = classifyHost(host, config);
    // Stripe's webhook belongs to the platform, whatever host it arrives on (in single-tenant
    // mode every host is the tenant's): no tenant status or plan applies to it.
    if (target.kind === 'platform' || (!config.ENABLE_MULTI_TENANCY && c.req.path === STRIPE_WEBHOOK_PATH)) {
      c.set('site', { kind: 'platform' });
      return next();
    }
    const tenant = target.kind === 'invalid' ? null : await directoryFor(c).resolve(target);
    if (!tenant) throw new DomainError('tenant_not_found', `No workspace is served at ${target.hostname}.`);
    const customHost = target.kind === 'custom' ? target.hostname : undefined;
    assertServesHost(tenant, customHost);
    // Where the TenantGate runs, it decides with the authoritative snapshot (this one may be an
    // older cached copy: a suspension just lifted, a restore); elsewhere this copy decides.
    if (!gateApplies(c.req.path, config)) assertTenantUsable(tenant, c.req.path);
    c.set('site', customHost ? { kind: 'tenant', tenant, customHost } : { kind: 'tenant', tenant });
    c.set('tenant', tenant);
    return next();
  };
}

const STRIPE_WEBHOOK_PATH = '/api/billing/webhook';

/**
 * Route group guard: only on the platform host (sign-up, operator API). Elsewhere: 404.
 * In single-tenant mode every host is the tenant's, and the operator API is served on it too.
 */
export function platformOnly(): MiddlewareHandler<AppEnv> {
  return async function platformOnlyMiddleware(c, next) {
    if (c.get('site').kind !== 'platform' && c.get('config').ENABLE_MULTI_TENANCY) throw new DomainError('not_found', `No route for ${c.req.method} ${c.req.path} on a workspace host.`);
    return next();
  };
}

/** Route group guard: only on a tenant host. Elsewhere: 404. */
export function tenantOnly(): MiddlewareHandler<AppEnv> {
  return async function tenantOnlyMiddleware(c, next) {
    if (c.get('site').kind !== 'tenant') throw new DomainError('not_found', `No route for ${c.req.method} ${c.req.path} on the platform host; use your workspace's address.`);
    return next();
  };
}
