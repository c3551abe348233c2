import '../styles/admin-settings.css';
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, describeError } from '../api/errors';
import type { Tenant } from '../api/types';
import { Field } from '../components/Field';
import { UpgradePrompt } from '../components/PlanNotice';
import { DEFAULT_ACCENT, DEFAULT_PRIMARY } from '../tenant/branding';
import { useBoot, useSession, useTenant, useTenantFeature } from '../tenant/TenantProvider';
import { Checkbox, ColourField, LogoField, RetentionField, languageOptions } from './settingsFields';
import { settingsApi, type WorkspaceSettings } from './settingsApi';
import { changeFrom, formFrom, placeFieldErrors, previewFrom, type FormField, type SettingsForm } from './settingsForm';
import { TimeZoneSelect } from './TimeZoneSelect';

/**
 * Settings: the workspace's name and branding (logo, colours, the name shown in the app), time
 * zone and language, retention, password policy and session length. One Save sends what changed
 * in one request (PATCH /api/tenant), written all at once or not at all; the API's field errors
 * appear at their fields. While the name and branding are edited they are previewed app-wide
 * through the TenantProvider (the header, buttons and brand mark change as you type), and the
 * preview is dropped when the page is left unsaved. On plans without custom branding its fields
 * are disabled with an upgrade prompt; the rest stays editable.
 */
export function SettingsPage() {
  const { tenant } = useTenant();
  // The workspace as the page opened: no preview is shown before the editor exists, so this is
  // the saved one (later renders see the editor's previews).
  const [start] = useState<Pick<Tenant, 'name' | 'branding'> | null>(() => tenant && { name: tenant.name, branding: tenant.branding });
  const [initial, setInitial] = useState<{ tenant: Pick<Tenant, 'name' | 'branding'>; settings: WorkspaceSettings } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (!start) return;
      try {
        const { settings } = await settingsApi.settings({ signal });
        setInitial({ tenant: start, settings });
        setError(null);
      } catch (err) {
        if (!signal?.aborted) setError(describeError(err));
      }
    },
    [start],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    void load(ctrl.signal);
    return () => ctrl.abort();
  }, [load]);

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {error ? (
        <div className="form-error" role="alert">
          {error}{' '}
          <button type="button" className="btn btn-sm" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : null}
      {initial === null && !error ? <p aria-live="polite">Loading settings…</p> : null}
      {initial ? <SettingsEditor initial={formFrom(initial.tenant, initial.settings)} /> : null}
    </section>
  );
}

