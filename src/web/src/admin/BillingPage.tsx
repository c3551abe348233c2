import '../styles/admin.css';
import { useCallback, useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/endpoints';
import { describeError } from '../api/errors';
import type { BillingInterval, BillingView, PaidPlanId, PlanOffer, Tenant } from '../api/types';
import { daysUntil, formatDate, formatMoney } from '../lib/format';
import { notices } from '../lib/notices';
import { planName } from '../lib/plans';
import { useBoot, useTenant } from '../tenant/TenantProvider';
import { CheckoutReturnNotice, useBillingWait, type BillingWait } from './billingWait';
import { LimitList, PlanCards } from './PlanCards';

/**
 * `/billing`: what the workspace pays for and the ways to change it. Starting to pay goes through
 * Stripe Checkout; changing a running subscription through the API (Stripe prorates), payment
 * methods and invoices through Stripe's portal. Nothing here changes the plan itself: Stripe's
 * webhook does, so after every step the page waits until GET /api/billing says so.
 */
export interface BillingData {
  billing: BillingView;
  plans: PlanOffer[];
}

/** Subscription statuses in which Stripe still bills (a new Checkout would be a second subscription). */
const LIVE = new Set(['trialing', 'active', 'past_due', 'unpaid', 'incomplete', 'paused']);
/** Paid up: what a checkout or a payment waits for (`incomplete` is a first payment still to be made or confirmed). */
const PAID = new Set(['trialing', 'active']);

/** Nothing owed: paid up and open (a workspace suspended for non-payment is open again once paid). */
export function settled(b: BillingView): boolean {
  return PAID.has(b.status) && b.workspaceStatus !== 'suspended';
}

const STATUS_TEXT: Record<string, string> = {
  none: 'No subscription',
  trialing: 'Trial',
  active: 'Active',
  past_due: 'Payment overdue',
  unpaid: 'Unpaid',
  canceled: 'Cancelled',
  incomplete: 'Waiting for the first payment',
  incomplete_expired: 'First payment not made',
  paused: 'Paused',
};

export function BillingPage() {
  const { tenant } = useTenant();
  const boot = useBoot();
  const [data, setData] = useState<BillingData | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const next = await api.billing();
      setData(next);
      setError(null);
      return next;
    } catch (err) {
      setError(describeError(err));
      return null;
    }
  }, []);
  useEffect(() => void load(), [load]);

  // When the webhook has landed, the whole app learns the new plan (limits, features).
  const wait = useBillingWait(load, () => void boot.reload());
  useStripeReturn(wait);

  return (
    <section aria-labelledby="billing-title" className="billing">
      <h1 id="billing-title">Billing and plan</h1>
      <CheckoutReturnNotice wait={wait} />
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data ? (
        <>
          <PaymentProblem billing={data.billing} />
          <CurrentPlan billing={data.billing} tenant={tenant} plans={data.plans} />
          {!data.billing.checkoutAvailable ? (
            <div className="form-note">Payments are not set up on this server (no Stripe key), so plans cannot be bought here. A platform operator can change the plan.</div>
          ) : (
            <>
              {/* Suspended, the one thing to do is pay: plan changes wait until it is open again. */}
              {data.billing.workspaceStatus !== 'suspended' ? <PlanChoice data={data} wait={wait} /> : null}
              <SubscriptionActions billing={data.billing} wait={wait} />
            </>
          )}
        </>
      ) : null}
    </section>
  );
}

/**
 * Back from Stripe: `?checkout=success` waits for the webhook to confirm the subscription,
 * `?checkout=cancel(led)` says nothing was charged, `?portal=return` waits for a payment made
 * there to be confirmed (at once when nothing was owed).
 */
function useStripeReturn(wait: BillingWait) {
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const checkout = params.get('checkout');
  const portal = params.get('portal');
  const { start, cancelled } = wait;
  useEffect(() => {
    if (!checkout && !portal) return;
    if (checkout === 'success') start('checkout', (b) => b.hasSubscription && PAID.has(b.status));
    else if (checkout) cancelled();
    else start('portal', settled);
    // The URL forgets the outcome: a reload later must not wait again.
    navigate('/billing', { replace: true });
  }, [checkout, portal, start, cancelled, navigate]);
}

