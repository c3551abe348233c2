import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from '../auth/password-policy';
import { DEFAULT_SESSION_MINUTES } from '../auth/session';
import type { Drizzle } from '../db/client';
import { tenantSettings } from '../db/schema';

/** What sign-in and password changes need from tenant_settings. */
export interface AccountSettings {
  policy: PasswordPolicy;
  sessionTimeoutMinutes: number;
}

/**
 * The query, to run inside a tenant transaction: row-level security leaves exactly the current
 * workspace's row, so it needs no WHERE clause (and none could reach another workspace's).
 */
export function accountSettingsQuery(db: Drizzle) {
  return db
    .select({
      passwordMinLength: tenantSettings.passwordMinLength,
      passwordRequireMixed: tenantSettings.passwordRequireMixed,
      passwordRequireDigit: tenantSettings.passwordRequireDigit,
      sessionTimeoutMinutes: tenantSettings.sessionTimeoutMinutes,
    })
    .from(tenantSettings)
    .limit(1);
}

type SettingsRow = Awaited<ReturnType<typeof accountSettingsQuery>>[number];

/** Every workspace gets a settings row at creation; the defaults only cover a missing one. */
export function accountSettings(rows: SettingsRow[]): AccountSettings {
  const row = rows[0];
  if (!row) return { policy: DEFAULT_PASSWORD_POLICY, sessionTimeoutMinutes: DEFAULT_SESSION_MINUTES };
  const { sessionTimeoutMinutes, ...policy } = row;
  return { policy, sessionTimeoutMinutes };
}
