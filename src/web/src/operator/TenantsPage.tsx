import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'wouter';
import { ApiError } from '../api/errors';
import type { PlanId, TenantStatus } from '../api/types';
import { ScrollTable } from '../admin/ScrollTable';
import { Field } from '../components/Field';
import { formatDate } from '../lib/format';
import { useCursorList } from '../lib/useCursorList';
import { PLAN_NAMES, planName } from '../lib/plans';
import { operatorApi, type OperatorTenant, type TenantFilters } from './api';
import { useOperatorError } from './session';
import { TenantStatusPill } from './TenantStatusPill';

const STATUSES: TenantStatus[] = ['trial', 'active', 'suspended', 'cancelled', 'pending'];
const PLANS = Object.keys(PLAN_NAMES) as PlanId[];

/** The filters as the address holds them (`?q=&status=&plan=`), so a search survives opening a tenant and coming back. */
function filtersFrom(params: URLSearchParams): TenantFilters {
  const status = params.get('status');
  const plan = params.get('plan');
  return {
    ...(params.get('q') ? { search: params.get('q')! } : {}),
    ...(status && (STATUSES as string[]).includes(status) ? { status: status as TenantStatus } : {}),
    ...(plan && (PLANS as string[]).includes(plan) ? { plan: plan as PlanId } : {}),
  };
}

/** Every tenant, newest first: search by slug, name, owner e-mail or custom domain; filter by status and plan; more by cursor. */
export function TenantsPage() {
  const describe = useOperatorError();
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  const [draft, setDraft] = useState(() => ({ q: params.get('q') ?? '', status: params.get('status') ?? '', plan: params.get('plan') ?? '' }));
  const list = useCursorList<OperatorTenant>();
  const { items: tenants, next, busy } = list;
  const [error, setError] = useState<string | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);

  async function load(filters: TenantFilters, cursor: string | null) {
    try {
      if (!(await list.load(cursor, (signal) => operatorApi.tenants(filters, cursor, { signal }), (page) => page.tenants))) return;
      setError(null);
      setSearchError(null);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['search', 'status', 'plan'] as const);
        setSearchError(fields.search ?? null);
        setError(other ?? fields.status ?? fields.plan ?? null);
      } else setError(describe(err));
    }
  }

  // The address decides what is listed (`load` reads only its arguments); the form follows it
  // too, when the address changes by going back or forward.
  useEffect(() => {
    const from = new URLSearchParams(key);
    setDraft({ q: from.get('q') ?? '', status: from.get('status') ?? '', plan: from.get('plan') ?? '' });
    void load(filtersFrom(from), null);
  }, [key]);

  function apply(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.q.trim()) next.set('q', draft.q.trim());
    if (draft.status) next.set('status', draft.status);
    if (draft.plan) next.set('plan', draft.plan);
    setParams(next);
  }

  const filters = filtersFrom(params);
  const filtered = Boolean(filters.search || filters.status || filters.plan);

  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <form className="operator-filters" onSubmit={apply} role="search" aria-label="Find tenants" noValidate>
        <Field label="Search" hint="Slug, name, owner e-mail or custom domain" error={searchError}>
          {(p) => <input {...p} type="search" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} spellCheck={false} autoCapitalize="off" />}
        </Field>
        <Field label="Status">
          {(p) => (
            <select {...p} value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Plan">
          {(p) => (
            <select {...p} value={draft.plan} onChange={(e) => setDraft({ ...draft, plan: e.target.value })}>
              <option value="">Any plan</option>
              {PLANS.map((id) => (
                <option key={id} value={id}>
                  {planName(id)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <p className="visually-hidden" aria-live="polite">
        {busy ? 'Loading tenants…' : tenants ? `${tenants.length}${next ? '+' : ''} tenants shown.` : ''}
      </p>
      {tenants === null && !error ? <p>Loading tenants…</p> : null}
      {tenants && tenants.length === 0 ? <p>{filtered ? 'No tenant matches.' : 'No tenants yet.'}</p> : null}
      {tenants && tenants.length ? (
        <ScrollTable label="Tenant list">
          <table className="admin-table operator-table">
            <thead>
              <tr>
                <th scope="col">Workspace</th>
                <th scope="col">Status</th>
                <th scope="col">Plan</th>
                <th scope="col">Owner</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {tenants.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link href={`/tenants/${t.id}`}>{t.name}</Link>
                    <div className="muted">
                      <code>{t.slug}</code>
                    </div>
                  </td>
                  <td>
                    <TenantStatusPill status={t.status} />
                  </td>
                  <td>
                    {planName(t.billingPlan)}
                    {t.trial ? <span className="muted"> (trial)</span> : null}
                  </td>
                  <td className="operator-owner">{t.ownerEmail}</td>
                  <td>
                    <time dateTime={t.createdAt}>{formatDate(t.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : null}
      {next ? (
        <button type="button" className="btn operator-more" onClick={() => void load(filters, next)} disabled={busy}>
          {busy ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
