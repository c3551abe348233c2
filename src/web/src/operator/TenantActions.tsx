import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/errors';
import { Field } from '../components/Field';
import { formatDate } from '../lib/format';
import { notices } from '../lib/notices';
import { operatorApi, type OperatorTenant } from './api';
import { useOperatorError } from './session';

type Action = 'suspend' | 'unsuspend' | 'delete' | 'restore' | 'purge';

/**
 * What an operator can do to a tenant, each behind a confirmation that says what will happen:
 * suspend (with a reason, which the audit log keeps), lift the suspension, delete (closed at
 * once, purged for good after the grace period unless restored), restore, and purge now (only
 * after typing the slug). Which ones are offered follows the tenant's status; the API refuses
 * the rest anyway (409), and its answer is shown.
 */
export function TenantActions({ tenant, onChange, onPurged }: { tenant: OperatorTenant; onChange: (t: OperatorTenant) => void; onPurged: () => void }) {
  const describe = useOperatorError();
  const [open, setOpen] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [slugTyped, setSlugTyped] = useState('');
  const t = tenant;
  const cancelled = t.status === 'cancelled';

  function start(action: Action) {
    setOpen(action);
    setError(null);
    setReasonError(null);
    setReason('');
    setSlugTyped('');
  }

  async function run(action: Action, work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
      setOpen(null);
    } catch (err) {
      if (action === 'suspend' && err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['reason'] as const);
        setReasonError(fields.reason ?? null);
        setError(other);
      } else setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  const suspend = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return setReasonError('Say why: the audit log keeps the reason, and whoever lifts the suspension reads it.');
    void run('suspend', async () => {
      onChange((await operatorApi.suspend(t.id, reason.trim())).tenant);
      notices.toast(`${t.name} is suspended.`, 'info');
    });
  };
  const unsuspend = () =>
    run('unsuspend', async () => {
      onChange((await operatorApi.unsuspend(t.id)).tenant);
      notices.toast(`${t.name} is no longer suspended.`, 'info');
    });
  const scheduleDeletion = () =>
    run('delete', async () => {
      const r = await operatorApi.scheduleDeletion(t.id);
      onChange(r.tenant);
      notices.toast(r.deletionScheduledAt ? `${t.name} is deleted; it will be purged on ${formatDate(r.deletionScheduledAt)}.` : `${t.name} is deleted.`, 'info');
    });
  const restore = () =>
    run('restore', async () => {
      onChange((await operatorApi.restore(t.id)).tenant);
      notices.toast(`${t.name} is restored.`, 'info');
    });
  const purge = (e: FormEvent) => {
    e.preventDefault();
    if (slugTyped.trim() !== t.slug) return;
    void run('purge', async () => {
      await operatorApi.purge(t.id);
      onPurged();
    });
  };

  const close = () => setOpen(null);

  return (
    <div className="operator-actions">
      {cancelled && t.deletionScheduledAt ? (
        <p>
          Deleted: it is purged for good on <strong>{formatDate(t.deletionScheduledAt)}</strong> unless it is restored before.
        </p>
      ) : null}
      <div className="domain-actions">
        {!cancelled && t.status !== 'suspended' ? (
          <button type="button" className="btn" onClick={() => start('suspend')} aria-expanded={open === 'suspend'}>
            Suspend…
          </button>
        ) : null}
        {t.status === 'suspended' ? (
          <button type="button" className="btn" onClick={() => start('unsuspend')} aria-expanded={open === 'unsuspend'}>
            Lift suspension…
          </button>
        ) : null}
        {cancelled && t.deletionScheduledAt ? (
          <button type="button" className="btn" onClick={() => start('restore')} aria-expanded={open === 'restore'}>
            Restore…
          </button>
        ) : null}
        {!cancelled ? (
          <button type="button" className="btn" onClick={() => start('delete')} aria-expanded={open === 'delete'}>
            Delete…
          </button>
        ) : null}
        <button type="button" className="btn btn-ghost operator-danger-text" onClick={() => start('purge')} aria-expanded={open === 'purge'}>
          Purge now…
        </button>
      </div>

      {open === 'suspend' ? (
        <Confirm title={`Suspend ${t.name}`} error={error}>
          <form onSubmit={suspend} noValidate>
            <p>Its members are refused at once (open chats close) and see a page saying the workspace is suspended. Nothing is deleted.</p>
            <Field label="Reason" hint="Kept in the audit log." error={reasonError}>
              {(p) => <textarea {...p} className="textarea" rows={2} maxLength={500} value={reason} onChange={(e) => {
                    setReason(e.target.value);
                    setReasonError(null);
                  }} autoFocus />}
            </Field>
            <ConfirmButtons label="Suspend workspace" busyLabel="Suspending…" tone="danger" submit busy={busy} onCancel={close} />
          </form>
        </Confirm>
      ) : null}

      {open === 'unsuspend' ? (
        <Confirm title={`Lift the suspension of ${t.name}`} error={error}>
          <p>
            Its members can use it again at once.
            {t.suspendedReason ? (
              <>
                {' '}
                It was suspended for: <q>{t.suspendedReason}</q>.
              </>
            ) : null}
          </p>
          <ConfirmButtons label="Lift suspension" busyLabel="Lifting…" tone="primary" onConfirm={unsuspend} busy={busy} onCancel={close} />
        </Confirm>
      ) : null}

      {open === 'delete' ? (
        <Confirm title={`Delete ${t.name}`} error={error}>
          <p>
            It closes at once, and its members see that it was closed. Its data is kept for the grace period and then purged for good, unless it is restored before;
            its subscription ends at the end of the paid period.
          </p>
          <ConfirmButtons label="Delete workspace" busyLabel="Deleting…" tone="danger" onConfirm={scheduleDeletion} busy={busy} onCancel={close} />
        </Confirm>
      ) : null}

      {open === 'restore' ? (
        <Confirm title={`Restore ${t.name}`} error={error}>
          <p>It opens again as it was before it was deleted, and will not be purged.</p>
          <ConfirmButtons label="Restore workspace" busyLabel="Restoring…" tone="primary" onConfirm={restore} busy={busy} onCancel={close} />
        </Confirm>
      ) : null}

      {open === 'purge' ? (
        <Confirm title={`Purge ${t.name} now`} error={error}>
          <form onSubmit={purge} noValidate>
            <p>
              This deletes the workspace with all its messages, files, members and custom domains <strong>now, for good</strong>; it cannot be restored. Its
              subscription ends at once.
            </p>
            <Field label={`Type the slug, ${t.slug}, to confirm`}>
              {(p) => <input {...p} className="input" type="text" autoComplete="off" spellCheck={false} autoCapitalize="off" value={slugTyped} onChange={(e) => setSlugTyped(e.target.value)} autoFocus />}
            </Field>
            <ConfirmButtons label="Purge for good" busyLabel="Purging…" tone="danger" submit busy={busy} disabled={slugTyped.trim() !== t.slug} onCancel={close} />
          </form>
        </Confirm>
      ) : null}
    </div>
  );
}

function Confirm({ title, error, children }: { title: string; error: string | null; children: ReactNode }) {
  return (
    <div className="operator-confirm" role="group" aria-label={title}>
      <h3>{title}</h3>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {children}
    </div>
  );
}

/** A confirmation's buttons: the action (a form's submit, or a click) and Cancel. */
function ConfirmButtons(props: { label: string; busyLabel: string; tone: 'primary' | 'danger'; busy: boolean; disabled?: boolean; onCancel: () => void } & ({ submit: true; onConfirm?: never } | { submit?: false; onConfirm: () => Promise<void> })) {
  const { label, busyLabel, tone, busy, disabled, onCancel } = props;
  return (
    <div className="domain-actions">
      <button
        type={props.submit ? 'submit' : 'button'}
        className={`btn btn-${tone}`}
        onClick={props.submit ? undefined : () => void props.onConfirm()}
        disabled={busy || disabled}
      >
        {busy ? busyLabel : label}
      </button>
      <button type="button" className="btn" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}
