import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearch } from 'wouter';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { PlatformInfo, SlugAvailability } from '../api/types';
import { Field } from '../components/Field';
import { slugProblem } from '../lib/slug';

/**
 * Sign-up on the platform host: a workspace, its owner, a plan (free, or Pro on trial). The
 * slug follows the name until it is edited, and its availability is checked as it is typed.
 * On success the browser goes straight to the new workspace's own host, signed in (handoff).
 */

export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
}

type Check = { state: 'idle' } | { state: 'checking' } | { state: 'done'; result: SlugAvailability } | { state: 'failed'; message: string };

type FieldName = 'name' | 'slug' | 'ownerName' | 'ownerEmail' | 'ownerPassword' | 'plan';

export default function SignUp({ platform }: { platform: PlatformInfo }) {
  const search = useSearch();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [ownerName, setOwnerName] = useState('');
  const [ownerEmail, setOwnerEmail] = useState('');
  const [ownerPassword, setOwnerPassword] = useState('');
  const [plan, setPlan] = useState<'free' | 'trial'>(new URLSearchParams(search).get('plan') === 'trial' ? 'trial' : 'free');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const firstInvalid = useRef<HTMLFormElement>(null);
  const baseDomain = platform.baseDomain;

  const effectiveSlug = slugEdited ? slug : slugFromName(name);
  const localSlugProblem = slugProblem(effectiveSlug);

  // Live availability: debounced, the previous question cancelled when the slug changes.
  useEffect(() => {
    if (!effectiveSlug || localSlugProblem) {
      setCheck({ state: 'idle' });
      return;
    }
    const controller = new AbortController();
    setCheck({ state: 'checking' });
    const timer = setTimeout(() => {
      api
        .slugAvailability(effectiveSlug, controller.signal)
        .then((result) => setCheck({ state: 'done', result }))
        .catch((err: unknown) => {
          if (controller.signal.aborted) return;
          setCheck({ state: 'failed', message: `Could not check this address: ${describeError(err)}` });
        });
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [effectiveSlug, localSlugProblem]);

  const slugError =
    errors.slug ??
    localSlugProblem ??
    (check.state === 'done' && !check.result.available ? check.result.message || (check.result.reason === 'taken' ? 'This address is taken.' : 'This address cannot be used.') : null) ??
    (check.state === 'failed' ? check.message : null);
  const slugOk = check.state === 'done' && check.result.available ? `${effectiveSlug}.${baseDomain} is available.` : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    setErrors({});
    setSubmitting(true);
    try {
      const created = await api.createTenant({
        name: name.trim(),
        slug: effectiveSlug,
        ownerEmail: ownerEmail.trim(),
        ownerName: ownerName.trim(),
        ownerPassword,
        plan: plan === 'trial' ? 'pro' : 'free',
        trial: plan === 'trial',
      });
      // Straight into the new workspace, at its own host, signed in there.
      location.assign(created.handoffUrl ?? `${created.url}/login`);
    } catch (err) {
      setSubmitting(false);
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const fields = err.fieldErrors();
        const known: Partial<Record<FieldName, string>> = {};
        const other: string[] = [];
        for (const [path, message] of Object.entries(fields)) {
          const key = path.split('.')[0] as FieldName;
          if (['name', 'slug', 'ownerName', 'ownerEmail', 'ownerPassword', 'plan'].includes(key)) known[key] = capitalise(message);
          else other.push(`${path}: ${message}`);
        }
        setErrors(known);
        setFormError(other.length ? other.join(' ') : 'Please correct the fields marked below.');
        focusFirstInvalid(firstInvalid.current);
      } else if (err instanceof ApiError && err.code === 'slug_taken') {
        setErrors({ slug: err.message || 'This address is taken.' });
        setSlugEdited(true);
        setSlug(effectiveSlug);
        focusFirstInvalid(firstInvalid.current);
      } else {
        setFormError(describeError(err));
      }
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card wide">
        <div className="auth-brand">
          <span className="mark" aria-hidden="true">
            n
          </span>
          <strong>nchat</strong>
        </div>
        <h1>Create your workspace</h1>
        <p style={{ color: 'var(--text-muted)' }}>A home for your team's conversations, at its own address.</p>
        {formError ? (
          <div className="form-error" role="alert">
            {formError}
          </div>
        ) : null}
        <form onSubmit={submit} noValidate ref={firstInvalid}>
          <Field label="Workspace name" error={errors.name}>
            {(p) => <input {...p} className="input" value={name} onChange={(e) => setName(e.target.value)} autoComplete="organization" required maxLength={100} />}
          </Field>
          <Field label="Address" hint="Lowercase letters, digits and hyphens; 3 to 32 characters." error={slugError} ok={slugError ? null : check.state === 'checking' ? 'Checking…' : slugOk}>
            {(p) => (
              <div className="input-group">
                <input
                  {...p}
                  className="input"
                  value={effectiveSlug}
                  onChange={(e) => {
                    setSlugEdited(true);
                    setSlug(e.target.value.toLowerCase());
                    setErrors((x) => ({ ...x, slug: undefined }));
                  }}
                  autoCapitalize="off"
                  spellCheck={false}
                  required
                  maxLength={32}
                />
                <span className="addon">.{baseDomain}</span>
              </div>
            )}
          </Field>
          <Field label="Your name" error={errors.ownerName}>
            {(p) => <input {...p} className="input" value={ownerName} onChange={(e) => setOwnerName(e.target.value)} autoComplete="name" required maxLength={100} />}
          </Field>
          <Field label="Work email" error={errors.ownerEmail}>
            {(p) => <input {...p} className="input" type="email" value={ownerEmail} onChange={(e) => setOwnerEmail(e.target.value)} autoComplete="email" required />}
          </Field>
          <Field label="Password" hint="At least 8 characters." error={errors.ownerPassword}>
            {(p) => <input {...p} className="input" type="password" value={ownerPassword} onChange={(e) => setOwnerPassword(e.target.value)} autoComplete="new-password" required />}
          </Field>
          <fieldset className="field">
            <legend>Plan</legend>
            <div className="choice-cards">
              <label className="choice-card">
                <input type="radio" name="plan" value="free" checked={plan === 'free'} onChange={() => setPlan('free')} />
                <div>
                  <strong>Free</strong>
                  <span>For small teams getting started.</span>
                </div>
              </label>
              <label className="choice-card">
                <input type="radio" name="plan" value="trial" checked={plan === 'trial'} onChange={() => setPlan('trial')} />
                <div>
                  <strong>Pro trial</strong>
                  <span>Every Pro feature free for {platform.trialDays} days. No card needed.</span>
                </div>
              </label>
            </div>
            {errors.plan ? <p className="error">{errors.plan}</p> : null}
          </fieldset>
          <button className="btn btn-primary btn-block" type="submit" disabled={submitting}>
            {submitting ? 'Creating your workspace…' : 'Create workspace'}
          </button>
        </form>
        <p className="auth-footer">
          <Link href="/">Back to the home page</Link>
        </p>
      </div>
    </main>
  );
}

function capitalise(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.') : s;
}

function focusFirstInvalid(form: HTMLFormElement | null) {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
