import { auditInsert, type Actor, type RequestContext } from '../audit/audit';
import { asNeonQuery, type Database } from '../db/client';

/**
 * What an owner or admin asked billing to do (start a checkout, change the plan, cancel,
 * resume), in the tenant's audit log. The plan change itself is audited separately, with actor
 * `stripe`, when Stripe confirms it: a request is not a payment.
 */
export interface Acting {
  actor: Actor;
  context: RequestContext;
}

export async function recordBillingAction(database: Database, tenantId: string, acting: Acting, action: string, newValues: Record<string, unknown>): Promise<void> {
  await database.transaction([
    asNeonQuery(database, auditInsert(database.db, { tenantId, actor: acting.actor, context: acting.context, action, resourceType: 'billing', resourceId: tenantId, newValues })),
  ]);
}
