import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError } from '../api/errors';
import type { CappedResource } from '../api/types';
import { ScrollTable } from '../admin/ScrollTable';
import { UsageBar } from '../admin/UsageBar';
import { formatBytes, formatCount, formatDate, formatMoney } from '../lib/format';
import { workspaceOrigin } from '../lib/hosts';
import { notices } from '../lib/notices';
import { planName } from '../lib/plans';
import { operatorApi, type OperatorDomain, type OperatorTenant, type TenantUsageRow } from './api';
import { isAbort, useOperator, useOperatorError } from './session';
import { TenantActions } from './TenantActions';
import { TenantStatusPill } from './TenantStatusPill';

const CAPPED: CappedResource[] = ['users', 'channels', 'storageBytes', 'apiCallsPerMonth'];

type Loaded<T> = { kind: 'loading' } | { kind: 'failed'; error: string } | { kind: 'ok'; value: T };

function dateTime(iso: string) {
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}

/**
 * One tenant as an operator needs it: status (suspension, scheduled deletion), plan and trial,
 * billing state as Stripe last reported it, this month's usage against the plan's limits, its
 * custom domains, its owner; and the actions (./TenantActions.tsx).
 */
export function TenantPage({ id }: { id: string }) {
  const describe = useOperatorError();
  const [, navigate] = useLocation();
  const [tenant, setTenant] = useState<Loaded<OperatorTenant>>({ kind: 'loading' });
  const [usage, setUsage] = useState<Loaded<TenantUsageRow | null>>({ kind: 'loading' });
  const [domains, setDomains] = useState<Loaded<OperatorDomain[]>>({ kind: 'loading' });

  const failed = useCallback((err: unknown) => ({ kind: 'failed' as const, error: err instanceof ApiError && err.status === 404 ? 'There is no tenant with this id (it may have been purged).' : describe(err) }), [describe]);

  useEffect(() => {
    const ctrl = new AbortController();
    const settle = <T,>(p: Promise<T>, set: (v: Loaded<T>) => void) =>
      p.then(
        (value) => set({ kind: 'ok', value }),
        (err: unknown) => {
          if (!isAbort(err)) set(failed(err));
        },
      );
    void settle(operatorApi.tenant(id, ctrl.signal).then((r) => r.tenant), setTenant);
    void settle(operatorApi.tenantUsage(id, ctrl.signal).then((r) => r.tenants[0] ?? null), setUsage);
    void settle(operatorApi.tenantDomains(id, ctrl.signal).then((r) => r.domains), setDomains);
    return () => ctrl.abort();
  }, [id, failed]);

  if (tenant.kind === 'loading') return <p aria-live="polite">Loading the tenant…</p>;
  if (tenant.kind === 'failed') {
    return (
      <section aria-labelledby="tenant-missing">
        <h1 id="tenant-missing">Tenant</h1>
        <div className="form-error" role="alert">
          {tenant.error}
        </div>
        <Link href="/">Back to all tenants</Link>
      </section>
    );
  }
  const t = tenant.value;

  return (
    <section aria-labelledby="tenant-title" className="operator-tenant">
      <p className="operator-back">
        <Link href="/">← All tenants</Link>
      </p>
      <div className="operator-title">
        <h1 id="tenant-title">{t.name}</h1>
        <TenantStatusPill status={t.status} />
      </div>
      <p className="muted">
        <code>{t.slug}</code> · <OpenWorkspace slug={t.slug} /> · id <code>{t.id}</code>
      </p>

      <div className="operator-cards">
        <StatusCard t={t} />
        <PlanCard t={t} />
        <BillingCard t={t} />
        <article className="operator-card" aria-labelledby="owner-title">
          <h2 id="owner-title">Owner</h2>
          <dl className="operator-facts">
            <Fact label="Name">{t.ownerName}</Fact>
            <Fact label="E-mail">
              <a href={`mailto:${t.ownerEmail}`}>{t.ownerEmail}</a>
            </Fact>
            <Fact label="Created">{formatDate(t.createdAt)}</Fact>
          </dl>
        </article>
      </div>

      <h2 id="usage-title">Usage this month</h2>
      <UsageSection usage={usage} />

      <h2 id="domains-title">Custom domains</h2>
      <DomainsSection domains={domains} />

      <h2 id="actions-title">Actions</h2>
      <TenantActions
        tenant={t}
        onChange={(next) => setTenant({ kind: 'ok', value: next })}
        onPurged={() => {
          notices.toast(`${t.name} (${t.slug}) was purged.`, 'info');
          navigate('/', { replace: true });
        }}
      />
    </section>
  );
}

