/**
 * Stripe's API under /v1, the part nchat's Worker calls through the stripe SDK. Each handler
 * does what Stripe does to its state and answers with the object; changes Stripe would announce
 * by webhook (a subscription updated or deleted through the API) are emitted as events too.
 */
import { readExpand } from './form';
import { buildEvent } from './events';
import type { StripeFakeState } from './state';
import { ID, json, type Route, type RouteContext } from './router';

/**
 * Applies `expand[]`: each dotted path's id strings replaced by copies of the stored objects
 * (`subscription`, `latest_invoice`, `customer`, `subscription.latest_invoice`, lists via `data`).
 */
export function expandObject<T>(object: T, paths: string[], state: StripeFakeState): T {
  const copy = structuredClone(object);
  for (const path of paths) expandPath(copy, path.split('.'), state);
  return copy;
}

function expandPath(value: unknown, segments: string[], state: StripeFakeState): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => expandPath(v, segments, state));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  let child = record[head];
  if (typeof child === 'string') {
    const found = state.findById(child);
    if (found) child = structuredClone(found);
  }
  record[head] = expandPath(child, rest, state);
  return record;
}

/** The response for an object, with the request's expansions applied. */
function respond(ctx: RouteContext, object: unknown, status = 200) {
  return json(expandObject(object, readExpand(ctx.params), ctx.state), status);
}

export const apiRoutes: Route[] = [
  // customers
  { method: 'POST', pattern: /^\/v1\/customers$/, handle: (ctx) => respond(ctx, ctx.state.createCustomer(ctx.params)) },
  { method: 'GET', pattern: new RegExp(`^/v1/customers/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.getCustomer(ctx.ids[0]!)) },
  { method: 'POST', pattern: new RegExp(`^/v1/customers/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.updateCustomer(ctx.ids[0]!, ctx.params)) },

  // checkout
  { method: 'POST', pattern: /^\/v1\/checkout\/sessions$/, handle: (ctx) => respond(ctx, ctx.state.createCheckoutSession(ctx.params, ctx.fakeUrl)) },
  { method: 'GET', pattern: /^\/v1\/checkout\/sessions$/, handle: (ctx) => respond(ctx, ctx.state.listCheckoutSessions(ctx.params)) },
  { method: 'GET', pattern: new RegExp(`^/v1/checkout/sessions/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.getCheckoutSession(ctx.ids[0]!)) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/checkout/sessions/${ID}/expire$`),
    handle: (ctx) => {
      const session = ctx.state.expireCheckoutSession(ctx.ids[0]!);
      ctx.events.emitInBackground([buildEvent('checkout.session.expired', session, { idempotencyKey: ctx.idempotencyKey })]);
      return respond(ctx, session);
    },
  },

  // billing portal
  { method: 'POST', pattern: /^\/v1\/billing_portal\/sessions$/, handle: (ctx) => respond(ctx, ctx.state.createPortalSession(ctx.params, ctx.fakeUrl)) },

  // subscriptions
  { method: 'GET', pattern: /^\/v1\/subscriptions$/, handle: (ctx) => respond(ctx, ctx.state.listSubscriptions(ctx.params)) },
  { method: 'GET', pattern: new RegExp(`^/v1/subscriptions/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.getSubscription(ctx.ids[0]!)) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/subscriptions/${ID}$`),
    handle: (ctx) => {
      const { subscription, previous } = ctx.state.updateSubscription(ctx.ids[0]!, ctx.params);
      if (Object.keys(previous).length > 0) {
        ctx.events.emitInBackground([buildEvent('customer.subscription.updated', subscription, { previousAttributes: previous, idempotencyKey: ctx.idempotencyKey })]);
      }
      return respond(ctx, subscription);
    },
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/v1/subscriptions/${ID}$`),
    handle: (ctx) => {
      const { subscription, previous } = ctx.state.cancelSubscription(ctx.ids[0]!);
      ctx.events.emitInBackground([buildEvent('customer.subscription.deleted', subscription, { previousAttributes: previous, idempotencyKey: ctx.idempotencyKey })]);
      return respond(ctx, subscription);
    },
  },

  // prices and invoices
  { method: 'GET', pattern: new RegExp(`^/v1/prices/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.getPrice(ctx.ids[0]!)) },
  { method: 'GET', pattern: /^\/v1\/invoices$/, handle: (ctx) => respond(ctx, ctx.state.listInvoices(ctx.params)) },
  { method: 'GET', pattern: new RegExp(`^/v1/invoices/${ID}$`), handle: (ctx) => respond(ctx, ctx.state.getInvoice(ctx.ids[0]!)) },
];
