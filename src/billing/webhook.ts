import Stripe from 'stripe';
import type { RequestContext } from '../audit/audit';
import type { TenantRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { Logger } from '../http/logger';
import { publish } from '../tenancy/service';
import { describeError, isMissingResource, webhookCryptoProvider } from './stripe-client';
import { idOf, subscriptionOfInvoice } from './subscription-state';
import { fetchCurrentState, syncTenant } from './sync';
import type { BillingDeps } from './tenant-billing';
import { claimDelivery, markFailed, markIgnored, markProcessed } from './webhook-events';
import { isUuid } from '../http/ids';
import { jsonTextIssues } from '../http/input';
import { eventShapeProblems } from './event-shape';

/**
 * POST /api/billing/webhook, after the route has read the raw body: verify, record once,
 * act. Handlers never trust the order events arrive in, nor the copy of the subscription an
 * event carries: they fetch the subscription's current state from Stripe and set the tenant
 * from that, so a late `customer.subscription.updated` cannot undo a `deleted` that came first.
 */

/** Stripe's own tolerance for a signature's age (seconds): older deliveries are replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type WebhookOutcome = { status: 'processed' | 'ignored'; eventId: string; tenantId: string | null } | { status: 'duplicate'; eventId: string };

export interface WebhookRequest {
  rawBody: string;
  signature: string | undefined;
  webhookSecret: string;
  context: RequestContext;
  log: Logger;
}

/** Checks the Stripe-Signature header over the raw body, then parses it. 400 on any failure. */
export async function verifyEvent(stripe: Stripe, req: Pick<WebhookRequest, 'rawBody' | 'signature' | 'webhookSecret'>): Promise<Stripe.Event> {
  if (!req.signature) throw new DomainError('missing_signature', 'The Stripe-Signature header is missing.');
  let event: Stripe.Event;
  try {
    event = await stripe.webhooks.constructEventAsync(req.rawBody, req.signature, req.webhookSecret, SIGNATURE_TOLERANCE_SECONDS, webhookCryptoProvider);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      const reason = /tolerance/i.test(err.message) ? 'The signature timestamp is too old (more than 5 minutes).' : 'The signature does not match the payload.';
      throw new DomainError('invalid_signature', reason);
    }
    throw new DomainError('invalid_payload', 'The event body is not a valid Stripe event (JSON).');
  }
  // Stored as jsonb and read by handlers: text Postgres refuses, or a shape the type does not
  // promise, is refused here, before anything is stored.
  const textIssues = jsonTextIssues(event);
  const problems = textIssues.length ? textIssues.map((i) => `${i.path || 'event'}: ${i.message}`) : eventShapeProblems(event);
  if (problems.length) throw new DomainError('invalid_payload', 'The event body is not a valid Stripe event.', { problems: problems.slice(0, 10) });
  return event;
}

/** What an event is about: the customer, the subscription to fetch, our tenant id if we put it there. */
interface EventSubject {
  customerId: string | null;
  subscriptionId: string | null;
  /** The tenant id we set in client_reference_id / metadata at checkout. */
  tenantHint: string | null;
  /** The event's copy of the subscription, for the one case Stripe no longer has it. */
  subscriptionCopy?: Stripe.Subscription;
  invoice?: { invoice: Stripe.Invoice; outcome: 'paid' | 'failed' };
}

export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.trial_will_end',
  'invoice.paid',
  'invoice.payment_failed',
] as const;

function subjectOf(event: Stripe.Event): EventSubject | null {
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = event.data.object;
      return { customerId: idOf(s.customer), subscriptionId: idOf(s.subscription), tenantHint: s.client_reference_id ?? s.metadata?.tenant_id ?? null };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.trial_will_end': {
      const sub = event.data.object;
      return { customerId: idOf(sub.customer), subscriptionId: sub.id, tenantHint: sub.metadata?.tenant_id ?? null, subscriptionCopy: sub };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      return {
        customerId: idOf(invoice.customer),
        subscriptionId: subscriptionOfInvoice(invoice),
        tenantHint: invoice.parent?.subscription_details?.metadata?.tenant_id ?? null,
        invoice: { invoice, outcome: event.type === 'invoice.paid' ? 'paid' : 'failed' },
      };
    }
    default:
      return null;
  }
}


/**
 * The tenant an event concerns: by the Stripe customer we stored, or — before that customer is
 * stored — by the tenant id we put in the checkout session, if that tenant has no other customer
 * and the customer itself names the tenant. The session's client_reference_id and metadata are
 * whatever the session's creator chose (anyone holding an API key for the account, or a session
 * made outside nchat); the customer's `metadata.tenant_id` is set by `ensureCustomer` when it
 * creates the customer for that tenant, so only the two together tie a new customer to a tenant.
 *
 * `candidates` are the rows read with the claim (claimDelivery): the one with the customer, and
 * the one the event names.
 */
