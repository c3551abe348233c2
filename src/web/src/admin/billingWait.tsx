import { useCallback, useEffect, useRef, useState } from 'react';
import type { BillingView } from '../api/types';
import { planName } from '../lib/plans';

/**
 * Waiting for Stripe's webhook. Checkout and plan changes are confirmed by Stripe calling the
 * Worker, not by the browser's request, so the page asks GET /api/billing again until the change
 * shows (or a minute has passed, when it says so and offers to look again).
 */
/** What is awaited: a first subscription (Checkout), a change to it, or a payment made in the portal. */
export type Waiting = 'checkout' | 'change' | 'portal';

export type WaitState =
  | { kind: 'idle' }
  | { kind: 'waiting'; what: Waiting; label: string }
  | { kind: 'confirmed'; what: Waiting; label: string; billing: BillingView }
  | { kind: 'timed_out'; what: Waiting; label: string }
  | { kind: 'cancelled' };

export interface BillingWait {
  state: WaitState;
  /** Polls until `done` holds for the workspace's billing. */
  start(what: Waiting, done: (b: BillingView) => boolean, label?: string): void;
  /** Checkout came back cancelled. */
  cancelled(): void;
  retry(): void;
}

/** Quick at first (Stripe is usually this fast), then backing off, so a minute of waiting costs ~15 requests of the plan's per-minute allowance. */
const POLL_DELAYS_MS = [1_000, 1_500, 2_000, 3_000, 5_000];
const GIVE_UP_MS = 60_000;

export function useBillingWait(load: () => Promise<{ billing: BillingView } | null>, onConfirmed: () => void): BillingWait {
  const [state, setState] = useState<WaitState>({ kind: 'idle' });
  // One wait at a time; a newer one (or leaving the page) ends the older one's loop.
  const run = useRef(0);
  const last = useRef<{ what: Waiting; done: (b: BillingView) => boolean; label: string } | null>(null);
  const confirmed = useRef(onConfirmed);
  confirmed.current = onConfirmed;
  useEffect(() => () => void run.current++, []);

  const start = useCallback(
    (what: Waiting, done: (b: BillingView) => boolean, label = 'the new plan') => {
      const id = ++run.current;
      last.current = { what, done, label };
      setState({ kind: 'waiting', what, label });
      const until = Date.now() + GIVE_UP_MS;
      void (async () => {
        for (let attempt = 0; ; attempt++) {
          const data = await load();
          if (run.current !== id) return;
          if (data && done(data.billing)) {
            setState({ kind: 'confirmed', what, label, billing: data.billing });
            confirmed.current();
            return;
          }
          if (Date.now() > until) {
            setState({ kind: 'timed_out', what, label });
            return;
          }
          await new Promise((r) => setTimeout(r, POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)]));
          if (run.current !== id) return;
        }
      })();
    },
    [load],
  );
  const cancelled = useCallback(() => setState({ kind: 'cancelled' }), []);
  const retry = useCallback(() => {
    if (last.current) start(last.current.what, last.current.done, last.current.label);
  }, [start]);
  return { state, start, cancelled, retry };
}


export function CheckoutReturnNotice({ wait }: { wait: BillingWait }) {
  const s = wait.state;
  switch (s.kind) {
    case 'idle':
      return null;
    case 'waiting':
      return (
        <div className="form-note" role="status" aria-live="polite">
          <span className="spinner inline" aria-hidden="true" />{' '}
          {s.what === 'checkout' ? 'Payment received. Waiting for Stripe to confirm the subscription…' : s.what === 'portal' ? 'Waiting for Stripe to confirm the payment…' : `Waiting for Stripe to confirm ${s.label}…`}
        </div>
      );
    case 'confirmed':
      return (
        <div className="form-success" role="status">
          {s.what === 'checkout' ? (
            <>
              <strong>Welcome to {planName(s.billing.plan)}.</strong> The subscription is active and the new limits apply now.
            </>
          ) : s.what === 'portal' ? (
            <>Billing is up to date.</>
          ) : (
            <>Stripe confirmed {s.label}.</>
          )}
        </div>
      );
    case 'timed_out':
      return (
        <div className="form-note" role="status">
          <p style={{ margin: 0 }}>Stripe has not confirmed {s.what === 'change' ? s.label : 'the payment'} yet. It can take a minute; nothing needs doing again.</p>
          <button type="button" className="btn btn-sm" style={{ marginTop: 8 }} onClick={wait.retry}>
            Check again
          </button>
        </div>
      );
    case 'cancelled':
      return (
        <div className="form-note" role="status">
          Checkout was cancelled: nothing was charged and the plan is unchanged.
        </div>
      );
  }
}
