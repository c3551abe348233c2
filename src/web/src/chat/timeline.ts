import type { AttachmentView, ChatMessage, MessagePage, ThreadPage } from '../api/types';
import { Store } from '../lib/store';

/**
 * One channel's messages as this browser knows them: REST pages (history, threads), room frames
 * (live and replayed) and optimistic sends, merged without duplicates. A stored message replaces
 * the optimistic one with its `clientId`; a message already known by id is replaced, never
 * added twice. The channel's top-level messages are kept in sequence order; thread replies live
 * with their thread, once it is opened.
 */

export interface PendingMessage {
  clientId: string;
  channelId: string;
  parentId: number | null;
  userId: string;
  text: string;
  attachments: AttachmentView[];
  createdAt: string;
  /** queued: not sent yet (offline, connecting); sending: on a socket, not confirmed; failed: refused. */
  state: 'queued' | 'sending' | 'failed';
  sentAt: number | null;
  /** The room connection it was last sent on (a resend happens only on a later one). */
  serial: number | null;
  error: string | null;
}

export interface ThreadState {
  parent: ChatMessage | null;
  replies: ChatMessage[];
  status: 'loading' | 'ready' | 'error';
  error: string | null;
}

export interface TimelineState {
  /** Top-level messages, oldest first. */
  messages: ChatMessage[];
  /** Sends not yet stored, in the order they were written (top-level and replies). */
  pending: PendingMessage[];
  threads: ReadonlyMap<number, ThreadState>;
  history: 'idle' | 'loading' | 'ready' | 'error';
  historyError: string | null;
  hasMoreOlder: boolean;
  loadingOlder: boolean;
}

const EMPTY: TimelineState = {
  messages: [],
  pending: [],
  threads: new Map(),
  history: 'idle',
  historyError: null,
  hasMoreOlder: false,
  loadingOlder: false,
};

export class Timeline extends Store<TimelineState> {
  /**
   * The highest sequence number the room socket has delivered without a gap: what the next
   * connection resumes from (`?since=`). Starts at the channel's lastSeq when history comes
   * from REST (everything up to it is in the pages; anything later the socket replays).
   */
  seenSeq: number;

  constructor(
    readonly channelId: string,
    startSeq: number,
    private readonly me: string,
  ) {
    super(EMPTY);
    this.seenSeq = startSeq;
  }

  // ---- REST pages ----

  /** A page of history (newest first from the API); `older` pages go above what is shown. */
  addPage(page: MessagePage, older: boolean): void {
    this.update((s) => {
      let messages = s.messages;
      for (const m of page.messages) messages = upsertBySeq(messages, m);
      return { ...s, messages, history: 'ready', historyError: null, loadingOlder: false, hasMoreOlder: older || s.history !== 'ready' ? page.hasMore : s.hasMoreOlder };
    });
  }

  setHistoryStatus(history: TimelineState['history'], error: string | null = null): void {
    this.update((s) => ({ ...s, history, historyError: error }));
  }

  setLoadingOlder(loadingOlder: boolean): void {
    this.update((s) => ({ ...s, loadingOlder }));
  }

  /** Forgets the loaded history (after a replay too long to send, or one that failed): it is fetched again. */
  resetHistory(): void {
    this.update((s) => ({ ...s, messages: [], history: 'idle', hasMoreOlder: false }));
  }

  /**
   * Kept while nobody listens to the channel, for its messages that were not sent: everything
   * else is forgotten (edits and reactions made meanwhile would be missing) and read afresh on
   * the next visit, which resumes the room from `seq`.
   */
  restart(seq: number): void {
    this.seenSeq = seq;
    this.update((s) => ({ ...EMPTY, pending: s.pending }));
  }

  threadLoading(parentId: number): void {
    this.update((s) => {
      const existing = s.threads.get(parentId);
      return withThread(s, parentId, { parent: existing?.parent ?? findById(s.messages, parentId), replies: existing?.replies ?? [], status: 'loading', error: null });
    });
  }

  addThreadPage(page: ThreadPage): void {
    this.update((s) => {
      const existing = s.threads.get(page.parent.id);
      let replies = existing?.replies ?? [];
      for (const r of page.replies) replies = upsertBySeq(replies, r);
      const messages = s.messages.some((m) => m.id === page.parent.id) ? upsertBySeq(s.messages, page.parent) : s.messages;
      return withThread({ ...s, messages }, page.parent.id, { parent: page.parent, replies, status: page.hasMore ? 'loading' : 'ready', error: null });
    });
  }

  threadFailed(parentId: number, error: string): void {
    this.update((s) => {
      const t = s.threads.get(parentId);
      return withThread(s, parentId, { parent: t?.parent ?? null, replies: t?.replies ?? [], status: 'error', error });
    });
  }

  // ---- room frames ----

  applyCreated(message: ChatMessage): void {
    this.update((s) => {
      const pending = message.clientId && message.userId === this.me ? s.pending.filter((p) => p.clientId !== message.clientId) : s.pending;
      if (message.parentId === null) return { ...s, pending, messages: upsertBySeq(s.messages, message) };
      const thread = s.threads.get(message.parentId);
      const known = thread?.replies.some((r) => r.id === message.id) ?? false;
      let next: TimelineState = { ...s, pending };
      if (thread) next = withThread(next, message.parentId, { ...thread, replies: upsertBySeq(thread.replies, message) });
      if (!known) {
        // A reply the parent's count does not include yet (newer than its last reply): count it.
        // The room's thread.reply frame, when it comes, sets the exact figures.
        next = mapMessage(next, message.parentId, (p) =>
          p.lastReplyAt === null || message.createdAt > p.lastReplyAt ? { ...p, replyCount: p.replyCount + 1, lastReplyAt: message.createdAt } : p,
        );
      }
      return next;
    });
  }

