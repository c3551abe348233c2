import type { TenantStatus } from '../api/types';

const LABELS: Record<TenantStatus, string> = {
  pending: 'Pending',
  trial: 'Trial',
  active: 'Active',
  suspended: 'Suspended',
  cancelled: 'Cancelled',
};

/** A tenant's status as a coloured label (the word carries it; the colour only repeats it). */
export function TenantStatusPill({ status }: { status: TenantStatus }) {
  return <span className={`status-pill tenant-status-${status}`}>{LABELS[status]}</span>;
}
