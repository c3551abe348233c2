import { http, type RequestOptions } from '../api/client';
import type { WorkspaceChange, WorkspaceChanged, WorkspaceSettings } from './settingsTypes';

export type { BrandingChange, WorkspaceChange, WorkspaceChanged, WorkspaceSettings } from './settingsTypes';

/**
 * The settings page's calls (README "API so far"): the workspace's settings
 * (GET /api/tenant/settings) and one change to its name, branding and settings together
 * (PATCH /api/tenant), written all at once or not at all. The shapes are in ./settingsTypes.ts,
 * which imports nothing that needs a browser (the form's logic and its tests in Node use them).
 */

export const settingsApi = {
  settings: (options?: RequestOptions) => http.get<{ settings: WorkspaceSettings }>('/api/tenant/settings', options),
  change: (change: WorkspaceChange) => http.patch<WorkspaceChanged>('/api/tenant', change),
};
