import { useId, useState } from 'react';
import { BrandMark } from '../components/AuthLayout';
import { Field } from '../components/Field';

/** The settings page's own fields (./SettingsPage): logo, colour, retention, checkbox, and the languages offered. */

/** The logo's address, with the image as it will look (or the initial that stands in for none) and a way to remove it. */
export function LogoField({ value, shown, name, error, onChange }: { value: string; shown: string; name: string; error?: string; onChange: (v: string) => void }) {
  const [broken, setBroken] = useState<string | null>(null);
  const preview = /^https:\/\/\S+$/i.test(shown.trim()) ? shown.trim() : '';
  const failed = preview !== '' && broken === preview;
  return (
    <Field label="Logo URL" hint={failed ? 'That image could not be loaded: check the address.' : 'An https address of a square image (PNG, SVG or JPEG), at least 64 × 64 pixels.'} error={error}>
      {(p) => (
        <div className="logo-row">
          <span className="logo-preview">
            {preview && !failed ? (
              <img src={preview} alt="Logo preview" width={48} height={48} referrerPolicy="no-referrer" onError={() => setBroken(preview)} />
            ) : (
              <BrandMark name={name} />
            )}
          </span>
          <input {...p} type="url" inputMode="url" spellCheck={false} placeholder="https://example.com/logo.png" value={value} onChange={(e) => onChange(e.target.value)} />
          {value ? (
            <button type="button" className="btn btn-sm" onClick={() => onChange('')}>
              Remove logo
            </button>
          ) : null}
        </div>
      )}
    </Field>
  );
}

/** A colour as a hex code, with a picker beside it and a way back to the default (`fallback`, shown when empty). */
export function ColourField({ label, hint, value, fallback, error, onChange }: { label: string; hint: string; value: string; fallback: string; error?: string; onChange: (v: string) => void }) {
  const valid = /^#[0-9a-f]{6}$/i.test(value.trim());
  return (
    <Field label={label} hint={value.trim() === '' ? `${hint} Now the default.` : hint} error={error}>
      {(p) => (
        <div className="colour-row">
          <input type="color" aria-label={`${label}: picker`} value={valid ? value.trim().toLowerCase() : fallback} onChange={(e) => onChange(e.target.value)} />
          <input {...p} type="text" className="hex-input" spellCheck={false} autoComplete="off" maxLength={7} placeholder={fallback} value={value} onChange={(e) => onChange(e.target.value)} />
          {value ? (
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => onChange('')}>
              Use default
            </button>
          ) : null}
        </div>
      )}
    </Field>
  );
}

/** Keep forever, or delete what is older than a number of days (the number disabled while kept forever). */
export function RetentionField(props: { legend: string; what: string; forever: boolean; days: string; error?: string; onForever: (v: boolean) => void; onDays: (v: string) => void }) {
  const { legend, what, forever, days, error, onForever, onDays } = props;
  const name = `retention-${what}`;
  const errorId = `${name}-error`;
  return (
    <fieldset className="field retention-field">
      <legend>{legend}</legend>
      <label className="inline-choice">
        <input type="radio" name={name} checked={forever} onChange={() => onForever(true)} /> <span>Keep forever</span>
      </label>
      <div className="retention-days">
        <label className="inline-choice">
          <input type="radio" name={name} checked={!forever} onChange={() => onForever(false)} /> <span>Delete {what} older than</span>
        </label>
        <input
          type="number"
          inputMode="numeric"
          min={1}
          className="short-number"
          aria-label={`Days to keep ${what}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          disabled={forever}
          value={days}
          onChange={(e) => onDays(e.target.value)}
        />{' '}
        days
      </div>
      {error ? (
        <p className="error" id={errorId}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** A checkbox with its label, and its error (read out with it: aria-describedby). */
export function Checkbox({ label, checked, error, onChange }: { label: string; checked: boolean; error?: string; onChange: (v: boolean) => void }) {
  const errorId = `${useId()}-error`;
  return (
    <div className="field">
      <label className="inline-choice">
        <input type="checkbox" checked={checked} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} onChange={(e) => onChange(e.target.checked)} /> <span>{label}</span>
      </label>
      {error ? (
        <p className="error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

const LANGUAGES = ['en', 'en-GB', 'en-US', 'cs', 'da', 'de', 'es', 'fi', 'fr', 'it', 'ja', 'ko', 'nb', 'nl', 'pl', 'pt', 'pt-BR', 'sv', 'tr', 'uk', 'zh-CN', 'zh-TW'];

/** The offered languages, each in its own name and in English; the saved one is always among them. */
export function languageOptions(current: string): { tag: string; label: string }[] {
  const tags = LANGUAGES.includes(current) ? LANGUAGES : [current, ...LANGUAGES];
  const english = new Intl.DisplayNames(['en'], { type: 'language' });
  return tags.map((tag) => {
    let own = tag;
    try {
      own = new Intl.DisplayNames([tag], { type: 'language' }).of(tag) ?? tag;
    } catch {
      /* not a tag this browser knows: shown as it is */
    }
    const inEnglish = english.of(tag) ?? tag;
    return { tag, label: own === inEnglish ? own : `${own} — ${inEnglish}` };
  });
}
