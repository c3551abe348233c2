import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { actorOf, requestContext } from '../audit/audit';
import type { Acting } from '../billing/billing-actions';
import { startCheckout, openPortal } from '../billing/checkout';
import { billingDeps } from '../billing/deps';
import { returnUrl, tenantHosts } from '../billing/return-urls';
import { stripeFor, webhookSecretOf } from '../billing/stripe-client';
import { changePlan, setCancelAtPeriodEnd } from '../billing/subscription-changes';
import { availablePlans, billingView, subscriptionView } from '../billing/views';
import { receiveWebhook } from '../billing/webhook';
import type { BillingDeps } from '../billing/tenant-billing';
import type { TenantRow } from '../db/schema';
import type { AppEnv } from '../env';
import { jsonBody } from '../http/body';
import { DomainError } from '../domain/errors';
import { asMember, MANAGER_ROLES } from '../http/tenant-context';
import { platformOnly, tenantOnly } from '../tenancy/middleware';
import { BILLING_INTERVALS, PAID_PLANS } from '../tenancy/plans';
import { findTenant } from '../tenancy/service';

/**
 * Billing. On a workspace host, for its owners and admins: what the workspace pays for, a
 * Checkout Session to start paying, the Billing Portal, and changes to the subscription. On the
 * platform host: Stripe's webhook, the only way a plan changes because of money.
 */
export const billingRoutes = new Hono<AppEnv>();

const url = z.string().max(2048);
const planChoice = { plan: z.enum(PAID_PLANS), interval: z.enum(BILLING_INTERVALS) };
const checkoutSchema = z.object({ ...planChoice, successUrl: url.optional(), cancelUrl: url.optional() }).strict();
const portalSchema = z.object({ returnUrl: url.optional() }).strict();
const changeSchema = z.object(planChoice).strict();

/** The signed-in owner or admin of this workspace, and its current row (fresh from the database: it has the Stripe ids). */
async function manager(c: Context<AppEnv>): Promise<{ row: TenantRow; acting: Acting; deps: BillingDeps }> {
  const { user, tdb } = asMember(c, MANAGER_ROLES);
  const deps = billingDeps(c);
  // The session is checked against the database (a demoted admin or a signed-out token must
  // not reach money), in parallel with reading the row.
  const [row] = await Promise.all([findTenant(deps.database, c.get('tenant').id), tdb.checkSession()]);
  if (!row) throw new DomainError('tenant_not_found', 'The workspace no longer exists.');
  return { row, acting: { actor: actorOf(user), context: requestContext(c) }, deps };
}

function requestOrigin(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}

billingRoutes.get('/', tenantOnly(), async (c) => {
  const { row, deps } = await manager(c);
  return c.json({ billing: billingView(row, deps.config), plans: availablePlans(deps.config) });
});

billingRoutes.post('/checkout', tenantOnly(), async (c) => {
  const { row, acting, deps } = await manager(c);
  const input = await jsonBody(c, checkoutSchema);
  const stripe = stripeFor(deps.config);
  const hosts = tenantHosts(row, deps.config.BASE_DOMAIN);
  const origin = requestOrigin(c);
  const session = await startCheckout(deps, stripe, row, {
    plan: input.plan,
    interval: input.interval,
    successUrl: returnUrl(input.successUrl, 'successUrl', hosts, origin, '/billing?checkout=success'),
    cancelUrl: returnUrl(input.cancelUrl, 'cancelUrl', hosts, origin, '/billing?checkout=cancelled'),
  }, acting);
  return c.json({ checkout: session }, 201);
});

billingRoutes.post('/portal', tenantOnly(), async (c) => {
  const { row, deps } = await manager(c);
  const input = await jsonBody(c, portalSchema);
  const stripe = stripeFor(deps.config);
  const hosts = tenantHosts(row, deps.config.BASE_DOMAIN);
  const portal = await openPortal(deps, stripe, row, returnUrl(input.returnUrl, 'returnUrl', hosts, requestOrigin(c), '/billing'));
  return c.json({ portal });
});

billingRoutes.put('/subscription', tenantOnly(), async (c) => {
  const { row, acting, deps } = await manager(c);
  const input = await jsonBody(c, changeSchema);
  const sub = await changePlan(deps, stripeFor(deps.config), row, input, acting);
  return c.json({ subscription: subscriptionView(sub, deps.config), plan: row.billingPlan, note: 'The plan changes when Stripe confirms the change.' });
});

billingRoutes.delete('/subscription', tenantOnly(), async (c) => {
  const { row, acting, deps } = await manager(c);
  const sub = await setCancelAtPeriodEnd(deps, stripeFor(deps.config), row, true, acting);
  return c.json({ subscription: subscriptionView(sub, deps.config) });
});

billingRoutes.post('/subscription/resume', tenantOnly(), async (c) => {
  const { row, acting, deps } = await manager(c);
  const sub = await setCancelAtPeriodEnd(deps, stripeFor(deps.config), row, false, acting);
  return c.json({ subscription: subscriptionView(sub, deps.config) });
});

/**
 * Stripe's webhook, on the platform host, not behind any tenant's plan or status (a suspended
 * workspace must still hear that it was paid). The body is read as text: the signature is over
 * the exact bytes Stripe sent.
 */
billingRoutes.post(
  '/webhook',
  platformOnly(),
  bodyLimit({ maxSize: 512 * 1024, onError: () => { throw new DomainError('payload_too_large', 'The event is larger than 512 KB.'); } }),
  async (c) => {
    const deps = billingDeps(c);
    const webhookSecret = webhookSecretOf(deps.config);
    const stripe = stripeFor(deps.config);
    const outcome = await receiveWebhook(deps, stripe, {
      rawBody: await c.req.text(),
      signature: c.req.header('stripe-signature'),
      webhookSecret,
      context: requestContext(c),
      log: c.get('log'),
    });
    return c.json({ received: true, ...outcome });
  },
);
