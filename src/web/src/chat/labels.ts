import type { ChannelView } from '../api/types';

/** How a channel is named to people: `#name`, or the other person's name for a direct message. */
export function channelLabel(c: ChannelView): string {
  return c.kind === 'direct' ? (c.dmWith?.displayName ?? c.name) : `#${c.name}`;
}

/** Why nothing can be posted in the channel now, as the sentence a "Not sent" message shows; null if one can. */
export function postingBlockedReason(c: ChannelView | undefined): string | null {
  if (!c || !c.isMember) return UNSENT.notMember;
  if (c.archivedAt) return UNSENT.archived;
  return null;
}

/** The reasons a written message could not be sent, as the person reads them beside it. */
export const UNSENT = {
  archived: 'The channel was archived',
  notMember: 'You are no longer in this channel',
  deleted: 'The channel was deleted',
  signedOut: 'Sign in again to send',
  workspace: 'This workspace cannot be used right now',
} as const;
