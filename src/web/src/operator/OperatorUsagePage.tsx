import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { ScrollTable } from '../admin/ScrollTable';
import { formatBytes, formatCount, formatDate, formatMonth } from '../lib/format';
import { planName } from '../lib/plans';
import { useCursorList } from '../lib/useCursorList';
import { operatorApi, type SortOrder, type TenantUsageRow, type UsageSortKey } from './api';
import { useOperatorError } from './session';
import { TenantStatusPill } from './TenantStatusPill';

/** The sortable columns, in table order; `first`: the order a click on a new column starts with. */
const COLUMNS: { key: UsageSortKey; label: string; first: SortOrder; value: (r: TenantUsageRow) => string }[] = [
  { key: 'usersTotal', label: 'People', first: 'desc', value: (r) => formatCount(r.usage.usersTotal) },
  { key: 'usersActive', label: 'Active people', first: 'desc', value: (r) => formatCount(r.usage.usersActive) },
  { key: 'channels', label: 'Channels', first: 'desc', value: (r) => formatCount(r.usage.channels) },
  { key: 'messages', label: 'Messages', first: 'desc', value: (r) => formatCount(r.usage.messages) },
  { key: 'files', label: 'Files', first: 'desc', value: (r) => formatCount(r.usage.files) },
  { key: 'storageBytes', label: 'Storage', first: 'desc', value: (r) => formatBytes(r.usage.storageBytes) },
  { key: 'apiCalls', label: 'API calls', first: 'desc', value: (r) => formatCount(r.usage.apiCalls) },
];
const SORT_KEYS: UsageSortKey[] = ['slug', 'createdAt', ...COLUMNS.map((c) => c.key)];

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

/**
 * This month's usage of every tenant, sorted by any column (a click on its header; again for the
 * other order), for billing and abuse checks. The sort is in the address (`?sort=&order=`).
 */
export function OperatorUsagePage() {
  const describe = useOperatorError();
  const [params, setParams] = useSearchParams();
  const askedSort = params.get('sort') as UsageSortKey | null;
  const sort: UsageSortKey = askedSort && SORT_KEYS.includes(askedSort) ? askedSort : 'apiCalls';
  const order: SortOrder = params.get('order') === 'asc' ? 'asc' : 'desc';
  const list = useCursorList<TenantUsageRow>();
  const { items: rows, next, busy } = list;
  const [period, setPeriod] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load(cursor: string | null) {
    try {
      const page = await list.load(cursor, (signal) => operatorApi.usage(sort, order, cursor, { signal }), (p) => p.tenants);
      if (!page) return;
      setPeriod(page.period);
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  }

  // The sort in the address decides what is shown (`load` reads it from this render).
  useEffect(() => {
    void load(null);
  }, [sort, order]);

  function sortBy(key: UsageSortKey, first: SortOrder) {
    const nextOrder = key === sort ? (order === 'asc' ? 'desc' : 'asc') : first;
    setParams({ sort: key, order: nextOrder });
  }

  return (
    <section aria-labelledby="usage-page-title">
      <h1 id="usage-page-title">Usage{period ? ` in ${formatMonth(period)}` : ''}</h1>
      <p className="muted">Every live tenant's month so far, as the tenants' gates last recorded it (within about a minute). Click a column's header to sort by it.</p>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <p className="visually-hidden" aria-live="polite">
        {busy ? 'Loading usage…' : rows ? `Sorted by ${[{ key: 'slug', label: 'workspace' }, { key: 'createdAt', label: 'created' }, ...COLUMNS].find((c) => c.key === sort)?.label}, ${ARIA_SORT[order]}.` : ''}
      </p>
      {rows === null && !error ? <p>Loading usage…</p> : null}
      {rows && rows.length === 0 ? <p>No tenants yet.</p> : null}
      {rows && rows.length ? (
        <ScrollTable label="Usage by tenant">
          <table className="admin-table operator-table operator-usage-table">
            <thead>
              <tr>
                <SortHeader k="slug" label="Workspace" first="asc" sort={sort} order={order} onSort={sortBy} />
                <th scope="col">Plan</th>
                {COLUMNS.map((c) => (
                  <SortHeader key={c.key} k={c.key} label={c.label} first={c.first} sort={sort} order={order} onSort={sortBy} />
                ))}
                <SortHeader k="createdAt" label="Created" first="desc" sort={sort} order={order} onSort={sortBy} />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.tenant.id} className={r.exceeded.length ? 'operator-over' : undefined}>
                  <td>
                    <Link href={`/tenants/${r.tenant.id}`}>{r.tenant.slug}</Link>
                    <div>
                      <TenantStatusPill status={r.tenant.status} />
                    </div>
                  </td>
                  <td>
                    {planName(r.tenant.plan)}
                    {r.exceeded.length ? <div className="operator-danger-text">Over: {r.exceeded.map((e) => e.resource).join(', ')}</div> : null}
                  </td>
                  {COLUMNS.map((c) => (
                    <td key={c.key} className="numeric">
                      {c.value(r)}
                    </td>
                  ))}
                  <td>
                    <time dateTime={r.tenant.createdAt}>{formatDate(r.tenant.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : null}
      {next ? (
        <button type="button" className="btn operator-more" onClick={() => void load(next)} disabled={busy}>
          {busy ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}

/** A column header that sorts by its column: aria-sort says how the table is sorted now. */
function SortHeader({ k, label, first, sort, order, onSort }: { k: UsageSortKey; label: string; first: SortOrder; sort: UsageSortKey; order: SortOrder; onSort: (k: UsageSortKey, first: SortOrder) => void }) {
  const active = sort === k;
  return (
    <th scope="col" aria-sort={active ? ARIA_SORT[order] : 'none'}>
      <button type="button" className="operator-sort" onClick={() => onSort(k, first)}>
        {label}
        <span aria-hidden="true" className="operator-sort-mark">
          {active ? (order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}
