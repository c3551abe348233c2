import type { ChannelView } from '../api/types';

/**
 * A channel's position and unread count, changed in one place. The count is what the server
 * counts: the messages after the person's read position (`lastSeq − lastReadSeq`), none for a
 * channel one is not in. It is always worked out from the two positions, never incremented, and
 * each position only moves forward: so the room's `message.created` and the stream's `activity`
 * for the same message give the same channel in either order, and a missed or repeated event
 * corrects itself with the next one.
 */

export function unreadCount(c: Pick<ChannelView, 'isMember' | 'lastSeq' | 'lastReadSeq'>): number | null {
  return c.isMember ? Math.max(0, c.lastSeq - (c.lastReadSeq ?? 0)) : null;
}

/** A message stored in the channel (`mine`: the room moved my read position with it). */
export function withMessage(c: ChannelView, m: { seq: number; at: string; mine: boolean }): ChannelView {
  return settle(c, {
    lastSeq: Math.max(c.lastSeq, m.seq),
    lastReadSeq: m.mine && c.isMember ? Math.max(c.lastReadSeq ?? 0, m.seq) : c.lastReadSeq,
    lastMessageAt: c.lastMessageAt === null || m.at > c.lastMessageAt ? m.at : c.lastMessageAt,
  });
}

/** The person read the channel up to `seq` (here, or on another device). */
export function withRead(c: ChannelView, seq: number): ChannelView {
  if (!c.isMember) return c;
  return settle(c, { lastSeq: c.lastSeq, lastReadSeq: Math.max(c.lastReadSeq ?? 0, seq), lastMessageAt: c.lastMessageAt });
}

/**
 * The server's newer view of a channel (a stream's `channel.updated`, a refetch): its name,
 * membership and state, with positions that do not go back behind what this browser has seen.
 */
export function withServerView(known: ChannelView | undefined, fresh: ChannelView): ChannelView {
  if (!known || !fresh.isMember || !known.isMember) return fresh;
  return settle(fresh, {
    lastSeq: Math.max(known.lastSeq, fresh.lastSeq),
    lastReadSeq: Math.max(known.lastReadSeq ?? 0, fresh.lastReadSeq ?? 0),
    lastMessageAt: known.lastMessageAt !== null && (fresh.lastMessageAt === null || known.lastMessageAt > fresh.lastMessageAt) ? known.lastMessageAt : fresh.lastMessageAt,
  });
}

/** `c` with these positions and the count they make; `c` itself when nothing changed. */
function settle(c: ChannelView, p: Pick<ChannelView, 'lastSeq' | 'lastReadSeq' | 'lastMessageAt'>): ChannelView {
  const unread = unreadCount({ isMember: c.isMember, ...p });
  if (p.lastSeq === c.lastSeq && p.lastReadSeq === c.lastReadSeq && p.lastMessageAt === c.lastMessageAt && unread === c.unreadCount) return c;
  return { ...c, ...p, unreadCount: unread };
}
