import type { ApiError } from '../api/errors';
import type { Branding, Tenant } from '../api/types';
import type { BrandingChange, WorkspaceChange, WorkspaceSettings } from './settingsTypes';

/** What the preview overrides (the TenantProvider's TenantPreview). */
type Preview = Pick<Tenant, 'name' | 'branding'>;

/**
 * The settings form's state and what it sends, apart from how it is drawn: every value as the
 * inputs hold it (text, so a half-typed number is still the person's text), the change from what
 * is saved (only what differs, so an unchanged form sends nothing), the live preview of the
 * name and branding, and the API's field errors placed at the form's fields.
 */
export interface SettingsForm {
  name: string;
  appName: string;
  logoUrl: string;
  /** '' is the app's default colour. */
  primaryColor: string;
  accentColor: string;
  timezone: string;
  language: string;
  messageKeepForever: boolean;
  messageRetentionDays: string;
  fileKeepForever: boolean;
  fileRetentionDays: string;
  auditRetentionDays: string;
  passwordMinLength: string;
  passwordRequireMixed: boolean;
  passwordRequireDigit: boolean;
  sessionTimeoutMinutes: string;
}

export type FormField = keyof SettingsForm;

/** What a "delete after N days" field starts with when switched on from "keep forever". */
const SUGGESTED_RETENTION_DAYS = '365';

export function formFrom(tenant: Pick<Tenant, 'name' | 'branding'>, settings: WorkspaceSettings): SettingsForm {
  return {
    name: tenant.name,
    appName: tenant.branding.appName ?? '',
    logoUrl: tenant.branding.logoUrl ?? '',
    primaryColor: tenant.branding.primaryColor ?? '',
    accentColor: tenant.branding.accentColor ?? '',
    timezone: settings.timezone,
    language: settings.language,
    messageKeepForever: settings.messageRetentionDays === null,
    messageRetentionDays: String(settings.messageRetentionDays ?? SUGGESTED_RETENTION_DAYS),
    fileKeepForever: settings.fileRetentionDays === null,
    fileRetentionDays: String(settings.fileRetentionDays ?? SUGGESTED_RETENTION_DAYS),
    auditRetentionDays: String(settings.auditRetentionDays),
    passwordMinLength: String(settings.passwordMinLength),
    passwordRequireMixed: settings.passwordRequireMixed,
    passwordRequireDigit: settings.passwordRequireDigit,
    sessionTimeoutMinutes: String(settings.sessionTimeoutMinutes),
  };
}

const BRANDING_FIELDS = ['appName', 'logoUrl', 'primaryColor', 'accentColor'] as const satisfies readonly (keyof Branding & FormField)[];
const NUMBER_FIELDS = ['auditRetentionDays', 'passwordMinLength', 'sessionTimeoutMinutes'] as const satisfies readonly (keyof WorkspaceSettings & FormField)[];
const RETENTION_FIELDS = [
  ['messageRetentionDays', 'messageKeepForever'],
  ['fileRetentionDays', 'fileKeepForever'],
] as const satisfies readonly (readonly [keyof WorkspaceSettings & FormField, FormField])[];

/** A whole number as typed, or null for anything else (the field then says so, and nothing is sent). */
function wholeNumber(text: string): number | null {
  return /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : null;
}

export type ChangeResult = { kind: 'none' } | { kind: 'change'; change: WorkspaceChange } | { kind: 'invalid'; errors: Partial<Record<FormField, string>> };

/**
 * What to send for `edited` against `saved`: only what differs. Branding is left out where the
 * plan has no custom branding (its fields are disabled there). Numbers that are not whole
 * numbers are refused here, as nothing could send them; their range is the API's to judge.
 */
