import type { Actor, RequestContext } from '../audit/audit';

/**
 * Small helpers for the raw SQL of account actions. Those actions are conditional writes
 * ("demote unless it removes the last owner", "accept unless already used") whose audit row
 * must exist exactly when the change happened; a data-modifying CTE that inserts the audit row
 * FROM the changed rows gives that in one statement, which drizzle's builder cannot express.
 */

/** Positional parameters for one statement: `p.add(value)` returns `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface AuditSpec {
  tenantId: string;
  actor: Actor;
  action: string;
  resourceType: string;
  context: RequestContext;
}

/**
 * `INSERT INTO tenant_audit_logs ... SELECT ... FROM <from>`: one audit row per row of `from`
 * (a CTE of changed rows), so no change means no row. The SQL expressions name the resource id
 * and the old/new values in terms of `from`'s columns.
 */
export function auditInsertFrom(p: Params, spec: AuditSpec, from: string, exprs: { resourceId: string; oldValues?: string; newValues?: string }): string {
  const actorId = spec.actor.type === 'user' ? spec.actor.id : null;
  return `INSERT INTO public.tenant_audit_logs
      (tenant_id, actor_id, actor_type, action, resource_type, resource_id, old_values, new_values, ip_address, user_agent, request_id)
    SELECT ${p.add(spec.tenantId)}::uuid, ${p.add(actorId)}::text, ${p.add(spec.actor.type)}::text, ${p.add(spec.action)}::text, ${p.add(spec.resourceType)}::text,
      ${exprs.resourceId}, ${exprs.oldValues ?? 'NULL::jsonb'}, ${exprs.newValues ?? 'NULL::jsonb'},
      ${p.add(spec.context.ip)}::text, ${p.add(spec.context.userAgent)}::text, ${p.add(spec.context.requestId)}::text
    FROM ${from}`;
}
