/**
 * The settings form's logic on its own, in Node (src/web/src/admin/settingsForm.ts): what a save
 * sends (only what changed; branding as a merge patch where emptied means null; nothing for an
 * unchanged form; numbers that are not numbers refused before anything is sent), the live
 * preview (a half-typed colour or an http logo shows the saved value meanwhile), and the API's
 * field errors placed at the form's fields.
 */
import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/web/src/api/errors';
import type { WorkspaceSettings } from '../../src/web/src/admin/settingsTypes';
import { changeFrom, formFrom, placeFieldErrors, previewFrom } from '../../src/web/src/admin/settingsForm';

const SETTINGS: WorkspaceSettings = {
  timezone: 'UTC',
  language: 'en',
  passwordMinLength: 8,
  passwordRequireMixed: false,
  passwordRequireDigit: false,
  sessionTimeoutMinutes: 10080,
  messageRetentionDays: null,
  fileRetentionDays: 30,
  auditRetentionDays: 365,
};
const saved = formFrom({ name: 'Acme', branding: { primaryColor: '#112233', logoUrl: 'https://cdn.example.com/a.png' } }, SETTINGS);

describe('what a save sends', () => {
  test('an unchanged form sends nothing, whitespace around a name included', () => {
    expect(changeFrom(saved, { ...saved }, true)).toEqual({ kind: 'none' });
    expect(changeFrom(saved, { ...saved, name: ' Acme ' }, true)).toEqual({ kind: 'none' });
  });

  test('only the changed fields; an emptied branding value is null (removed), a new one its text', () => {
    const edited = { ...saved, name: 'Acme Inc', logoUrl: '', accentColor: '#abcdef', timezone: 'Europe/Paris', passwordRequireDigit: true, sessionTimeoutMinutes: '60' };
    expect(changeFrom(saved, edited, true)).toEqual({
      kind: 'change',
      change: { name: 'Acme Inc', branding: { logoUrl: null, accentColor: '#abcdef' }, settings: { timezone: 'Europe/Paris', passwordRequireDigit: true, sessionTimeoutMinutes: 60 } },
    });
  });

  test('branding is left out where the plan has no custom branding', () => {
    expect(changeFrom(saved, { ...saved, primaryColor: '#000000', name: 'Renamed' }, false)).toEqual({ kind: 'change', change: { name: 'Renamed' } });
    expect(changeFrom(saved, { ...saved, primaryColor: '#000000' }, false)).toEqual({ kind: 'none' });
  });

  test('retention: "keep forever" is null, days a number; switching back and forth to the saved state sends nothing', () => {
    expect(changeFrom(saved, { ...saved, messageKeepForever: false, messageRetentionDays: '90' }, true)).toEqual({ kind: 'change', change: { settings: { messageRetentionDays: 90 } } });
    expect(changeFrom(saved, { ...saved, fileKeepForever: true }, true)).toEqual({ kind: 'change', change: { settings: { fileRetentionDays: null } } });
    expect(changeFrom(saved, { ...saved, fileRetentionDays: '45' }, true)).toEqual({ kind: 'change', change: { settings: { fileRetentionDays: 45 } } });
    // 0 is a number: the API judges its range (and says so at the field).
    expect(changeFrom(saved, { ...saved, fileRetentionDays: '0' }, true)).toEqual({ kind: 'change', change: { settings: { fileRetentionDays: 0 } } });
    expect(changeFrom(saved, { ...saved, messageKeepForever: true, messageRetentionDays: 'whatever' }, true)).toEqual({ kind: 'none' });
  });

  test('text that is no whole number is refused at its field, and nothing is sent', () => {
    expect(changeFrom(saved, { ...saved, name: 'Renamed', fileRetentionDays: '1.5', passwordMinLength: '' }, true)).toEqual({
      kind: 'invalid',
      errors: { fileRetentionDays: 'must be a whole number of days', passwordMinLength: 'must be a whole number' },
    });
  });
});

describe('the live preview', () => {
  test('none while the name and branding are the saved ones', () => {
    expect(previewFrom(saved, saved, saved.logoUrl)).toBeNull();
  });

  test('valid edits show; half-typed or refused values show the saved value; emptied ones the default', () => {
    const edited = { ...saved, name: 'Acme Inc', primaryColor: '#4455', accentColor: '#abcdef', appName: 'Acme Chat' };
    expect(previewFrom(saved, edited, 'http://cdn.example.com/b.png')).toEqual({
      name: 'Acme Inc',
      branding: { appName: 'Acme Chat', primaryColor: '#112233', accentColor: '#abcdef', logoUrl: 'https://cdn.example.com/a.png' },
    });
    expect(previewFrom(saved, { ...saved, primaryColor: '', logoUrl: '' }, '')).toEqual({ name: 'Acme', branding: {} });
    expect(previewFrom(saved, { ...saved, name: '  ' }, saved.logoUrl)).toBeNull();
  });
});

describe("the API's field errors at the form's fields", () => {
  test('branding.* and settings.* land at their fields; anything else is one sentence', () => {
    const err = new ApiError(400, 'validation_failed', 'Invalid input.', {
      issues: [
        { path: 'branding.logoUrl', message: 'must be an https URL' },
        { path: 'settings.messageRetentionDays', message: 'must be at least 1 day' },
        { path: 'name', message: 'is required' },
        { path: 'branding', message: 'Unrecognized key: "css"' },
      ],
    });
    expect(placeFieldErrors(err, saved)).toEqual({
      fields: { logoUrl: 'must be an https URL', messageRetentionDays: 'must be at least 1 day', name: 'is required' },
      other: 'branding: Unrecognized key: "css"',
    });
  });

  test('a refusal without issues still says something', () => {
    expect(placeFieldErrors(new ApiError(400, 'validation_failed', 'nothing to update'), saved)).toEqual({ fields: {}, other: 'nothing to update' });
  });
});
