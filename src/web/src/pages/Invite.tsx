import { useEffect, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { InvitationPreview } from '../api/types';
import { AuthLayout } from '../components/AuthLayout';
import { Field } from '../components/Field';
import { PlanLimitNotice } from '../components/PlanNotice';
import { useBoot } from '../tenant/TenantProvider';
import { preloadChat } from './chunks';

type Preview = { state: 'loading' } | { state: 'ready'; preview: InvitationPreview } | { state: 'gone'; title: string; text: string } | { state: 'failed'; text: string };

const GONE: Record<string, { title: string; text: string }> = {
  invitation_not_found: { title: 'Invitation not found', text: 'This invitation link is not valid. Check that you copied all of it, or ask for a new invitation.' },
  invitation_used: { title: 'Invitation already used', text: 'This invitation has already been accepted. Sign in with the account it created.' },
  invitation_revoked: { title: 'Invitation withdrawn', text: 'This invitation was withdrawn by a workspace admin. Ask them for a new one.' },
  invitation_expired: { title: 'Invitation expired', text: 'This invitation has expired. Ask a workspace admin to send you a new one.' },
};

/** `/invite/<token>`: the invitee picks a name and password, and is signed in. */
export default function Invite({ token }: { token: string }) {
  const { reload } = useBoot();
  const [, navigate] = useLocation();
  const [preview, setPreview] = useState<Preview>({ state: 'loading' });
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ displayName?: string; password?: string }>({});
  const [formError, setFormError] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => preloadChat(), []);

  useEffect(() => {
    let live = true;
    api
      .invitationPreview(token)
      .then((p) => live && setPreview({ state: 'ready', preview: p }))
      .catch((err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && GONE[err.code]) setPreview({ state: 'gone', ...GONE[err.code]! });
        else setPreview({ state: 'failed', text: describeError(err) });
      });
    return () => {
      live = false;
    };
  }, [token]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setBusy(true);
    try {
      await api.acceptInvitation(token, displayName.trim(), password);
      navigate('/', { replace: true });
      await reload();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['displayName', 'password'] as const);
        setErrors({ displayName: fields.displayName && sentence(fields.displayName), password: fields.password && sentence(fields.password) });
        if (other) setFormError(other);
      } else if (err instanceof ApiError && GONE[err.code]) setPreview({ state: 'gone', ...GONE[err.code]! });
      else setFormError(err instanceof ApiError ? err : describeError(err));
    }
  }

  if (preview.state === 'loading') {
    return (
      <AuthLayout title="Join the workspace">
        <div className="spinner" role="status" aria-label="Loading the invitation" />
      </AuthLayout>
    );
  }
  if (preview.state === 'gone') {
    return (
      <AuthLayout title={preview.title}>
        <p>{preview.text}</p>
        <a className="btn" href="/login">
          Go to sign-in
        </a>
      </AuthLayout>
    );
  }
  if (preview.state === 'failed') {
    return (
      <AuthLayout title="Join the workspace">
        <div className="form-error" role="alert">
          {preview.text}
        </div>
        <button className="btn" type="button" onClick={() => location.reload()}>
          Try again
        </button>
      </AuthLayout>
    );
  }
  const p = preview.preview;
  return (
    <AuthLayout title={`Join ${p.workspace.name}`}>
      <p>
        You were invited as <strong>{p.invitation.email}</strong>
        {p.invitation.role !== 'member' ? ` (${p.invitation.role})` : ''}. Choose the name people will see and a password.
      </p>
      {formError ? (
        formError instanceof ApiError && formError.code === 'plan_limit' ? (
          <PlanLimitNotice error={formError} role={undefined} />
        ) : (
          <div className="form-error" role="alert">
            {typeof formError === 'string' ? formError : describeError(formError)}
          </div>
        )
      ) : null}
      <form onSubmit={submit} noValidate>
        <Field label="Your name" error={errors.displayName}>
          {(f) => <input {...f} className="input" value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" required autoFocus />}
        </Field>
        <Field label="Password" hint="At least 8 characters." error={errors.password}>
          {(f) => <input {...f} className="input" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" required />}
        </Field>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? 'Joining…' : 'Join workspace'}
        </button>
      </form>
    </AuthLayout>
  );
}

function sentence(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}
