import type { CappedResource, LimitUse } from '../api/types';
import { formatBytes, formatCount } from '../lib/format';

const NAMES: Record<CappedResource, string> = { users: 'People', channels: 'Channels', storageBytes: 'Storage', apiCallsPerMonth: 'API calls this month' };

function amount(resource: CappedResource, n: number): string {
  return resource === 'storageBytes' ? formatBytes(n) : formatCount(n);
}

/** "12 of 10 people", "1.2 GB of 1.0 GB storage". */
export function usageWords(resource: CappedResource, used: number, limit: number | null): string {
  const noun = { users: 'people', channels: 'channels', storageBytes: 'storage', apiCallsPerMonth: 'API calls' }[resource];
  return limit === null ? `${amount(resource, used)} ${noun}` : `${amount(resource, used)} of ${amount(resource, limit)} ${noun}`;
}

const STATE_TEXT: Record<string, string> = { ok: '', near: 'Near the limit', at_limit: 'At the limit', over: 'Over the limit' };

/**
 * One cap as a bar: the track is the limit (or what is used, when past it), with marks at 80 %
 * and 100 % of the limit, so a bar past the limit shows how far past.
 */
export function UsageBar({ resource, use }: { resource: CappedResource; use: LimitUse }) {
  const id = `usage-${resource}`;
  if (use.limit === null) {
    return (
      <div className="usage-bar">
        <div className="usage-bar-label">
          <span id={id}>{NAMES[resource]}</span>
          <span>{amount(resource, use.used)} · unlimited</span>
        </div>
      </div>
    );
  }
  const scale = Math.max(use.limit, use.used, 1);
  const fill = (use.used / scale) * 100;
  const mark = (p: number) => `${((use.limit! * p) / 100 / scale) * 100}%`;
  return (
    <div className={`usage-bar state-${use.state}`}>
      <div className="usage-bar-label">
        <span id={id}>{NAMES[resource]}</span>
        <span>
          {usageWords(resource, use.used, use.limit)}
          {use.percent !== null ? ` (${use.percent}%)` : ''}
          {STATE_TEXT[use.state] ? <strong className="usage-state"> · {STATE_TEXT[use.state]}</strong> : null}
        </span>
      </div>
      <div
        className="usage-track"
        role="meter"
        aria-labelledby={id}
        aria-valuemin={0}
        aria-valuemax={use.limit}
        aria-valuenow={Math.min(use.used, use.limit)}
        aria-valuetext={usageWords(resource, use.used, use.limit)}
      >
        <div className="usage-fill" style={{ width: `${fill}%` }} />
        <span className="usage-mark" style={{ left: mark(80) }} title="80 %" aria-hidden="true" />
        <span className="usage-mark limit" style={{ left: mark(100) }} title="The limit" aria-hidden="true" />
      </div>
      <div className="usage-scale" aria-hidden="true">
        <span style={{ left: mark(80) }}>80%</span>
        <span style={{ left: mark(100) }}>100%</span>
      </div>
    </div>
  );
}
