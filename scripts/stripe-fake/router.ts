/**
 * The few pieces every route shares: what a handler is given, what it returns, and path
 * matching. Kept tiny on purpose: the fake has two dozen routes and no middleware.
 */
import type { Params } from './form';
import type { StripeFakeState } from './state';
import type { DeliveryResult, SignedEvent } from './events';
import type { StripeEvent } from './objects';

export interface RouteContext {
  state: StripeFakeState;
  /** The fake's own base URL (for checkout and portal URLs it hands out). */
  fakeUrl: string;
  /** Query and form body merged, as Stripe reads them (`/v1`). */
  params: Params;
  query: Params;
  /** The control API's JSON body (`/_fake`), or the parsed form body when sent as a form. */
  body: unknown;
  /** The path's captured ids, in order. */
  ids: string[];
  /** Idempotency-Key of the request (API routes), for the events it causes. */
  idempotencyKey: string | null;
  events: EventOutlet;
}

/** Where handlers put the events their change causes. */
export interface EventOutlet {
  /** Stores, signs and (with a webhookUrl) delivers in the background, as Stripe does after an API call. */
  emitInBackground(events: StripeEvent[]): void;
  /** Stores, signs and (with a webhookUrl) delivers now, in order, reporting each delivery. */
  emitNow(events: StripeEvent[]): Promise<{ signed: SignedEvent[]; deliveries: DeliveryResult[] | null }>;
  sign(event: StripeEvent, options?: { secret?: string; timestamp?: number }): Promise<SignedEvent>;
  readonly webhookConfigured: boolean;
}

export type RouteResult =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'html'; status: number; html: string }
  | { kind: 'redirect'; location: string };

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Anchored; each capture group is one id. */
  pattern: RegExp;
  handle(ctx: RouteContext): Promise<RouteResult> | RouteResult;
}

export const json = (body: unknown, status = 200): RouteResult => ({ kind: 'json', status, body });

/** A path segment holding an id: no slash, URL-decoded by the matcher. */
export const ID = '([^/]+)';

export { matchRoute } from '../lib/fake-http';