function CurrentPlan({ billing, tenant, plans }: { billing: BillingView; tenant: Tenant | null; plans: PlanOffer[] }) {
  const offer = plans.find((p) => p.id === billing.plan);
  const price = offer && billing.interval ? offer.prices[billing.interval] : null;
  const trialEnds = billing.trialEndsAt && new Date(billing.trialEndsAt).getTime() > Date.now() ? billing.trialEndsAt : null;
  return (
    <section className="plan-current" aria-labelledby="current-plan-title">
      <h2 id="current-plan-title">
        Current plan: <span data-testid="current-plan">{planName(billing.plan)}</span>
      </h2>
      <dl className="plan-facts">
        <div>
          <dt>Price</dt>
          <dd>
            {billing.plan === 'free'
              ? 'Free'
              : price?.amount != null && billing.interval
                ? `${formatMoney(price.amount, price.currency)} a ${billing.interval === 'yearly' ? 'year' : 'month'}`
                : billing.plan === 'custom'
                  ? 'As agreed'
                  : 'Not billed'}
          </dd>
        </div>
        <div>
          <dt>Subscription</dt>
          <dd>
            <span className={`status-pill billing-status-${billing.status}`}>{STATUS_TEXT[billing.status] ?? billing.status}</span>
          </dd>
        </div>
        {trialEnds ? (
          <div>
            <dt>Trial</dt>
            <dd>
              {daysUntil(trialEnds)} {daysUntil(trialEnds) === 1 ? 'day' : 'days'} left (ends {formatDate(trialEnds)})
            </dd>
          </div>
        ) : null}
        {billing.currentPeriodEnd && LIVE.has(billing.status) ? (
          <div>
            <dt>{billing.cancelAtPeriodEnd ? 'Ends' : 'Renews'}</dt>
            <dd>{formatDate(billing.currentPeriodEnd)}</dd>
          </div>
        ) : null}
        {billing.lastPayment ? (
          <div>
            <dt>Last payment</dt>
            <dd>
              {billing.lastPayment.amount != null ? formatMoney(billing.lastPayment.amount, billing.lastPayment.currency) : ''} on {formatDate(billing.lastPayment.at)}
              {billing.lastPayment.status && billing.lastPayment.status !== 'paid' ? ` (${billing.lastPayment.status.replace(/_/g, ' ')})` : ''}
            </dd>
          </div>
        ) : null}
      </dl>
      {trialEnds && !billing.hasSubscription ? (
        <p className="form-note">
          The workspace has the {planName(billing.plan)} plan's features until {formatDate(trialEnds)}. Choose a plan below to keep them; otherwise it moves to Free and keeps everything, read-only past Free's limits.
        </p>
      ) : null}
      {billing.cancelAtPeriodEnd && billing.currentPeriodEnd ? (
        <p className="form-note" role="status">
          The subscription is cancelled: the workspace keeps {planName(billing.plan)} until {formatDate(billing.currentPeriodEnd)}, then moves to Free. Resume it below to keep the plan.
        </p>
      ) : null}
      {tenant ? <LimitList limits={tenant.limits} title="What the workspace has now" /> : null}
    </section>
  );
}

/** Past due (Stripe retries; the workspace stays open until the grace ends) or suspended for non-payment. */
function PaymentProblem({ billing }: { billing: BillingView }) {
  const suspended = billing.workspaceStatus === 'suspended' && (billing.status === 'past_due' || billing.status === 'unpaid' || billing.pastDueSince !== null);
  const overdue = billing.status === 'past_due' || billing.status === 'unpaid';
  const firstPaymentDue = billing.status === 'incomplete';
  if (!suspended && !overdue && !firstPaymentDue) return null;
  return (
    <div className="form-error payment-problem" role="alert">
      {suspended ? (
        <p>
          <strong>The workspace is suspended because its subscription is not paid.</strong> Members cannot use it until the payment goes through; messages and files are kept. Pay the open invoice and it reopens at once.
        </p>
      ) : firstPaymentDue ? (
        <p>
          <strong>The first payment has not gone through yet.</strong> The bank may be asking to confirm it. The plan starts once it is paid; finish it in Stripe.
        </p>
      ) : (
        <p>
          <strong>The last payment did not go through.</strong> Stripe tries the card again over the next days.
          {billing.graceEndsAt ? ` If it is not paid by ${formatDate(billing.graceEndsAt)}, the workspace is suspended until it is.` : ''} Update the card or pay now to settle it.
        </p>
      )}
      <PortalButton label="Pay now" primary />
    </div>
  );
}

