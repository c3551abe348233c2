import { useEffect, useState } from 'react';
import { chunk, useChunk } from '../lib/chunk';
import { Link } from 'wouter';
import { api } from '../api/endpoints';
import { describeError } from '../api/errors';
import type { CappedResource, UsageHistory, UsageReport } from '../api/types';
import { UpgradePrompt } from '../components/PlanNotice';
import { formatCount, formatMonth } from '../lib/format';
import { planName } from '../lib/plans';
import { useSession, useTenantFeature } from '../tenant/TenantProvider';
import { UsageBar, usageWords } from './UsageBar';

/** The charting library (recharts) is only downloaded for plans with usage history. */
const chartsChunk = chunk(() => import('./UsageCharts'));

/**
 * `/admin/usage`: a month's use against the plan's caps (bars with the 80 % and 100 % marks), what
 * to do about a cap the workspace is past, and (plans with analytics) the last twelve months as
 * charts.
 */
export function UsagePage() {
  const role = useSession()?.user.role;
  const analytics = useTenantFeature('analytics');
  const [period, setPeriod] = useState<string | undefined>(undefined);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [history, setHistory] = useState<UsageHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The history fails or loads on its own: its section says so, the month's bars stay.
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [historyAttempt, setHistoryAttempt] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    api.usage(period, ac.signal).then(
      (r) => {
        setReport(r);
        setError(null);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(describeError(err));
      },
    );
    return () => ac.abort();
  }, [period]);

  useEffect(() => {
    if (!analytics) return;
    // The charts' code and their figures arrive together.
    chartsChunk.preload();
    const ac = new AbortController();
    setHistoryError(null);
    api.usageHistory(ac.signal).then(setHistory, (err: unknown) => {
      if (!ac.signal.aborted) setHistoryError(describeError(err));
    });
    return () => ac.abort();
  }, [analytics, historyAttempt]);

  // Any plan can look at an earlier month (GET /api/tenant/usage?period=); only the charts need analytics.
  const periods = lastPeriods(12);
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {report === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {report ? (
        <>
          <div className="usage-heading">
            <p>
              {report.current ? 'This month' : formatMonth(report.period)} on the <strong>{planName(report.plan)}</strong> plan
              {report.current ? `, measured ${new Date(report.measuredAt).toLocaleTimeString()}` : ''}.
            </p>
            {periods.includes(report.period) ? (
              <label className="field-inline">
                Month{' '}
                <select value={report.period} onChange={(e) => setPeriod(e.target.value)}>
                  {periods.map((p) => (
                    <option key={p} value={p}>
                      {formatMonth(p)}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </div>
          <Exceeded report={report} />
          <ul className="usage-bars" aria-label="Use against the plan's limits">
            {(['users', 'channels', 'storageBytes', 'apiCallsPerMonth'] as const).map((r) => (
              <li key={r}>
                <UsageBar resource={r} use={report.limits[r]} />
              </li>
            ))}
            <li>
              <div className="usage-bar-label">
                <span>Messages sent</span>
                <span>{formatCount(report.usage.messages)}</span>
              </div>
              <p className="hint">No limit on messages.</p>
            </li>
          </ul>
          {report.usage.invitationsPending > 0 ? <p className="hint">People include {report.usage.invitationsPending} open invitation{report.usage.invitationsPending === 1 ? '' : 's'}: each holds a seat until it is accepted, revoked or expires.</p> : null}
        </>
      ) : null}

      <h2>The last twelve months</h2>
      {!analytics ? (
        <UpgradePrompt feature="Usage history" role={role} />
      ) : historyError ? (
        <div className="form-error" role="alert">
          <p style={{ margin: '0 0 8px' }}>The history could not be loaded: {historyError}</p>
          <button type="button" className="btn btn-sm" onClick={() => setHistoryAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      ) : history ? (
        <Charts history={history} />
      ) : (
        <p aria-live="polite">Loading…</p>
      )}
    </section>
  );
}

/** The last `count` usage periods (UTC months, as the server counts them), newest first. */
function lastPeriods(count: number, now = new Date()): string[] {
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

/** What a person can do about each cap the workspace is past (after a downgrade or a trial's end). */
const REMEDY: Record<CappedResource, { text: string; link?: { href: string; label: string } }> = {
  users: { text: 'Nobody new can join until the workspace is under the limit: deactivate people who have left or revoke open invitations, or upgrade.', link: { href: '/admin/members', label: 'Go to members' } },
  channels: { text: 'No new channels can be created: archive channels nobody uses, or upgrade.' },
  storageBytes: { text: 'No new files can be uploaded: delete files that are no longer needed, or upgrade.' },
  apiCallsPerMonth: { text: "API calls are refused until the month ends (the count starts again on the 1st, UTC), or upgrade for a larger allowance." },
};

function Exceeded({ report }: { report: UsageReport }) {
  if (!report.exceeded.length) return null;
  return (
    <div className="form-error" role="alert">
      <p style={{ margin: 0 }}>
        <strong>This workspace is over its plan's limits.</strong> Nothing has been deleted and everything stays readable.
      </p>
      <ul>
        {report.exceeded.map((e) => (
          <li key={e.resource}>
            {usageWords(e.resource, e.used, e.limit)}. {REMEDY[e.resource].text}{' '}
            {REMEDY[e.resource].link ? <Link href={REMEDY[e.resource].link!.href}>{REMEDY[e.resource].link!.label}</Link> : null}
          </li>
        ))}
      </ul>
      <Link href="/billing" className="btn btn-primary btn-sm">
        See plans
      </Link>
    </div>
  );
}

function Charts({ history }: { history: UsageHistory }) {
  const { module, failed } = useChunk(chartsChunk);
  if (failed) return <p className="form-error">The charts could not be loaded; reload the page to try again.</p>;
  if (!module) return <p aria-live="polite">Loading the charts…</p>;
  return <module.default history={history} />;
}
