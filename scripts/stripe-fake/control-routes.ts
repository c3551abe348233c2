/**
 * The control API under /_fake: what tests and the dev CLI use to play the parts Stripe plays
 * outside the API (the customer paying, renewals and failed payments, webhook events) and to
 * look at what the Worker sent. No authentication: it listens on loopback only.
 */
import { z } from 'zod';
import { StripeApiError } from './errors';
import { buildEvent, subscriptionChangeEvent } from './events';
import { ID, json, type Route, type RouteContext } from './router';
import { HeldRequest } from './state';

/** Reads a control body with a schema; a bad one is a 400 in Stripe's error shape like everything else. */
function parseBody<S extends z.ZodType>(schema: S, ctx: RouteContext): z.infer<S> {
  const result = schema.safeParse(ctx.body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new StripeApiError(400, 'invalid_request_error', `Invalid control request: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad body'}`, 'parameter_invalid', issue?.path.join('.'));
  }
  return result.data;
}

const subscriptionStatus = z.enum(['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused']);
const unixSeconds = z.number().int().nonnegative();

const completeCheckoutBody = z.object({ status: z.enum(['active', 'trialing']).optional() });
const subscriptionPatchBody = z.object({
  status: subscriptionStatus.optional(),
  cancel_at_period_end: z.boolean().optional(),
  current_period_start: unixSeconds.optional(),
  current_period_end: unixSeconds.optional(),
  price: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
const invoiceBody = z.object({ paid: z.boolean(), renew: z.boolean().optional() });
const eventBody = z.object({
  type: z.string().min(1),
  data: z.object({ object: z.unknown(), previous_attributes: z.record(z.string(), z.unknown()).optional() }).optional(),
  /** Without `data`: the stored subscription (for customer.subscription.*) or invoice is the object. */
  subscription: z.string().optional(),
  invoice: z.string().optional(),
  timestamp: unixSeconds.optional(),
  secret: z.string().optional(),
  /** Also POST it to the webhookUrl the fake was started with (dev). */
  deliver: z.boolean().optional(),
});
const hostedPagesBody = z.object({ webhookDelayMs: z.number().int().min(0).max(60_000) });
const holdBody = z.object({ method: z.string().optional(), path: z.string().startsWith('/') });
const failBody = z.object({
  method: z.string().optional(),
  path: z.string().startsWith('/'),
  status: z.number().int().min(400).max(599).default(500),
  count: z.number().int().positive().default(1),
  message: z.string().optional(),
});

/** The control API's request bodies, as callers write them (test/support/stripe.ts imports these types). */
export type CompleteCheckoutRequest = z.input<typeof completeCheckoutBody>;
export type SubscriptionPatchRequest = z.input<typeof subscriptionPatchBody>;
export type InvoiceRequest = z.input<typeof invoiceBody>;
export type FailRequest = z.input<typeof failBody>;
export type HoldRequest = z.input<typeof holdBody>;

function heldRequest(ctx: RouteContext): HeldRequest {
  const hold = ctx.state.holds.get(ctx.ids[0]!);
  if (!hold) throw new StripeApiError(404, 'invalid_request_error', `No such hold: '${ctx.ids[0]}'`, 'resource_missing');
  return hold;
}

function queryString(ctx: RouteContext, key: string): string | undefined {
  const value = ctx.query[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export const controlRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/_fake\/requests$/,
    handle: (ctx) => json({ requests: ctx.state.requestsFor({ customer: queryString(ctx, 'customer'), method: queryString(ctx, 'method'), path: queryString(ctx, 'path') }) }),
  },
  {
    method: 'DELETE',
    pattern: /^\/_fake\/requests$/,
    handle: (ctx) => {
      const deleted = ctx.state.requests.length;
      ctx.state.requests.length = 0;
      return json({ deleted });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_fake/checkout/${ID}/complete$`),
    handle: async (ctx) => {
      const body = parseBody(completeCheckoutBody, ctx);
      const { session, subscription, invoice } = ctx.state.completeCheckout(ctx.ids[0]!, body);
      // The events Stripe sends for a paid subscription checkout, in the order it usually does.
      const { signed, deliveries } = await ctx.events.emitNow([
        buildEvent('checkout.session.completed', session),
        buildEvent('customer.subscription.created', subscription),
        buildEvent('invoice.paid', invoice),
      ]);
      return json({ session, subscription, invoice, events: signed, ...(deliveries ? { deliveries } : {}) });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_fake/subscriptions/${ID}$`),
    handle: (ctx) => {
      const { subscription, previous } = ctx.state.patchSubscription(ctx.ids[0]!, parseBody(subscriptionPatchBody, ctx));
      // Kept in the event log (GET /_fake/events) and, in dev, delivered; the response is the subscription itself.
      const event = subscriptionChangeEvent(subscription, previous);
      if (event) ctx.events.emitInBackground([event]);
      return json(subscription);
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_fake/subscriptions/${ID}/invoice$`),
    handle: async (ctx) => {
      const body = parseBody(invoiceBody, ctx);
      const { invoice, subscription, previous } = ctx.state.billSubscription(ctx.ids[0]!, body);
      const events = [buildEvent(body.paid ? 'invoice.paid' : 'invoice.payment_failed', invoice)];
      const change = subscriptionChangeEvent(subscription, previous);
      if (change) events.push(change);
      const { signed, deliveries } = await ctx.events.emitNow(events);
      return json({ invoice, subscription, events: signed, ...(deliveries ? { deliveries } : {}) });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/events$/,
    handle: async (ctx) => {
      const body = parseBody(eventBody, ctx);
      let object: unknown = body.data?.object;
      if (object === undefined) {
        if (body.subscription) object = ctx.state.getSubscription(body.subscription);
        else if (body.invoice) object = ctx.state.getInvoice(body.invoice);
        else throw new StripeApiError(400, 'invalid_request_error', 'Give data.object, or subscription (or invoice) naming a stored object.', 'parameter_missing', 'data');
      }
      const event = buildEvent(body.type, object, { previousAttributes: body.data?.previous_attributes, created: body.timestamp });
      if (body.deliver) {
        const { signed, deliveries } = await ctx.events.emitNow([event]);
        return json({ ...signed[0], deliveries });
      }
      return json(await ctx.events.sign(event, { secret: body.secret, timestamp: body.timestamp }));
    },
  },
  {
    method: 'GET',
    pattern: /^\/_fake\/events$/,
    handle: async (ctx) => {
      // Every event the fake has emitted (checkouts, API changes, direct edits), newest last,
      // signed afresh so they can be delivered now without being stale.
      const type = queryString(ctx, 'type');
      const about = queryString(ctx, 'object');
      const events = ctx.state.events.filter((e) => (!type || e.type === type) && (!about || JSON.stringify(e.data.object).includes(`"${about}"`)));
      return json({ events: await Promise.all(events.map((e) => ctx.events.sign(e))) });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/fail$/,
    handle: (ctx) => {
      const body = parseBody(failBody, ctx);
      const rule = { method: body.method ? body.method.toUpperCase() : null, pathPrefix: body.path, status: body.status, remaining: body.count, message: body.message ?? null };
      ctx.state.failures.push(rule);
      return json({ rule });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/holds$/,
    handle: (ctx) => {
      const body = parseBody(holdBody, ctx);
      const hold = new HeldRequest(body.method ? body.method.toUpperCase() : null, body.path);
      ctx.state.holds.set(hold.id, hold);
      return json({ hold: { id: hold.id } });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/_fake/holds/${ID}/arrived$`),
    handle: async (ctx) => {
      // Waits (up to 10 s) for the held request to arrive.
      const hold = heldRequest(ctx);
      const arrived = await Promise.race([hold.arrived.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
      return json({ arrived });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/_fake/holds/${ID}/release$`),
    handle: (ctx) => {
      const hold = heldRequest(ctx);
      hold.letGo();
      ctx.state.holds.delete(hold.id);
      return json({ released: true, taken: hold.taken });
    },
  },
  {
    method: 'POST',
    pattern: /^\/_fake\/hosted-pages$/,
    handle: (ctx) => {
      const body = parseBody(hostedPagesBody, ctx);
      ctx.state.hostedPageWebhookDelayMs = body.webhookDelayMs;
      return json({ webhookDelayMs: ctx.state.hostedPageWebhookDelayMs });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/_fake\/fail$/,
    handle: (ctx) => {
      const cleared = ctx.state.failures.length;
      ctx.state.failures.length = 0;
      return json({ cleared });
    },
  },
];
