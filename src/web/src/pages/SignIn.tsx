import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints';
import { ApiError, describeError, formatWait } from '../api/errors';
import { AuthLayout } from '../components/AuthLayout';
import { Field } from '../components/Field';
import { useCountdown } from '../lib/useCountdown';
import { useBoot } from '../tenant/TenantProvider';
import { preloadChat } from './chunks';

/**
 * Sign-in on a workspace host. On success the one bootstrap request is made again (now with
 * the session), and the chat opens where the person was going.
 */
export default function SignIn({ notice }: { notice?: string | null }) {
  const { reload } = useBoot();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const wait = useCountdown(retryAt);

  // The chat's code is fetched while the person types, so it opens at once.
  useEffect(() => preloadChat(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api.login(email.trim(), password);
      await reload();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'invalid_credentials') setError('That email and password do not match an account in this workspace.');
      else if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfterSeconds) {
        setRetryAt(Date.now() + err.retryAfterSeconds * 1000);
        setError(`Too many sign-in attempts. You can try again in ${formatWait(err.retryAfterSeconds)}.`);
      } else setError(describeError(err));
    }
  }

  return (
    <AuthLayout title="Sign in">
      {notice ? (
        <div className="form-note" role="status">
          {notice}
        </div>
      ) : null}
      {error ? (
        <div className="form-error" role="alert">
          {wait > 0 ? `Too many sign-in attempts. You can try again in ${formatWait(wait)}.` : error}
        </div>
      ) : null}
      <form onSubmit={submit}>
        <Field label="Email">
          {(p) => <input {...p} className="input" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />}
        </Field>
        <Field label="Password">
          {(p) => <input {...p} className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />}
        </Field>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy || wait > 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-footer">New here? Ask a workspace admin to invite you.</p>
    </AuthLayout>
  );
}
