import type { FeatureName, LimitName, PlanId } from '../api/types';
import { formatBytes, formatCount } from './format';

/** Plans, limits and features as the app names them (the API's ids are not for people). */
export const PLAN_NAMES: Record<PlanId, string> = { free: 'Free', pro: 'Pro', enterprise: 'Enterprise', custom: 'Custom' };

export function planName(id: string): string {
  return PLAN_NAMES[id as PlanId] ?? id;
}

export const LIMIT_LABELS: Record<LimitName, string> = {
  users: 'People',
  channels: 'Channels',
  storageBytes: 'Storage',
  apiCallsPerMonth: 'API calls a month',
  requestsPerMinute: 'Requests a minute',
  uploadBytes: 'Largest upload',
  customDomains: 'Custom domains',
};

/** A limit's value as people read it; null is unlimited. */
export function formatLimit(key: LimitName, value: number | null): string {
  if (value === null) return 'Unlimited';
  return key === 'storageBytes' || key === 'uploadBytes' ? formatBytes(value) : formatCount(value);
}

export const FEATURE_LABELS: Record<FeatureName, string> = {
  publicChannels: 'Public channels',
  privateChannels: 'Private channels',
  directMessages: 'Direct messages',
  threads: 'Threads',
  reactions: 'Reactions',
  fileUploads: 'File uploads',
  search: 'Message search',
  analytics: 'Usage history',
  auditLog: 'Audit log',
  customBranding: 'Custom branding',
  customDomains: 'Custom domains',
  apiAccess: 'API access',
  sso: 'Single sign-on',
  prioritySupport: 'Priority support',
};
