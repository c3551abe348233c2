import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { DomainList, DomainView } from '../api/types';
import { Field } from '../components/Field';
import { PlanLimitNotice, UpgradePrompt } from '../components/PlanNotice';
import { notices } from '../lib/notices';
import { useSession, useTenantFeature } from '../tenant/TenantProvider';
import { ScrollTable } from './ScrollTable';
import { CopyButton } from './CopyButton';

/**
 * While a domain is pending the page asks the server to check it this often (each check asks
 * Cloudflare), for the first LIVE_FOR_MS after the page opened or the domain was added; after
 * that the scheduled checks and the "Check now" button are enough.
 */
const LIVE_REFRESH_MS = 30_000;
const LIVE_FOR_MS = 10 * 60_000;

/**
 * Custom domains: add one, the DNS records to create (with copy buttons), its status as
 * Cloudflare verifies it (refreshed live while pending), remove. The plan's feature and count
 * come from the API's answers (403 feature_not_in_plan, 402 plan_limit).
 */
export function DomainsPage() {
  const role = useSession()?.user.role;
  const allowed = useTenantFeature('customDomains');
  const [list, setList] = useState<DomainList | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      setList(await api.domains(signal));
      setLoadError(null);
    } catch (err) {
      if (!signal?.aborted) setLoadError(describeError(err));
    }
  }, []);

  useEffect(() => {
    const ctrl = new AbortController();
    void load(ctrl.signal);
    return () => ctrl.abort();
  }, [load]);

  const replace = (domain: DomainView) => setList((l) => (l ? { ...l, domains: l.domains.map((d) => (d.id === domain.id ? domain : d)) } : l));
  const pending = list?.domains.filter((d) => d.status === 'pending') ?? [];
  useLivePending(pending, replace);

  return (
    <section aria-labelledby="domains-title">
      <h1 id="domains-title">Custom domains</h1>
      <p className="muted">
        Serve this workspace on your own hostname, such as <code>chat.your-company.com</code>, as well as on its own address.
      </p>
      {!allowed ? <UpgradePrompt feature="Custom domains" role={role} /> : <AddDomainForm list={list} onAdded={(d) => setList((l) => (l ? { ...l, domains: [...l.domains, d] } : l))} />}
      {loadError ? (
        <div className="form-error" role="alert">
          {loadError}{' '}
          <button type="button" className="btn btn-sm" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : null}
      {list === null && !loadError ? <p aria-live="polite">Loading domains…</p> : null}
      {list && list.domains.length === 0 ? <p>No custom domains yet.</p> : null}
      <ul className="domain-list">
        {list?.domains.map((d) => (
          <li key={d.id}>
            <DomainCard domain={d} canVerify={allowed} onChange={replace} onRemoved={() => setList((l) => (l ? { ...l, domains: l.domains.filter((x) => x.id !== d.id) } : l))} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Asks the server about pending domains every LIVE_REFRESH_MS while the page is visible, for LIVE_FOR_MS. */
function useLivePending(pending: DomainView[], onUpdate: (d: DomainView) => void) {
  const ids = pending.map((d) => d.id).join(',');
  const update = useRef(onUpdate);
  update.current = onUpdate;
  useEffect(() => {
    if (!ids) return;
    const until = Date.now() + LIVE_FOR_MS;
    const timer = setInterval(() => {
      if (Date.now() > until) return clearInterval(timer);
      if (document.visibilityState !== 'visible') return;
      for (const id of ids.split(',')) {
        api.refreshDomain(id).then((r) => update.current(r.domain), () => undefined);
      }
    }, LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [ids]);
}

function AddDomainForm({ list, onAdded }: { list: DomainList | null; onAdded: (d: DomainView) => void }) {
  const role = useSession()?.user.role;
  const [hostname, setHostname] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | string | null>(null);
  const full = list !== null && list.limit !== null && list.domains.length >= list.limit;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFieldError(null);
    setError(null);
    try {
      const { domain } = await api.addDomain(hostname.trim());
      onAdded(domain);
      setHostname('');
      notices.toast(`${domain.hostname} added. Create the DNS records below.`, 'info');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['hostname'] as const);
        setFieldError(fields.hostname ?? null);
        setError(other);
      } else if (err instanceof ApiError && (err.code === 'domain_taken' || err.code === 'conflict')) {
        setFieldError(err.message);
      } else if (err instanceof ApiError && err.code === 'plan_limit') {
        setError(err);
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="domain-add" onSubmit={submit} noValidate>
      <Field label="Hostname" hint={list ? `Point it at ${list.target} with a CNAME record.${list.limit !== null ? ` Your plan allows ${list.limit}.` : ''}` : undefined} error={fieldError}>
        {(p) => (
          <input {...p} type="text" inputMode="url" autoComplete="off" spellCheck={false} placeholder="chat.your-company.com" value={hostname} onChange={(e) => setHostname(e.target.value)} required />
        )}
      </Field>
      {error instanceof ApiError ? <PlanLimitNotice error={error} role={role} /> : error ? <div className="form-error" role="alert">{error}</div> : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !hostname.trim() || full}>
        {busy ? 'Adding…' : 'Add domain'}
      </button>
      {full ? <p className="hint">This workspace has all the custom domains its plan allows.</p> : null}
    </form>
  );
}

const STATUS_TEXT: Record<DomainView['status'], string> = {
  pending: 'Verifying',
  active: 'Active',
  failed: 'Failed',
};

function DomainCard({ domain, canVerify, onChange, onRemoved }: { domain: DomainView; canVerify: boolean; onChange: (d: DomainView) => void; onRemoved: () => void }) {
  const [busy, setBusy] = useState<'refresh' | 'remove' | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function refresh() {
    setBusy('refresh');
    try {
      onChange((await api.refreshDomain(domain.id)).domain);
    } catch (err) {
      notices.toast(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    setBusy('remove');
    try {
      await api.removeDomain(domain.id);
      notices.toast(`${domain.hostname} removed.`, 'info');
      onRemoved();
    } catch (err) {
      notices.toast(describeError(err));
      setBusy(null);
    }
  }

  return (
    <article className="domain-card" aria-labelledby={`domain-${domain.id}`}>
      <header>
        <h2 id={`domain-${domain.id}`}>{domain.hostname}</h2>
        <span className={`status-pill status-${domain.status}`} role="status">
          {STATUS_TEXT[domain.status]}
        </span>
      </header>
      {domain.status === 'active' ? (
        <p>
          Serving this workspace at <a href={`https://${domain.hostname}/`}>https://{domain.hostname}</a>.
        </p>
      ) : null}
      {domain.failureReason ? <p className="form-error">{domain.failureReason}</p> : null}
      {domain.status !== 'active' ? (
        <>
          <p>Create these records at your DNS provider. Cloudflare checks them and issues the certificate; this page updates by itself.</p>
          <DnsRecords domain={domain} />
          {domain.verificationErrors.length ? (
            <ul className="hint" aria-label="What Cloudflare reports">
              {domain.verificationErrors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      <p className="hint">
        {domain.checkedAt ? `Last checked ${new Date(domain.checkedAt).toLocaleString()}.` : null}
        {domain.sslStatus ? ` Certificate: ${domain.sslStatus.replace(/_/g, ' ')}.` : null}
      </p>
      <div className="domain-actions">
        {canVerify ? (
          <button type="button" className="btn btn-sm" onClick={() => void refresh()} disabled={busy !== null}>
            {busy === 'refresh' ? 'Checking…' : 'Check now'}
          </button>
        ) : null}
        {confirming ? (
          <>
            <span>Remove {domain.hostname}? It stops serving at once.</span>
            <button type="button" className="btn btn-danger btn-sm" onClick={() => void remove()} disabled={busy !== null}>
              {busy === 'remove' ? 'Removing…' : 'Remove'}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setConfirming(false)} disabled={busy !== null}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setConfirming(true)}>
            Remove…
          </button>
        )}
      </div>
    </article>
  );
}

const PURPOSE: Record<DomainView['dnsRecords'][number]['purpose'], string> = {
  routing: 'Sends the hostname to this workspace',
  ownership: 'Proves you own the hostname',
  certificate: 'Lets the certificate be issued',
};

function DnsRecords({ domain }: { domain: DomainView }) {
  return (
    <ScrollTable label={`DNS records for ${domain.hostname}`}>
      <table className="dns-records">
        <caption className="visually-hidden">DNS records for {domain.hostname}</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
            <th scope="col">What for</th>
          </tr>
        </thead>
        <tbody>
          {domain.dnsRecords.map((r) => (
            <tr key={`${r.type}-${r.name}-${r.value}`}>
              <td>{r.type}</td>
              <td>
                <code>{r.name}</code> <CopyButton text={r.name} label={`Copy the ${r.type} record's name`} />
              </td>
              <td>
                <code>{r.value}</code> <CopyButton text={r.value} label={`Copy the ${r.type} record's value`} />
              </td>
              <td>{PURPOSE[r.purpose]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