function OpenWorkspace({ slug }: { slug: string }) {
  const { baseDomain } = useOperator();
  const url = workspaceOrigin(slug, baseDomain);
  return (
    <a href={url} target="_blank" rel="noreferrer">
      {url.replace(/^https?:\/\//, '')}
    </a>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function StatusCard({ t }: { t: OperatorTenant }) {
  return (
    <article className="operator-card" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <dl className="operator-facts">
        <Fact label="Status">
          <TenantStatusPill status={t.status} />
        </Fact>
        {t.status === 'suspended' ? (
          <>
            <Fact label="Suspended since">{t.suspendedAt ? dateTime(t.suspendedAt) : '—'}</Fact>
            <Fact label="Reason">{t.suspendedReason ?? 'None given'}</Fact>
          </>
        ) : null}
        {t.deletionScheduledAt ? (
          <>
            <Fact label="Deleted">{t.cancelledAt ? dateTime(t.cancelledAt) : '—'}</Fact>
            <Fact label="Purged for good on">{dateTime(t.deletionScheduledAt)}</Fact>
          </>
        ) : null}
      </dl>
    </article>
  );
}

function PlanCard({ t }: { t: OperatorTenant }) {
  return (
    <article className="operator-card" aria-labelledby="plan-title">
      <h2 id="plan-title">Plan</h2>
      <dl className="operator-facts">
        <Fact label="Plan">
          {planName(t.billingPlan)}
          {t.plan !== t.billingPlan ? ` (${planName(t.plan)} applies now)` : ''}
        </Fact>
        <Fact label="Billed">{t.billingInterval ?? '—'}</Fact>
        <Fact label="Trial">{t.trial ? `${t.trial.expired ? 'ended' : 'ends'} ${formatDate(t.trial.endsAt)}` : 'No trial'}</Fact>
      </dl>
    </article>
  );
}

function BillingCard({ t }: { t: OperatorTenant }) {
  return (
    <article className="operator-card" aria-labelledby="billing-title">
      <h2 id="billing-title">Billing</h2>
      <dl className="operator-facts">
        <Fact label="Subscription">{t.subscriptionStatus ? <code>{t.subscriptionStatus}</code> : 'None'}</Fact>
        {t.pastDueSince ? <Fact label="Past due since">{dateTime(t.pastDueSince)}</Fact> : null}
        {t.currentPeriodEnd ? <Fact label={t.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}>{formatDate(t.currentPeriodEnd)}</Fact> : null}
        <Fact label="Last payment">
          {t.lastPaymentAt ? (
            <>
              {t.lastPaymentAmount !== null ? formatMoney(t.lastPaymentAmount) : ''} {t.lastPaymentStatus ?? ''} on {formatDate(t.lastPaymentAt)}
            </>
          ) : (
            'None'
          )}
        </Fact>
        <Fact label="Stripe customer">{t.stripeCustomerId ? <code>{t.stripeCustomerId}</code> : '—'}</Fact>
      </dl>
    </article>
  );
}

function UsageSection({ usage }: { usage: Loaded<TenantUsageRow | null> }) {
  if (usage.kind === 'loading') return <p aria-live="polite">Loading usage…</p>;
  if (usage.kind === 'failed')
    return (
      <div className="form-error" role="alert">
        {usage.error}
      </div>
    );
  const row = usage.value;
  if (!row) return <p>No usage recorded for this tenant.</p>;
  return (
    <div className="operator-usage">
      <ul className="usage-bars" aria-labelledby="usage-title">
        {CAPPED.map((r) => (
          <li key={r}>
            <UsageBar resource={r} use={row.limits[r]} />
          </li>
        ))}
      </ul>
      <p className="hint">
        {formatCount(row.usage.messages)} messages and {formatCount(row.usage.files)} files ({formatBytes(row.usage.storageBytes)}) this month;{' '}
        {row.recordedAt ? <>recorded {dateTime(row.recordedAt)}.</> : 'nothing recorded yet this month.'}
      </p>
      {row.exceeded.length ? (
        <p className="form-error">Over its plan's limits: {row.exceeded.map((e) => `${e.resource} (${formatCount(e.used)} of ${formatCount(e.limit)})`).join(', ')}. Nothing more can be added until it upgrades or removes some.</p>
      ) : null}
    </div>
  );
}

const DOMAIN_STATUS: Record<OperatorDomain['status'], string> = { pending: 'Verifying', active: 'Active', failed: 'Failed' };

function DomainsSection({ domains }: { domains: Loaded<OperatorDomain[]> }) {
  if (domains.kind === 'loading') return <p aria-live="polite">Loading domains…</p>;
  if (domains.kind === 'failed')
    return (
      <div className="form-error" role="alert">
        {domains.error}
      </div>
    );
  if (!domains.value.length) return <p>No custom domains.</p>;
  return (
    <ScrollTable label="Custom domains">
      <table className="admin-table">
        <thead>
          <tr>
            <th scope="col">Hostname</th>
            <th scope="col">Status</th>
            <th scope="col">Certificate</th>
            <th scope="col">Last checked</th>
          </tr>
        </thead>
        <tbody>
          {domains.value.map((d) => (
            <tr key={d.id}>
              <td>
                <code>{d.hostname}</code>
                {d.failureReason ? <div className="muted">{d.failureReason}</div> : null}
              </td>
              <td>
                <span className={`status-pill status-${d.status}`}>{DOMAIN_STATUS[d.status]}</span>
              </td>
              <td>{d.sslStatus ? d.sslStatus.replace(/_/g, ' ') : '—'}</td>
              <td>{d.checkedAt ? dateTime(d.checkedAt) : 'Not yet'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
