import type { Context } from 'hono';
import type { Principal } from '../auth/principal';
import type { Drizzle } from '../db/client';
import { tenantAuditLogs, type ActorType } from '../db/schema';
import type { AppEnv } from '../env';

/**
 * The audit trail of a tenant. Each write is built here and placed in the same transaction as
 * the change it records, so there is never a change without its row, or a row without its change.
 */
export type Actor = { type: 'user'; id: string } | { type: 'platform_admin' } | { type: 'system' } | { type: 'stripe' };

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEntry {
  tenantId: string;
  actor: Actor;
  action: string;
  resourceType: string;
  resourceId?: string | null;
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  context: RequestContext;
}

export function actorOf(principal: Principal): Actor {
  if (principal.kind === 'user') return { type: 'user', id: principal.userId };
  if (principal.kind === 'platform_admin') return { type: 'platform_admin' };
  return { type: 'system' };
}

export function requestContext(c: Context<AppEnv>): RequestContext {
  return {
    ip: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    requestId: c.get('requestId') ?? null,
  };
}

export const SYSTEM_CONTEXT: RequestContext = { ip: null, userAgent: null, requestId: null };

export function auditInsert(db: Drizzle, e: AuditEntry) {
  return db.insert(tenantAuditLogs).values({
    tenantId: e.tenantId,
    actorId: e.actor.type === 'user' ? e.actor.id : null,
    actorType: e.actor.type as ActorType,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId ?? null,
    oldValues: e.oldValues ?? null,
    newValues: e.newValues ?? null,
    ipAddress: e.context.ip,
    userAgent: e.context.userAgent,
    requestId: e.context.requestId,
  });
}

/** The fields of `after` that differ from `before`, as {old, new} value maps for the audit row. */
export function changes<T extends Record<string, unknown>>(before: T, after: Partial<T>): { oldValues: Partial<T>; newValues: Partial<T> } | null {
  const oldValues: Partial<T> = {};
  const newValues: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (after[key] === undefined) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      oldValues[key] = before[key];
      newValues[key] = after[key];
    }
  }
  return Object.keys(newValues).length ? { oldValues, newValues } : null;
}