function PortalButton({ label, primary }: { label: string; primary?: boolean }) {
  const [busy, setBusy] = useState(false);
  async function open() {
    setBusy(true);
    try {
      // Back to this page, which then waits for whatever was paid there.
      const { portal } = await api.billingPortal(`${location.origin}/billing?portal=return`);
      location.assign(portal.url);
    } catch (err) {
      notices.toast(describeError(err));
      setBusy(false);
    }
  }
  return (
    <button type="button" className={`btn btn-sm${primary ? ' btn-primary' : ''}`} onClick={() => void open()} disabled={busy}>
      {busy ? 'Opening Stripe…' : label}
    </button>
  );
}

function PlanChoice({ data, wait }: { data: BillingData; wait: BillingWait }) {
  const { billing } = data;
  const [interval, setInterval] = useState<BillingInterval>(billing.interval ?? 'monthly');
  const subscribed = billing.hasSubscription && LIVE.has(billing.status);

  async function choose(plan: PaidPlanId) {
    if (!subscribed) {
      // Stripe's page takes it from here; it comes back to /billing?checkout=success|cancelled.
      const { checkout } = await api.checkout(plan, interval);
      location.assign(checkout.url);
      return;
    }
    await api.changePlan(plan, interval);
    wait.start('change', (b) => b.plan === plan && b.interval === interval, `${planName(plan)} (${interval})`);
  }

  return (
    <>
      <h2>{subscribed ? 'Change plan' : 'Choose a plan'}</h2>
      <PlanCards plans={data.plans} interval={interval} onInterval={setInterval} current={subscribed ? { plan: billing.plan, interval: billing.interval } : null} subscribed={subscribed} onChoose={choose} busy={wait.state.kind === 'waiting'} />
    </>
  );
}

/** The portal, and cancelling or resuming at the end of the period. */
function SubscriptionActions({ billing, wait }: { billing: BillingView; wait: BillingWait }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!billing.hasSubscription && !billing.lastPayment) return null;
  const live = billing.hasSubscription && LIVE.has(billing.status) && billing.workspaceStatus !== 'suspended';

  async function run(work: () => Promise<unknown>, until: (b: BillingView) => boolean, label: string) {
    setBusy(true);
    try {
      await work();
      setConfirming(false);
      wait.start('change', until, label);
    } catch (err) {
      notices.toast(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h2>Payment and invoices</h2>
      <p>Card details, billing address and past invoices are kept by Stripe.</p>
      <div className="billing-actions">
        <PortalButton label="Manage payment method and invoices" />
        {live && !billing.cancelAtPeriodEnd ? (
          confirming ? (
            <>
              <span>
                Cancel? The workspace keeps {planName(billing.plan)} until {billing.currentPeriodEnd ? formatDate(billing.currentPeriodEnd) : 'the end of the period'}, then moves to Free. Nothing is deleted.
              </span>
              <button type="button" className="btn btn-danger btn-sm" disabled={busy} onClick={() => void run(() => api.cancelSubscription(), (b) => b.cancelAtPeriodEnd, 'the cancellation')}>
                {busy ? 'Cancelling…' : 'Cancel subscription'}
              </button>
              <button type="button" className="btn btn-sm" disabled={busy} onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setConfirming(true)}>
              Cancel subscription…
            </button>
          )
        ) : null}
        {live && billing.cancelAtPeriodEnd ? (
          <button type="button" className="btn btn-primary btn-sm" disabled={busy} onClick={() => void run(() => api.resumeSubscription(), (b) => !b.cancelAtPeriodEnd, 'the resumed subscription')}>
            {busy ? 'Resuming…' : 'Resume subscription'}
          </button>
        ) : null}
      </div>
    </>
  );
}
