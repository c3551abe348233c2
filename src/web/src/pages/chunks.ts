import { chunk } from '../lib/chunk';

/** The chat's code chunk: loaded on demand, and ahead of time from the sign-in page. */
export const chatChunk = chunk(() => import('../chat/ChatApp'));

/** The workspace admin pages (members, billing, usage, …): owners and admins only. */
export const adminChunk = chunk(() => import('../admin/AdminApp'));

/** The operator console, on the platform host. */
export const operatorChunk = chunk(() => import('../operator/OperatorApp'));

export function preloadChat(): void {
  chatChunk.preload();
}