/** `value`, once it has stopped changing for `ms` (a logo URL is fetched when typing pauses, not at every key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

type Errors = Partial<Record<FormField, string>>;

function SettingsEditor({ initial }: { initial: SettingsForm }) {
  const { previewTenant, tenantChanged } = useBoot();
  const role = useSession()?.user.role;
  const brandingAllowed = useTenantFeature('customBranding');
  const [saved, setSaved] = useState(initial);
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [refusals, setRefusals] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  const settledLogo = useSettled(form.logoUrl, 400);
  // Removing the logo shows at once; a new address once typing pauses.
  const logoShown = form.logoUrl.trim() === '' ? '' : settledLogo;
  const dirty = changeFrom(saved, form, brandingAllowed).kind !== 'none';

  useEffect(() => {
    previewTenant(previewFrom(saved, form, logoShown));
  }, [saved, form, logoShown, previewTenant]);
  // Leaving the page unsaved drops the preview: the app shows the saved workspace again.
  useEffect(() => () => previewTenant(null), [previewTenant]);

  // After a refused save, the first field at fault gets the focus (and its error is read out with it).
  useEffect(() => {
    if (refusals) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [refusals]);

  function refused(fieldErrors: Errors) {
    setErrors(fieldErrors);
    setRefusals((n) => n + 1);
  }

  /** An edit: the field's error goes with it (it was about the old value). */
  function set<K extends FormField>(key: K, value: SettingsForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => {
      if (!e[key]) return e;
      const rest = { ...e };
      delete rest[key];
      return rest;
    });
    setNotice(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setNotice(null);
    const result = changeFrom(saved, form, brandingAllowed);
    if (result.kind === 'none') return;
    if (result.kind === 'invalid') return refused(result.errors);
    setErrors({});
    setBusy(true);
    try {
      const answer = await settingsApi.change(result.change);
      tenantChanged(answer.tenant);
      const next = answer.settings ? formFrom(answer.tenant, answer.settings) : { ...form, name: answer.tenant.name };
      setSaved(next);
      setForm(next);
      setNotice('Settings saved.');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        const placed = placeFieldErrors(err, form);
        refused(placed.fields);
        setProblem(placed.other);
      } else {
        setProblem(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  function discard() {
    setForm(saved);
    setErrors({});
    setProblem(null);
    setNotice(null);
  }

  return (
    <form ref={formRef} className="settings-form" onSubmit={submit} noValidate aria-busy={busy}>
      {/* Nothing can be edited while a save is on its way: its answer becomes the form. */}
      <fieldset className="settings-fieldset" disabled={busy}>
        <legend className="visually-hidden">Workspace settings</legend>
        <Section title="Workspace" id="settings-workspace">
          <Field label="Workspace name" hint="Shown to everyone in the workspace and on its sign-in page." error={errors.name}>
            {(p) => <input {...p} type="text" maxLength={100} autoComplete="organization" value={form.name} onChange={(e) => set('name', e.target.value)} />}
          </Field>
        </Section>

        <Section title="Branding" id="settings-branding">
          {!brandingAllowed ? <UpgradePrompt feature="Custom branding" role={role} /> : null}
          <fieldset className="settings-fieldset" disabled={!brandingAllowed}>
            <legend className="visually-hidden">Branding</legend>
            <Field label="Name shown in the app" hint="Instead of the workspace name, in the header and the browser tab. Leave empty to use the workspace name." error={errors.appName}>
              {(p) => <input {...p} type="text" maxLength={60} value={form.appName} placeholder={form.name} onChange={(e) => set('appName', e.target.value)} />}
            </Field>
            <LogoField value={form.logoUrl} shown={logoShown} name={form.appName.trim() || form.name} error={errors.logoUrl} onChange={(v) => set('logoUrl', v)} />
            <div className="colour-fields">
              <ColourField label="Primary colour" hint="Buttons, links and the brand mark." value={form.primaryColor} fallback={DEFAULT_PRIMARY} error={errors.primaryColor} onChange={(v) => set('primaryColor', v)} />
              <ColourField label="Accent colour" hint="Highlights such as mentions." value={form.accentColor} fallback={DEFAULT_ACCENT} error={errors.accentColor} onChange={(v) => set('accentColor', v)} />
            </div>
            <p className="hint">Where text on a colour would be hard to read, a darker shade of it is used.</p>
          </fieldset>
        </Section>

        <Section title="Region and language" id="settings-region">
          <Field label="Time zone" hint="The workspace's home time zone." error={errors.timezone}>
            {(p) => <TimeZoneSelect id={p.id} describedBy={p['aria-describedby']} invalid={p['aria-invalid']} value={form.timezone} onChange={(v) => set('timezone', v)} />}
          </Field>
          <Field label="Language" error={errors.language}>
            {(p) => (
              <select {...p} value={form.language} onChange={(e) => set('language', e.target.value)}>
                {languageOptions(form.language).map((l) => (
                  <option key={l.tag} value={l.tag}>
                    {l.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </Section>

        <Section title="Retention" id="settings-retention">
          <RetentionField
            legend="Messages"
            what="messages"
            forever={form.messageKeepForever}
            days={form.messageRetentionDays}
            error={errors.messageRetentionDays}
            onForever={(v) => set('messageKeepForever', v)}
            onDays={(v) => set('messageRetentionDays', v)}
          />
          <RetentionField
            legend="Files"
            what="files"
            forever={form.fileKeepForever}
            days={form.fileRetentionDays}
            error={errors.fileRetentionDays}
            onForever={(v) => set('fileKeepForever', v)}
            onDays={(v) => set('fileRetentionDays', v)}
          />
          <Field label="Keep the audit log for (days)" error={errors.auditRetentionDays}>
            {(p) => <input {...p} type="number" inputMode="numeric" min={1} className="short-number" value={form.auditRetentionDays} onChange={(e) => set('auditRetentionDays', e.target.value)} />}
          </Field>
        </Section>

        <Section title="Sign-in and security" id="settings-security">
          <Field label="Minimum password length" hint="From 8 to 128 characters. Applies to passwords set from now on." error={errors.passwordMinLength}>
            {(p) => <input {...p} type="number" inputMode="numeric" min={8} max={128} className="short-number" value={form.passwordMinLength} onChange={(e) => set('passwordMinLength', e.target.value)} />}
          </Field>
          <Checkbox label="Passwords must mix upper and lower case" checked={form.passwordRequireMixed} error={errors.passwordRequireMixed} onChange={(v) => set('passwordRequireMixed', v)} />
          <Checkbox label="Passwords must contain a digit" checked={form.passwordRequireDigit} error={errors.passwordRequireDigit} onChange={(v) => set('passwordRequireDigit', v)} />
          <Field label="Sign people out after (minutes)" hint={durationHint(form.sessionTimeoutMinutes)} error={errors.sessionTimeoutMinutes}>
            {(p) => <input {...p} type="number" inputMode="numeric" min={5} className="short-number" value={form.sessionTimeoutMinutes} onChange={(e) => set('sessionTimeoutMinutes', e.target.value)} />}
          </Field>
        </Section>
      </fieldset>

      <div className="save-bar">
        {problem ? (
          <div className="form-error" role="alert">
            {problem}
          </div>
        ) : null}
        <div className="save-row">
          <button type="submit" className="btn btn-primary" disabled={!dirty || busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={discard} disabled={!dirty || busy}>
            Discard changes
          </button>
          <p className="save-state" role="status">
            {notice ?? (dirty ? 'Unsaved changes: previewed here, not yet seen by anyone else.' : '')}
          </p>
        </div>
      </div>
    </form>
  );
}

function Section({ title, id, children }: { title: string; id: string; children: ReactNode }) {
  return (
    <section className="settings-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function durationHint(minutes: string): string {
  const n = Number(minutes);
  if (!Number.isInteger(n) || n <= 0) return 'From 5 minutes to a year, for sign-ins from now on.';
  const days = n / 1440;
  const hours = n / 60;
  const say = Number.isInteger(days) ? `${days} ${days === 1 ? 'day' : 'days'}` : Number.isInteger(hours) ? `${hours} ${hours === 1 ? 'hour' : 'hours'}` : `${n} minutes`;
  return `That is ${say} after signing in (for sign-ins from now on). From 5 minutes to a year.`;
}
