/**
 * Webhook events as Stripe sends them: the event JSON, serialised once (the signature covers
 * those exact bytes, so the payload is handed out as the string that was signed), and a
 * `Stripe-Signature` header made by the SDK's own test helper, so the Worker's verification is
 * exercised exactly as against Stripe.
 */
import Stripe from 'stripe';
import { newId, unixNow, type StripeEvent } from './objects';

/** An event ready to deliver: POST `payload` with header `Stripe-Signature: signature`. */
export interface SignedEvent {
  id: string;
  type: string;
  payload: string;
  signature: string;
}

export interface DeliveryResult {
  id: string;
  type: string;
  /** The webhook endpoint's HTTP status, or null if it could not be reached. */
  status: number | null;
  error?: string;
}

export function buildEvent(type: string, object: unknown, options: { previousAttributes?: Record<string, unknown>; created?: number; idempotencyKey?: string | null } = {}): StripeEvent {
  return {
    id: newId('evt_'),
    object: 'event',
    // The version the events would be rendered in: the one the SDK pins, which the Worker pins too.
    api_version: Stripe.API_VERSION,
    created: options.created ?? unixNow(),
    // A copy: later changes to the stored object must not show in an event already built.
    data: { object: structuredClone(object), ...(options.previousAttributes && Object.keys(options.previousAttributes).length ? { previous_attributes: structuredClone(options.previousAttributes) } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: options.idempotencyKey ?? null },
    type,
  };
}

/** The event a direct subscription edit stands for, as Stripe would announce it. */
export function subscriptionChangeEvent(subscription: { status: string }, previous: Record<string, unknown>): StripeEvent | undefined {
  if (Object.keys(previous).length === 0) return undefined;
  const type = previous.status !== undefined && subscription.status === 'canceled' ? 'customer.subscription.deleted' : 'customer.subscription.updated';
  return buildEvent(type, subscription, { previousAttributes: previous });
}

/**
 * Signs an event. `timestamp` (unix seconds) defaults to now; a test passes an old one to see a
 * stale event refused, or another `secret` to see a forged one refused.
 */
export async function signEvent(event: StripeEvent, secret: string, timestamp?: number): Promise<SignedEvent> {
  const payload = JSON.stringify(event, null, 2);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) });
  return { id: event.id, type: event.type, payload, signature };
}

/** POSTs events to the webhook endpoint one after the other, in order, as Stripe would. */
export async function deliverEvents(webhookUrl: string, events: SignedEvent[]): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  for (const event of events) {
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': event.signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) nchat-stripe-fake' },
        body: event.payload,
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      results.push({ id: event.id, type: event.type, status: res.status });
    } catch (err) {
      results.push({ id: event.id, type: event.type, status: null, error: (err as Error).message });
    }
  }
  return results;
}
