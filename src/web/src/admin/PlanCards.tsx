import { useState } from 'react';
import { describeError } from '../api/errors';
import type { BillingInterval, LimitName, PaidPlanId, PlanId, PlanOffer } from '../api/types';
import { formatMoney } from '../lib/format';
import { FEATURE_LABELS, formatLimit, LIMIT_LABELS, planName } from '../lib/plans';
import { notices } from '../lib/notices';

/** The limits a plan card and the current plan list, in this order (per-minute rate and upload size are detail). */
const SHOWN_LIMITS: readonly LimitName[] = ['users', 'channels', 'storageBytes', 'apiCallsPerMonth', 'customDomains'];

export function LimitList({ limits, title }: { limits: Record<LimitName, number | null>; title: string }) {
  return (
    <div className="limit-list">
      <h3>{title}</h3>
      <dl>
        {SHOWN_LIMITS.map((k) => (
          <div key={k}>
            <dt>{LIMIT_LABELS[k]}</dt>
            <dd data-limit={k}>{formatLimit(k, limits[k])}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** How much cheaper a year is than twelve months, in whole percent (0 when it is not). */
function yearlySaving(plan: PlanOffer): number {
  const m = plan.prices.monthly.amount;
  const y = plan.prices.yearly.amount;
  if (!m || !y) return 0;
  return Math.max(0, Math.round((1 - y / (m * 12)) * 100));
}

interface PlanCardsProps {
  plans: PlanOffer[];
  interval: BillingInterval;
  onInterval(i: BillingInterval): void;
  /** The plan being paid for now, when there is a live subscription. */
  current: { plan: PlanId; interval: BillingInterval | null } | null;
  subscribed: boolean;
  onChoose(plan: PaidPlanId): Promise<void>;
  busy: boolean;
}

export function PlanCards({ plans, interval, onInterval, current, subscribed, onChoose, busy }: PlanCardsProps) {
  const saving = Math.max(0, ...plans.map(yearlySaving));
  return (
    <>
      <fieldset className="interval-toggle">
        <legend>Billed</legend>
        {(['monthly', 'yearly'] as const).map((i) => (
          <label key={i}>
            <input type="radio" name="interval" value={i} checked={interval === i} onChange={() => onInterval(i)} /> {i === 'monthly' ? 'Monthly' : `Yearly${saving ? ` (save ${saving}%)` : ''}`}
          </label>
        ))}
      </fieldset>
      <ul className="plan-cards">
        {plans.map((p) => (
          <PlanCard key={p.id} plan={p} interval={interval} current={current} subscribed={subscribed} onChoose={onChoose} busy={busy} />
        ))}
      </ul>
    </>
  );
}

function PlanCard({ plan, interval, current, subscribed, onChoose, busy }: Omit<PlanCardsProps, 'plans' | 'onInterval'> & { plan: PlanOffer }) {
  const [confirming, setConfirming] = useState(false);
  const [working, setWorking] = useState(false);
  const price = plan.prices[interval];
  const isCurrent = current?.plan === plan.id && current.interval === interval;
  const titleId = `plan-${plan.id}`;

  async function choose() {
    setWorking(true);
    try {
      await onChoose(plan.id);
      setConfirming(false);
    } catch (err) {
      notices.toast(describeError(err));
    } finally {
      setWorking(false);
    }
  }

  const action = subscribed ? `Switch to ${plan.name}` : `Upgrade to ${plan.name}`;
  return (
    <li className={`plan-card${isCurrent ? ' current' : ''}`} aria-labelledby={titleId}>
      <h3 id={titleId}>{plan.name}</h3>
      <p className="plan-price">
        {price.amount != null ? (
          <>
            <strong>{formatMoney(price.amount, price.currency)}</strong> / {interval === 'yearly' ? 'year' : 'month'}
          </>
        ) : (
          'Price on request'
        )}
      </p>
      <LimitList limits={plan.limits} title="Limits" />
      <ul className="plan-features" aria-label={`${plan.name} features`}>
        {plan.features.map((f) => (
          <li key={f}>{FEATURE_LABELS[f] ?? f}</li>
        ))}
      </ul>
      {isCurrent ? (
        <p className="plan-current-badge">Your plan</p>
      ) : !price.available ? (
        <p className="hint">Not on sale on this server.</p>
      ) : confirming ? (
        <div className="plan-confirm">
          <p>
            Switch to {plan.name}, billed {interval}? Stripe charges or credits the difference for the rest of the period{current ? ` (now ${planName(current.plan)})` : ''}.
          </p>
          <button type="button" className="btn btn-primary btn-sm" disabled={working || busy} onClick={() => void choose()}>
            {working ? 'Switching…' : `Switch to ${plan.name}`}
          </button>{' '}
          <button type="button" className="btn btn-sm" disabled={working} onClick={() => setConfirming(false)}>
            Keep the current plan
          </button>
        </div>
      ) : (
        <button type="button" className="btn btn-primary" disabled={working || busy} onClick={() => (subscribed ? setConfirming(true) : void choose())}>
          {working ? 'Opening Stripe Checkout…' : action}
        </button>
      )}
    </li>
  );
}
