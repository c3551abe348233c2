/**
 * The pages a customer would see on stripe.com, reduced to what lets someone click through
 * nchat's billing flow locally: a checkout page with a "Pay (test)" button, and a portal page
 * with a way back. Not part of Stripe's API; no authentication, like Stripe's hosted pages.
 */
import { buildEvent, subscriptionChangeEvent } from './events';
import { StripeApiError } from './errors';
import type { StripeEvent } from './objects';
import { ID, type Route, type RouteContext, type RouteResult } from './router';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function page(title: string, body: string, status = 200): RouteResult {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
.note{color:#666;font-size:.9em}button{font-size:1rem;padding:.6rem 1.4rem;background:#635bff;color:#fff;border:0;border-radius:6px;cursor:pointer}
a{color:#635bff}</style></head><body>${body}</body></html>`;
  return { kind: 'html', status, html };
}

/** Stripe replaces this template in success_url with the session id on redirect. */
function successLocation(successUrl: string, sessionId: string): string {
  return successUrl.replaceAll('{CHECKOUT_SESSION_ID}', sessionId);
}

/** With a hosted-page delay set (POST /_fake/hosted-pages), the events go out that much later, after the redirect. */
function deliverLater(ctx: RouteContext, events: StripeEvent[]): boolean {
  const delay = ctx.state.hostedPageWebhookDelayMs;
  if (delay <= 0) return false;
  setTimeout(() => ctx.events.emitInBackground(events), delay);
  return true;
}

function money(amount: number | null, currency: string | null): string {
  if (amount === null) return '';
  return `${(amount / 100).toFixed(2)} ${(currency ?? 'usd').toUpperCase()}`;
}

export const pageRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/checkout/${ID}$`),
    handle: (ctx) => {
      const stored = ctx.state.checkoutSessions.get(ctx.ids[0]!);
      if (!stored) return page('Not found', `<h1>No such checkout session</h1>`, 404);
      const session = ctx.state.expireIfDue(stored);
      if (session.status !== 'open') {
        const back = session.success_url ? `<p><a href="${escapeHtml(successLocation(session.success_url, session.id))}">Back to the site</a></p>` : '';
        return page('Checkout', `<h1>This checkout is ${escapeHtml(session.status)}</h1>${back}`);
      }
      const plan = ctx.state.checkoutPlans.get(session.id);
      const price = plan ? ctx.state.prices.get(plan.priceId) : undefined;
      const what = price ? `${escapeHtml(price.nickname ?? price.id)}: ${money(session.amount_total, session.currency)} per ${price.recurring.interval}` : '';
      const cancel = session.cancel_url ? ` &nbsp; <a href="${escapeHtml(session.cancel_url)}">Cancel</a>` : '';
      return page(
        'Checkout (Stripe fake)',
        `<h1>Checkout</h1><p>${what}</p>
<form method="post" action="/checkout/${encodeURIComponent(session.id)}/pay"><button type="submit">Pay (test)</button>${cancel}</form>
<p class="note">Local Stripe fake: no card is charged. Paying completes session ${escapeHtml(session.id)} and sends its webhook events.</p>`,
      );
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/checkout/${ID}/pay$`),
    handle: async (ctx) => {
      const { session, subscription, invoice } = ctx.state.completeCheckout(ctx.ids[0]!);
      const events = [buildEvent('checkout.session.completed', session), buildEvent('customer.subscription.created', subscription), buildEvent('invoice.paid', invoice)];
      if (!session.success_url) throw new StripeApiError(400, 'invalid_request_error', 'The session has no success_url.');
      if (deliverLater(ctx, events)) return { kind: 'redirect', location: successLocation(session.success_url, session.id) };
      // Delivered before the redirect, so the success page already sees the new plan.
      const { deliveries } = await ctx.events.emitNow(events);
      const failed = (deliveries ?? []).filter((d) => d.status === null || d.status >= 300);
      if (failed.length > 0) {
        const lines = failed.map((d) => `<li>${escapeHtml(d.type)}: ${d.status ?? escapeHtml(d.error ?? 'unreachable')}</li>`).join('');
        const next = session.success_url ? `<p><a href="${escapeHtml(successLocation(session.success_url, session.id))}">Continue</a></p>` : '';
        return page('Checkout', `<h1>Paid, but the webhook was not accepted</h1><ul>${lines}</ul>${next}`, 200);
      }
      return { kind: 'redirect', location: successLocation(session.success_url, session.id) };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/billing_portal/${ID}$`),
    handle: (ctx) => {
      const session = ctx.state.portalSessions.get(ctx.ids[0]!);
      if (!session) return page('Not found', `<h1>No such portal session</h1>`, 404);
      const subs = [...ctx.state.subscriptions.values()].filter((s) => s.customer === session.customer);
      const rows = subs
        .map((s) => `<li>${escapeHtml(s.items.data[0]?.price.nickname ?? s.id)}: ${escapeHtml(s.status)}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}, period ends ${new Date(s.current_period_end * 1000).toISOString().slice(0, 10)}</li>`)
        .join('');
      const back = session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : '';
      // What Stripe's portal offers for an unpaid invoice: paying it now.
      const overdue = subs.some((s) => s.status === 'past_due' || s.status === 'unpaid');
      const pay = overdue ? `<form method="post" action="/billing_portal/${encodeURIComponent(session.id)}/pay"><button type="submit">Pay the open invoice (test)</button></form>` : '';
      return page(
        'Billing portal (Stripe fake)',
        `<h1>Billing portal</h1><ul>${rows || '<li>No subscriptions</li>'}</ul>${pay}${back}<p class="note">Local Stripe fake: change plans from nchat, or with the control API (POST /_fake/subscriptions/:id).</p>`,
      );
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/billing_portal/${ID}/pay$`),
    handle: async (ctx) => {
      const session = ctx.state.portalSessions.get(ctx.ids[0]!);
      if (!session) return page('Not found', `<h1>No such portal session</h1>`, 404);
      const overdue = [...ctx.state.subscriptions.values()].filter((s) => s.customer === session.customer && (s.status === 'past_due' || s.status === 'unpaid'));
      const events = overdue.flatMap((s) => {
        const { invoice, subscription, previous } = ctx.state.billSubscription(s.id, { paid: true });
        const change = subscriptionChangeEvent(subscription, previous);
        return change ? [buildEvent('invoice.paid', invoice), change] : [buildEvent('invoice.paid', invoice)];
      });
      // Delivered before the redirect, as the checkout does, so the return page sees the payment.
      if (events.length && !deliverLater(ctx, events)) await ctx.events.emitNow(events);
      if (!session.return_url) return page('Billing portal (Stripe fake)', `<h1>Paid</h1><p>${overdue.length} invoice(s) paid.</p>`);
      return { kind: 'redirect', location: session.return_url };
    },
  },
];
