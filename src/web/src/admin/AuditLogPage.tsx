import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { AuditEntry, AuditFilters, UserView } from '../api/types';
import { Field } from '../components/Field';
import { UpgradePrompt } from '../components/PlanNotice';
import { notices } from '../lib/notices';
import { useCursorList } from '../lib/useCursorList';
import { useSession, useTenantFeature } from '../tenant/TenantProvider';
import { ScrollTable } from './ScrollTable';
import { auditCsv } from './auditCsv';

/**
 * The audit log (plans with `auditLog`): who did what to what, old and new values, address and
 * time, newest first; filters by action, actor and date; more pages by cursor; the filtered log
 * exported as CSV (every page of it, fetched for the export).
 */
const PAGE = 50;
const EXPORT_MAX = 5_000;

/** A `<input type="date">` day as the start or the end of that day in the viewer's time zone. */
function dayBound(day: string, end: boolean): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function AuditLogPage() {
  const role = useSession()?.user.role;
  const allowed = useTenantFeature('auditLog');
  const [draft, setDraft] = useState({ action: '', actorId: '', from: '', to: '' });
  const [filters, setFilters] = useState<AuditFilters>({});
  const list = useCursorList<AuditEntry>();
  const { items: entries, next, busy } = list;
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'action' | 'actorId' | 'from' | 'to', string>>>({});
  const [exporting, setExporting] = useState(false);
  const people = usePeople(allowed);

  const { load: loadPage } = list;
  const load = useCallback(
    async (f: AuditFilters, cursor: string | null) => {
      try {
        const page = await loadPage(cursor, (signal) => api.auditLog(f, cursor, PAGE, signal), (p) => p.entries);
        if (!page) return;
        setError(null);
        setFieldErrors({});
      } catch (err) {
        if (err instanceof ApiError && err.code === 'validation_failed') {
          const { fields, other } = err.fieldErrorsFor(['action', 'actorId', 'from', 'to'] as const);
          setFieldErrors(fields);
          setError(other);
        } else setError(describeError(err));
      }
    },
    [loadPage],
  );

  useEffect(() => {
    if (allowed) void load(filters, null);
  }, [allowed, filters, load]);

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({
      ...(draft.action.trim() ? { action: draft.action.trim() } : {}),
      ...(draft.actorId.trim() ? { actorId: draft.actorId.trim() } : {}),
      ...(dayBound(draft.from, false) ? { from: dayBound(draft.from, false) } : {}),
      ...(dayBound(draft.to, true) ? { to: dayBound(draft.to, true) } : {}),
    });
  }

  async function exportCsv() {
    setExporting(true);
    try {
      const all: AuditEntry[] = [];
      let cursor: string | null = null;
      do {
        const page: { entries: AuditEntry[]; nextCursor: string | null } = await api.auditLog(filters, cursor, 100);
        all.push(...page.entries);
        cursor = page.nextCursor;
      } while (cursor && all.length < EXPORT_MAX);
      const url = URL.createObjectURL(new Blob([auditCsv(all)], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit-log-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setExporting(false);
    }
  }

  if (!allowed) {
    return (
      <section aria-labelledby="audit-title">
        <h1 id="audit-title">Audit log</h1>
        <UpgradePrompt feature="The audit log" role={role} />
      </section>
    );
  }

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="audit-filters" onSubmit={apply} noValidate aria-label="Filter the audit log">
        <Field label="Action" hint="e.g. user.role_changed" error={fieldErrors.action}>
          {(p) => <input {...p} type="text" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />}
        </Field>
        <Field label="Actor" error={fieldErrors.actorId}>
          {(p) => (
            <select {...p} value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}>
              <option value="">Anyone</option>
              {[...people.values()].map((u) => (
                <option key={u.id} value={u.id}>
                  {u.displayName} ({u.email})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="From" error={fieldErrors.from}>
          {(p) => <input {...p} type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />}
        </Field>
        <Field label="To" error={fieldErrors.to}>
          {(p) => <input {...p} type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy || exporting}>
          Filter
        </button>
        <button type="button" className="btn" onClick={() => void exportCsv()} disabled={busy || exporting || !entries?.length}>
          Export CSV
        </button>
      </form>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {entries === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {entries && entries.length === 0 ? <p>Nothing in the audit log matches.</p> : null}
      {entries && entries.length ? (
        <ScrollTable label="Audit log entries">
          <table className="admin-table audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Change</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>
                    <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleString()}</time>
                  </td>
                  <td>
                    <Actor actor={e.actor} people={people} />
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.resource.type ? `${e.resource.type}${e.resource.id ? ` ${e.resource.id}` : ''}` : '—'}</td>
                  <td>
                    <Change oldValues={e.oldValues} newValues={e.newValues} />
                  </td>
                  <td>{e.ipAddress ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : null}
      {next ? (
        <button type="button" className="btn" onClick={() => void load(filters, next)} disabled={busy}>
          {busy ? 'Loading…' : 'Load older entries'}
        </button>
      ) : null}
    </section>
  );
}

/** Old → new, per field. */
function Change({ oldValues, newValues }: { oldValues: Record<string, unknown> | null; newValues: Record<string, unknown> | null }) {
  const keys = [...new Set([...Object.keys(oldValues ?? {}), ...Object.keys(newValues ?? {})])];
  if (!keys.length) return <>—</>;
  const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <dl className="audit-change">
      {keys.map((k) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {oldValues && k in oldValues ? <del>{show(oldValues[k])}</del> : null}
            {oldValues && k in oldValues && newValues && k in newValues ? ' → ' : null}
            {newValues && k in newValues ? <ins>{show(newValues[k])}</ins> : null}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Enough pages of people for any workspace a plan allows names for; past it, actors show as ids. */
const PEOPLE_PAGES = 50;

/**
 * The workspace's people by id, every page of them, to name actors (an id alone tells an owner
 * nothing). Names arrive page by page; if a page fails, the log still reads, with ids, and says so.
 */
function usePeople(enabled: boolean): Map<string, UserView> {
  const [people, setPeople] = useState<Map<string, UserView>>(new Map());
  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    void (async () => {
      const all = new Map<string, UserView>();
      let cursor: string | null = null;
      try {
        for (let page = 0; page < PEOPLE_PAGES; page++) {
          const r: { users: UserView[]; nextCursor: string | null } = await api.members('all', cursor);
          if (stopped) return;
          for (const u of r.users) all.set(u.id, u);
          setPeople(new Map(all));
          cursor = r.nextCursor;
          if (!cursor) return;
        }
      } catch (err) {
        if (!stopped) notices.toast(`People's names could not be loaded (${describeError(err)}); actors are shown by id.`);
      }
    })();
    return () => {
      stopped = true;
    };
  }, [enabled]);
  return people;
}

function Actor({ actor, people }: { actor: AuditEntry['actor']; people: Map<string, UserView> }) {
  if (actor.type !== 'user') return <>{actor.type.replace('_', ' ')}</>;
  const person = actor.id ? people.get(actor.id) : undefined;
  if (!person) return <code>{actor.id}</code>;
  return (
    <span title={actor.id ?? undefined}>
      {person.displayName}
      <br />
      <span className="muted">{person.email}</span>
    </span>
  );
}
