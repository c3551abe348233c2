import type { TenantSettingsRow } from '../db/schema';

export type PasswordPolicy = Pick<TenantSettingsRow, 'passwordMinLength' | 'passwordRequireMixed' | 'passwordRequireDigit'>;

/** What a new workspace starts with (tenant_settings defaults in migrations/public/0002). */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { passwordMinLength: 8, passwordRequireMixed: false, passwordRequireDigit: false };

/** PBKDF2 hashes any length, but a megabyte of "password" is a denial-of-service vector. */
export const PASSWORD_MAX_LENGTH = 256;

/** The problems with a password under a policy; empty when it is acceptable. */
export function passwordProblems(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string[] {
  const problems: string[] = [];
  if (password.length < policy.passwordMinLength) problems.push(`must be at least ${policy.passwordMinLength} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (policy.passwordRequireMixed && !(/[a-z]/.test(password) && /[A-Z]/.test(password))) problems.push('must mix upper and lower case letters');
  if (policy.passwordRequireDigit && !/\d/.test(password)) problems.push('must contain a digit');
  return problems;
}
