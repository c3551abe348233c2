import { useState, type FormEvent } from 'react';
import { ApiError, describeError, formatWait } from '../api/errors';
import { AuthLayout } from '../components/AuthLayout';
import { Field } from '../components/Field';
import { useCountdown } from '../lib/useCountdown';
import { operatorApi } from './api';

/**
 * The console's sign-in: the platform admin token, exchanged for an operator session cookie
 * (HttpOnly: this page cannot read it, nor can anything else). The token lives only in this
 * form's state until it is sent, and is cleared as soon as the answer comes; it is never put in
 * localStorage, sessionStorage or a script-readable cookie.
 */
export function OperatorSignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const wait = useCountdown(retryAt);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFieldError(null);
    setError(null);
    if (!token.trim()) return setFieldError('Enter the platform admin token.');
    setBusy(true);
    try {
      await operatorApi.signIn(token.trim());
      setToken('');
      onSignedIn();
    } catch (err) {
      setBusy(false);
      setToken('');
      if (err instanceof ApiError && err.code === 'invalid_credentials') setFieldError(err.message);
      else if (err instanceof ApiError && err.code === 'validation_failed') {
        const { fields, other } = err.fieldErrorsFor(['token'] as const);
        setFieldError(fields.token ?? null);
        setError(other);
      } else if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfterSeconds) {
        setRetryAt(Date.now() + err.retryAfterSeconds * 1000);
        setError(`Too many failed sign-ins from this address. You can try again in ${formatWait(err.retryAfterSeconds)}.`);
      } else setError(describeError(err));
    }
  }

  return (
    <AuthLayout title="Operator console">
      <p>For the platform's operators: find workspaces, see their plan, billing and usage, suspend, restore or delete them.</p>
      {notice ? (
        <div className="form-note" role="status">
          {notice}
        </div>
      ) : null}
      {error ? (
        <div className="form-error" role="alert">
          {wait > 0 ? `Too many failed sign-ins from this address. You can try again in ${formatWait(wait)}.` : error}
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <Field
          label="Platform admin token"
          hint="The PLATFORM_ADMIN_TOKEN secret (in development, from .dev.vars). It is exchanged for an 8-hour session; this page does not keep it."
          error={fieldError}
        >
          {(p) => (
            <input
              {...p}
              className="input"
              type="password"
              name="operator-token"
              autoComplete="off"
              spellCheck={false}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
              autoFocus
            />
          )}
        </Field>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy || wait > 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
