import type { Branding, Tenant } from '../api/types';

/** The shapes of the settings page's API calls (./settingsApi.ts), as the Worker answers them. */

export interface WorkspaceSettings {
  /** An IANA time zone, such as Europe/Paris. */
  timezone: string;
  /** A language tag, such as en or pt-BR. */
  language: string;
  passwordMinLength: number;
  passwordRequireMixed: boolean;
  passwordRequireDigit: boolean;
  sessionTimeoutMinutes: number;
  /** null: kept forever. */
  messageRetentionDays: number | null;
  fileRetentionDays: number | null;
  auditRetentionDays: number;
}

/** Branding as a merge patch: an absent key keeps its value, null removes it (the app's default applies). */
export type BrandingChange = { [K in keyof Branding]-?: Branding[K] | null };

export interface WorkspaceChange {
  name?: string;
  branding?: Partial<BrandingChange>;
  settings?: Partial<WorkspaceSettings>;
}

export interface WorkspaceChanged {
  /** The public configuration, as GET /api/tenant answers it. */
  tenant: Tenant;
  settings: WorkspaceSettings | null;
}