async function tenantForEvent(stripe: Stripe, subject: EventSubject, candidates: TenantRow[]): Promise<TenantRow | null> {
  if (!subject.customerId) return null;
  const byCustomer = candidates.find((r) => r.stripeCustomerId === subject.customerId);
  if (byCustomer) return byCustomer;
  const hint = subject.tenantHint?.toLowerCase();
  const row = hint && isUuid(hint) ? candidates.find((r) => r.id.toLowerCase() === hint) : undefined;
  if (!row || (row.stripeCustomerId && row.stripeCustomerId !== subject.customerId)) return null;
  return (await customerTenantId(stripe, subject.customerId)) === row.id ? row : null;
}

/** The tenant id a Stripe customer carries in its own metadata (null: none, or the customer is gone). */
async function customerTenantId(stripe: Stripe, customerId: string): Promise<string | null> {
  try {
    const customer = await stripe.customers.retrieve(customerId);
    return customer.deleted ? null : (customer.metadata?.tenant_id ?? null);
  } catch (err) {
    if (isMissingResource(err)) return null;
    throw err;
  }
}

/**
 * Verify, record, process. Answers: the outcome (200), or throws DomainError 400 (not from Stripe,
 * nothing stored) or 500 (stored as failed with the error and attempt count; Stripe retries).
 */
export async function receiveWebhook(deps: BillingDeps, stripe: Stripe, req: WebhookRequest): Promise<WebhookOutcome> {
  const event = await verifyEvent(stripe, req);
  const subject = subjectOf(event);
  // One round trip: the claim, the tenant rows the event may concern, a duplicate's tenant.
  const claimed = await claimDelivery(deps.database, event, req.rawBody, { customerId: subject?.customerId ?? null, tenantId: subject?.tenantHint ?? null });
  const attempts = claimed.attempts;
  if (attempts === null) return duplicate(deps, event, claimed.processedTenant, req.log);
  let tenantId: string | null = null;
  try {
    if (!subject) {
      await markIgnored(deps.database, event.id, null, `event type ${event.type} is not handled`);
      return logged(req.log, { status: 'ignored', eventId: event.id, tenantId: null }, event, attempts);
    }
    const tenant = await tenantForEvent(stripe, subject, claimed.candidates);
    if (!tenant) {
      await markIgnored(deps.database, event.id, null, 'no workspace has this Stripe customer, and the customer names none');
      return logged(req.log, { status: 'ignored', eventId: event.id, tenantId: null }, event, attempts);
    }
    tenantId = tenant.id;
    const fetched = subject.subscriptionId ? await fetchCurrentState(stripe, subject.subscriptionId, subject.subscriptionCopy) : null;
    await syncTenant(
      deps,
      tenant.id,
      { fetched, ...(subject.invoice ? { invoice: { ...subject.invoice, eventCreated: event.created } } : {}) },
      // A function, so each attempt gets its own statement objects.
      () => ({
        actor: { type: 'stripe' },
        context: req.context,
        subject: subject.invoice ? { type: 'invoice', id: subject.invoice.invoice.id ?? null } : { type: 'subscription', id: subject.subscriptionId },
        alongside: [markProcessed(deps.database, event.id, tenant.id)],
      }),
      // The row read with the claim: the write is guarded by its version (and the sync time),
      // so one changed meanwhile is read again, not overwritten.
      tenant,
    );
    return logged(req.log, { status: 'processed', eventId: event.id, tenantId }, event, attempts);
  } catch (err) {
    const error = describeError(err);
    await markFailed(deps.database, event.id, tenantId, error);
    req.log.warn('stripe_event_failed', { eventId: event.id, type: event.type, tenantId, attempts, error });
    // The error itself stays in the event row and the log: a response never carries internals.
    throw new DomainError('webhook_failed', 'Processing the event failed; Stripe will deliver it again.', { eventId: event.id, attempts });
  }
}

/**
 * A delivery of an event already processed (or ignored): no second effect, but the tenant's
 * current row (`row`, read with the claim) is published again. The first delivery may have
 * committed its change and then failed to tell the TenantGate and KV; its 500 is why Stripe
 * sent the event again, and only publishing finishes it. Cheap and idempotent: the gate and KV
 * keep the newer of two versions. Publishing failing again is a 500 again, so Stripe keeps trying.
 */
async function duplicate(deps: BillingDeps, event: Stripe.Event, row: TenantRow | null, log: Logger): Promise<WebhookOutcome> {
  const tenantId = row?.id ?? null;
  if (row) {
    try {
      await publish(deps, row);
    } catch (err) {
      const error = describeError(err);
      log.warn('stripe_event_publish_failed', { eventId: event.id, type: event.type, tenantId, error });
      throw new DomainError('webhook_failed', 'The event was applied, but publishing the change to the workspace failed; Stripe will deliver it again.', { eventId: event.id });
    }
  }
  log.info('stripe_event', { eventId: event.id, type: event.type, status: 'duplicate', tenantId, republished: row !== null });
  return { status: 'duplicate', eventId: event.id };
}

function logged(log: Logger, outcome: WebhookOutcome, event: Stripe.Event, attempts: number): WebhookOutcome {
  log.info('stripe_event', { type: event.type, attempts, ...outcome });
  return outcome;
}