export function changeFrom(saved: SettingsForm, edited: SettingsForm, brandingAllowed: boolean): ChangeResult {
  const change: WorkspaceChange = {};
  const errors: Partial<Record<FormField, string>> = {};
  if (edited.name.trim() !== saved.name.trim()) change.name = edited.name.trim();

  if (brandingAllowed) {
    const branding: Partial<BrandingChange> = {};
    for (const key of BRANDING_FIELDS) {
      const now = edited[key].trim();
      if (now !== saved[key].trim()) branding[key] = now === '' ? null : now;
    }
    if (Object.keys(branding).length) change.branding = branding;
  }

  const settings: Partial<WorkspaceSettings> = {};
  if (edited.timezone !== saved.timezone) settings.timezone = edited.timezone;
  if (edited.language !== saved.language) settings.language = edited.language;
  if (edited.passwordRequireMixed !== saved.passwordRequireMixed) settings.passwordRequireMixed = edited.passwordRequireMixed;
  if (edited.passwordRequireDigit !== saved.passwordRequireDigit) settings.passwordRequireDigit = edited.passwordRequireDigit;
  for (const key of NUMBER_FIELDS) {
    if (edited[key].trim() === saved[key].trim()) continue;
    const n = wholeNumber(edited[key]);
    if (n === null) errors[key] = 'must be a whole number';
    else settings[key] = n;
  }
  for (const [key, forever] of RETENTION_FIELDS) {
    if (edited[forever]) {
      if (!saved[forever]) settings[key] = null;
      continue;
    }
    if (!saved[forever] && edited[key].trim() === saved[key].trim()) continue;
    const n = wholeNumber(edited[key]);
    if (n === null) errors[key] = 'must be a whole number of days';
    else settings[key] = n;
  }
  if (Object.keys(settings).length) change.settings = settings;

  if (Object.keys(errors).length) return { kind: 'invalid', errors };
  return Object.keys(change).length ? { kind: 'change', change } : { kind: 'none' };
}

const HEX = /^#[0-9a-f]{6}$/i;

function httpsUrl(text: string): string | null {
  try {
    return new URL(text).protocol === 'https:' ? text : null;
  } catch {
    return null;
  }
}

/**
 * The name and branding to show app-wide while the form is edited, or null when they are the
 * saved ones. A value the API would refuse (a colour half typed, an http logo) shows the saved
 * value meanwhile rather than a broken one; an emptied one shows the app's default.
 */
export function previewFrom(saved: SettingsForm, edited: SettingsForm, logoUrl: string): Preview | null {
  const pick = (now: string, before: string, valid: (v: string) => boolean): string | undefined => {
    const v = now.trim();
    if (v === '') return undefined;
    if (valid(v)) return v;
    return before.trim() || undefined;
  };
  const branding: Branding = {};
  const appName = pick(edited.appName, saved.appName, (v) => v.length <= 60);
  const logo = pick(logoUrl, saved.logoUrl, (v) => httpsUrl(v) !== null);
  const primaryColor = pick(edited.primaryColor, saved.primaryColor, (v) => HEX.test(v));
  const accentColor = pick(edited.accentColor, saved.accentColor, (v) => HEX.test(v));
  if (appName) branding.appName = appName;
  if (logo) branding.logoUrl = logo;
  if (primaryColor) branding.primaryColor = primaryColor;
  if (accentColor) branding.accentColor = accentColor;
  const name = edited.name.trim() || saved.name;
  const same = name === saved.name && BRANDING_FIELDS.every((k) => (branding[k] ?? '') === saved[k].trim());
  return same ? null : { name, branding };
}

/**
 * The API's field errors (`name`, `branding.logoUrl`, `settings.messageRetentionDays`) at the
 * form's fields; any other (an unknown key, a rule about the whole request) as one sentence.
 */
export function placeFieldErrors(err: ApiError, form: SettingsForm): { fields: Partial<Record<FormField, string>>; other: string | null } {
  const placed: Partial<Record<FormField, string>> = {};
  const other: string[] = [];
  for (const [path, message] of Object.entries(err.fieldErrors())) {
    const key = path.replace(/^(branding|settings)\./, '').split('.')[0] as FormField;
    if (path !== 'branding' && path !== 'settings' && Object.hasOwn(form, key)) placed[key] = placed[key] ? `${placed[key]}; ${message}` : message;
    else other.push(path ? `${path}: ${message}` : message);
  }
  if (!other.length && !Object.keys(placed).length) other.push(err.message);
  return { fields: placed, other: other.length ? other.join(' ') : null };
}