  applyUpdated(message: ChatMessage): void {
    this.update((s) => mapMessage(s, message.id, () => message));
  }

  applyDeleted(messageId: number, deletedAt: string): void {
    this.update((s) => mapMessage(s, messageId, (m) => ({ ...m, deleted: true, deletedAt, text: '', reactions: [], attachments: [], mentions: [] })));
  }

  applyThreadReply(parentId: number, replyCount: number, lastReplyAt: string | null): void {
    this.update((s) => mapMessage(s, parentId, (m) => ({ ...m, replyCount, lastReplyAt })));
  }

  applyReaction(messageId: number, emoji: string, userId: string, added: boolean): void {
    this.update((s) => mapMessage(s, messageId, (m) => ({ ...m, reactions: withReaction(m.reactions, emoji, userId, added) })));
  }

  // ---- optimistic sends ----

  addPending(p: PendingMessage): void {
    this.update((s) => ({ ...s, pending: [...s.pending, p] }));
  }

  updatePending(clientId: string, patch: Partial<PendingMessage>): void {
    this.update((s) => ({ ...s, pending: s.pending.map((p) => (p.clientId === clientId ? { ...p, ...patch } : p)) }));
  }

  /** Every message still waiting to go out is refused for `reason` (shown beside it); how many were. */
  failUnsent(reason: string): number {
    const unsent = this.get().pending.filter((p) => p.state !== 'failed').length;
    if (unsent) this.update((s) => ({ ...s, pending: s.pending.map((p) => (p.state === 'failed' ? p : { ...p, state: 'failed', error: reason, sentAt: null, serial: null })) }));
    return unsent;
  }

  /** Messages written here that are still to be sent (queued or on their way). */
  hasUnsent(): boolean {
    return this.get().pending.some((p) => p.state !== 'failed');
  }

  removePending(clientId: string): void {
    this.update((s) => ({ ...s, pending: s.pending.filter((p) => p.clientId !== clientId) }));
  }

  /** A message as shown anywhere in this channel (timeline or an open thread). */
  find(messageId: number): ChatMessage | null {
    const s = this.get();
    const top = findById(s.messages, messageId);
    if (top) return top;
    for (const t of s.threads.values()) {
      if (t.parent?.id === messageId) return t.parent;
      const r = t.replies.find((x) => x.id === messageId);
      if (r) return r;
    }
    return null;
  }
}

/** Inserts or replaces `m` in a list kept in sequence order (new messages usually go last). */
export function upsertBySeq(list: ChatMessage[], m: ChatMessage): ChatMessage[] {
  const last = list[list.length - 1];
  if (!last || last.seq < m.seq) return [...list, m];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < m.seq) lo = mid + 1;
    else hi = mid;
  }
  const next = list.slice();
  if (list[lo]?.seq === m.seq) next[lo] = m;
  else next.splice(lo, 0, m);
  return next;
}

function findById(list: ChatMessage[], id: number): ChatMessage | null {
  // Ids rise with sequence within a channel: look from the end, where activity is.
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.id === id) return list[i]!;
  return null;
}

function withThread(s: TimelineState, parentId: number, t: ThreadState): TimelineState {
  const threads = new Map(s.threads);
  threads.set(parentId, t);
  return { ...s, threads };
}

/** Applies `fn` to the message with `id` wherever it is shown: the timeline, a thread's parent or replies. */
function mapMessage(s: TimelineState, id: number, fn: (m: ChatMessage) => ChatMessage): TimelineState {
  let changed = false;
  let messages = s.messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.id === id) {
      messages = messages.slice();
      messages[i] = fn(messages[i]!);
      changed = true;
      break;
    }
  }
  let threads: Map<number, ThreadState> | null = null;
  for (const [pid, t] of s.threads) {
    const parentHit = t.parent?.id === id;
    const idx = t.replies.findIndex((r) => r.id === id);
    if (!parentHit && idx < 0) continue;
    threads ??= new Map(s.threads);
    const replies = idx < 0 ? t.replies : t.replies.map((r, i) => (i === idx ? fn(r) : r));
    threads.set(pid, { ...t, parent: parentHit && t.parent ? fn(t.parent) : t.parent, replies });
    changed = true;
  }
  return changed ? { ...s, messages, threads: threads ?? s.threads } : s;
}

export function withReaction(reactions: ChatMessage['reactions'], emoji: string, userId: string, added: boolean): ChatMessage['reactions'] {
  const existing = reactions.find((r) => r.emoji === emoji);
  if (added) {
    if (existing?.users.includes(userId)) return reactions;
    if (existing) return reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count + 1, users: [...r.users, userId] } : r));
    return [...reactions, { emoji, count: 1, users: [userId] }];
  }
  if (!existing?.users.includes(userId)) return reactions;
  if (existing.count <= 1) return reactions.filter((r) => r.emoji !== emoji);
  return reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count - 1, users: r.users.filter((u) => u !== userId) } : r));
}
