/**
 * What was written and not sent, per workspace, person, channel and thread: kept in memory while
 * the tab lives (one looks elsewhere and comes back to it). Keyed by the person as well, so a
 * draft never shows up for someone else who signs in in the same tab; cleared on sign-out.
 */

export interface DraftPlace {
  workspaceId: string;
  userId: string;
  channelId: string;
  parentId: number | null;
}

const drafts = new Map<string, string>();

export function draftKey(p: DraftPlace): string {
  return JSON.stringify([p.workspaceId, p.userId, p.channelId, p.parentId]);
}

export const draftStore = {
  get: (key: string): string => drafts.get(key) ?? '',
  set(key: string, text: string): void {
    if (text) drafts.set(key, text);
    else drafts.delete(key);
  },
  /** Signing out: nothing written here is left for whoever uses the tab next. */
  clear(): void {
    drafts.clear();
  },
};
