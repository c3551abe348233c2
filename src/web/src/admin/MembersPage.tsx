import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { InvitationView, LimitUse, Role, UserView } from '../api/types';
import { Field } from '../components/Field';
import { PlanLimitNotice } from '../components/PlanNotice';
import { notices } from '../lib/notices';
import { useSession } from '../tenant/TenantProvider';
import { ScrollTable } from './ScrollTable';
import { CopyButton } from './CopyButton';

/**
 * Members: everyone with their role and status, invitations (invite by e-mail, the link shown to
 * copy, resend, revoke), role changes, deactivation and reactivation; the seats used against
 * the plan's user limit, read again after every change.
 */
const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'guest'];
const INVITABLE: readonly Role[] = ['admin', 'member', 'guest'];
const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member', guest: 'Guest' };

interface Roster {
  users: UserView[];
  invitations: InvitationView[];
  seats: LimitUse | null;
}

async function loadRoster(): Promise<Roster> {
  const [users, invitations, tenant] = await Promise.all([api.members('all'), api.invitations(), api.tenantUsage()]);
  const seats = tenant.tenant?.usage?.users ?? null;
  return { users: users.users, invitations: invitations.invitations, seats };
}

export function MembersPage() {
  const me = useSession()?.user;
  const [roster, setRoster] = useState<Roster | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [planError, setPlanError] = useState<ApiError | null>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);

  const reload = useCallback(async () => {
    try {
      setRoster(await loadRoster());
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  }, []);
  useEffect(() => void reload(), [reload]);

  /** Runs a change; a plan limit is explained in place, anything else is a toast; then reloads. */
  async function act(work: () => Promise<unknown>, done?: string) {
    setPlanError(null);
    try {
      await work();
      if (done) notices.toast(done, 'info');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'plan_limit') setPlanError(err);
      else notices.toast(describeError(err));
    }
    await reload();
  }

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      {roster?.seats ? <SeatMeter seats={roster.seats} /> : null}
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      {planError ? <PlanLimitNotice error={planError} role={me?.role} /> : null}
      <InviteForm
        onInvited={(email, url) => {
          setLink({ email, url });
          void reload();
        }}
        onPlanLimit={setPlanError}
      />
      {link ? (
        <div className="form-note" role="status">
          <p style={{ margin: 0 }}>
            Invitation for <strong>{link.email}</strong>. If no e-mail arrives, send them this link:
          </p>
          <p style={{ margin: '6px 0 0' }}>
            <code className="invite-link">{link.url}</code> <CopyButton text={link.url} label="Copy the invitation link" />
          </p>
        </div>
      ) : null}

      <h2>People</h2>
      {roster === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {roster ? (
        <ScrollTable label="People">
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {roster.users.map((u) => (
                <tr key={u.id}>
                  <td>{u.displayName}</td>
                  <td>{u.email}</td>
                  <td>
                    {u.id === me?.id || (u.role === 'owner' && me?.role !== 'owner') ? (
                      ROLE_NAMES[u.role]
                    ) : (
                      <select aria-label={`Role of ${u.displayName}`} value={u.role} onChange={(e) => void act(() => api.setRole(u.id, e.target.value as Role), `${u.displayName} is now ${ROLE_NAMES[e.target.value as Role].toLowerCase()}.`)}>
                        {ROLES.filter((r) => r !== 'owner' || me?.role === 'owner').map((r) => (
                          <option key={r} value={r}>
                            {ROLE_NAMES[r]}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>{u.status === 'active' ? 'Active' : 'Deactivated'}</td>
                  <td>
                    {u.id === me?.id ? (
                      <span className="muted">You</span>
                    ) : u.status === 'active' ? (
                      <button type="button" className="btn btn-sm" onClick={() => void act(() => api.deactivate(u.id), `${u.displayName} was deactivated.`)}>
                        Deactivate
                      </button>
                    ) : (
                      <button type="button" className="btn btn-sm" onClick={() => void act(() => api.reactivate(u.id), `${u.displayName} was reactivated.`)}>
                        Reactivate
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : null}

      <h2>Open invitations</h2>
      {roster && roster.invitations.length === 0 ? <p>No open invitations.</p> : null}
      {roster && roster.invitations.length ? (
        <ul className="invitation-list">
          {roster.invitations.map((i) => (
            <li key={i.id}>
              <span>
                <strong>{i.email}</strong> as {ROLE_NAMES[i.role].toLowerCase()}, expires {new Date(i.expiresAt).toLocaleDateString()}
              </span>
              <button
                type="button"
                className="btn btn-sm"
                onClick={() =>
                  void act(async () => {
                    const r = await api.resendInvitation(i.id);
                    setLink({ email: r.invitation.email, url: r.acceptUrl });
                  }, `Invitation to ${i.email} sent again.`)
                }
              >
                Resend
              </button>
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => void act(() => api.revokeInvitation(i.id), `Invitation to ${i.email} revoked.`)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Seats used against the plan's user limit (open invitations hold a seat too). */
function SeatMeter({ seats }: { seats: LimitUse }) {
  const text = seats.limit === null ? `${seats.used} people (no limit on this plan)` : `${seats.used} of ${seats.limit} seats used`;
  return (
    <div className="seat-meter">
      <p style={{ margin: 0 }}>
        <strong>{text}</strong>
      </p>
      {seats.limit !== null ? (
        <meter min={0} max={seats.limit} value={Math.min(seats.used, seats.limit)} high={seats.limit * 0.8} optimum={0} aria-label="Seats used" />
      ) : null}
    </div>
  );
}

function InviteForm({ onInvited, onPlanLimit }: { onInvited: (email: string, url: string) => void; onPlanLimit: (e: ApiError) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [other, setOther] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFieldError(null);
    setOther(null);
    try {
      const r = await api.invite(email.trim(), role);
      onInvited(r.invitation.email, r.acceptUrl);
      setEmail('');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other: rest } = err.fieldErrorsFor(['email', 'role'] as const);
        setFieldError(fields.email ?? fields.role ?? null);
        setOther(rest);
      } else if (err instanceof ApiError && err.code === 'plan_limit') {
        onPlanLimit(err);
      } else {
        setOther(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="invite-form" onSubmit={submit} noValidate>
      <Field label="Invite by e-mail" error={fieldError}>
        {(p) => <input {...p} type="email" autoComplete="off" placeholder="name@company.com" value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="As">
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {INVITABLE.map((r) => (
              <option key={r} value={r}>
                {ROLE_NAMES[r]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {other ? (
        <div className="form-error" role="alert">
          {other}
        </div>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !email.trim()}>
        {busy ? 'Inviting…' : 'Send invitation'}
      </button>
    </form>
  );
}
