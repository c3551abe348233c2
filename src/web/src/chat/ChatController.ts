import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { AttachmentView, ChannelView, RoomFrame, StreamFrame, UserView } from '../api/types';
import { newClientId } from '../lib/ids';
import { notices } from '../lib/notices';
import { Store } from '../lib/store';
import { ReconnectingSocket, socketUrl, type SocketStatus } from '../realtime/ReconnectingSocket';
import { PeopleDirectory } from './people';
import { RoomConnection } from './roomConnection';
import { Timeline } from './timeline';

/**
 * The chat's state and its connections, outside React: the channel list (unread counts and
 * mentions kept live by the per-person stream), one Timeline per visited channel, a room socket
 * for the open channel (and for any channel that still has messages waiting to be sent), the
 * outbox, typing and presence. Components read its stores and call its methods.
 *
 * Messages go over the room socket, not REST, while it is open; written while it is not
 * (offline, reconnecting), they wait in order and go out once the socket has caught up.
 */

export interface ChatCallbacks {
  /** The session ended (signed out elsewhere, expired): back to sign-in. */
  onSessionEnded(): void;
  /** The workspace was suspended or cancelled while open. */
  onWorkspaceUnusable(): void;
  /** The open channel is gone (deleted, left, removed): show another. */
  onChannelGone(channelId: string): void;
}

export interface LiveState {
  /** Typing in the open channel: user id → until when (ms). */
  typing: ReadonlyMap<string, number>;
  /** Online in the open channel's room. */
  online: readonly string[];
}

export interface ConnectionState {
  browserOnline: boolean;
  room: SocketStatus | null;
  stream: SocketStatus | null;
}

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOWN_FOR_MS = 6000;
/** A send that went out on a connection that then dropped: wait this long for its echo before resending. */
const RESEND_AFTER_MS = 3000;
const READ_EVERY_MS = 1000;
const OLDER_PAGE_SIZE = 100;

export class ChatController {
  readonly me: Store<UserView>;
  readonly channels: Store<ChannelView[]>;
  /** Mentions of me not yet read, per channel (the stream's `activity.mention`). */
  readonly mentions = new Store<Readonly<Record<string, number>>>({});
  readonly people: PeopleDirectory;
  readonly live = new Store<LiveState>({ typing: new Map(), online: [] });
  readonly connection = new Store<ConnectionState>({ browserOnline: navigator.onLine, room: null, stream: null });

  private readonly timelines = new Map<string, Timeline>();
  private readonly rooms = new Map<string, RoomConnection>();
  private stream: ReconnectingSocket<StreamFrame> | null = null;
  private streamSeq: number | null = null;
  private openId: string | null = null;
  private viewingLatest = true;
  /** When a typing frame last went to each channel (they are sent at most every few seconds). */
  private lastTypingSent = new Map<string, number>();
  private typingTimer: ReturnType<typeof setInterval> | null = null;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private lastReadSentAt = 0;
  private resendTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(
    session: { user: UserView; channels: ChannelView[] },
    private readonly callbacks: ChatCallbacks,
  ) {
    this.me = new Store(session.user);
    this.channels = new Store(sortChannels(session.channels));
    this.people = new PeopleDirectory(session.user);
    this.people.loadFirstPage().catch((err: unknown) => notices.toast(`Could not load the people of this workspace: ${describeError(err)}`));
    this.openStream();
    window.addEventListener('online', this.onBrowserOnline);
    window.addEventListener('offline', this.onBrowserOnline);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  dispose(): void {
    this.disposed = true;
    this.stream?.close();
    for (const r of this.rooms.values()) r.close();
    this.rooms.clear();
    if (this.typingTimer) clearInterval(this.typingTimer);
    if (this.readTimer) clearTimeout(this.readTimer);
    for (const t of this.resendTimers.values()) clearTimeout(t);
    window.removeEventListener('online', this.onBrowserOnline);
    window.removeEventListener('offline', this.onBrowserOnline);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  // ---- channels ----

  channel(id: string): ChannelView | undefined {
    return this.channels.get().find((c) => c.id === id);
  }

  /** The channel to show at `/`: #general if I am in it, else my first channel. */
  defaultChannelId(): string | null {
    const mine = this.channels.get().filter((c) => c.isMember && !c.archivedAt);
    return (mine.find((c) => c.name === 'general' && c.kind === 'public') ?? mine[0])?.id ?? null;
  }

  private upsertChannel(channel: ChannelView): void {
    this.channels.update((list) => sortChannels([...list.filter((c) => c.id !== channel.id), channel]));
  }

  private patchChannel(id: string, fn: (c: ChannelView) => ChannelView): void {
    this.channels.update((list) => list.map((c) => (c.id === id ? fn(c) : c)));
  }

  private dropChannel(id: string): void {
    this.channels.update((list) => list.filter((c) => c.id !== id));
    this.rooms.get(id)?.close();
    this.rooms.delete(id);
    this.timelines.delete(id);
    this.mentions.update((m) => omit(m, id));
    if (this.openId === id) this.callbacks.onChannelGone(id);
  }

  async createChannel(input: { name: string; kind: 'public' | 'private'; topic?: string }): Promise<ChannelView> {
    const { channel } = await api.createChannel(input);
    this.upsertChannel(channel);
    return channel;
  }

  async join(id: string): Promise<void> {
    const { channel } = await api.joinChannel(id);
    this.upsertChannel(channel);
    // A member now: the room socket can be opened (resuming after the history already shown).
    if (this.openId === id) this.ensureRoom(id);
  }

  async leave(id: string): Promise<void> {
    await api.leaveChannel(id);
    const c = this.channel(id);
    this.rooms.get(id)?.close();
    this.rooms.delete(id);
    if (c && c.kind === 'public') this.patchChannel(id, (x) => ({ ...x, isMember: false, memberRole: null, unreadCount: null, lastReadSeq: null }));
    else this.channels.update((list) => list.filter((x) => x.id !== id));
    if (this.openId === id) this.callbacks.onChannelGone(id);
  }

  async archive(id: string): Promise<void> {
    const { channel } = await api.archiveChannel(id);
    this.upsertChannel(channel);
  }

  async unarchive(id: string): Promise<void> {
    const { channel } = await api.unarchiveChannel(id);
    this.upsertChannel(channel);
    if (this.openId === id) this.ensureRoom(id);
  }

  async openDm(userId: string): Promise<ChannelView> {
    const { channel } = await api.openDm(userId);
    this.upsertChannel(channel);
    return channel;
  }

  /** Every channel I may see (public ones I am not in included), for the browser. */
  async refreshChannels(): Promise<void> {
    const { channels } = await api.channels();
    this.channels.set(sortChannels(channels));
  }

  // ---- the open channel ----

  timeline(channelId: string): Timeline {
    let t = this.timelines.get(channelId);
    if (!t) {
      t = new Timeline(channelId, this.channel(channelId)?.lastSeq ?? 0, this.me.get().id);
      this.timelines.set(channelId, t);
    }
    return t;
  }

  open(channelId: string): void {
    if (this.openId === channelId) return;
    const previous = this.openId;
    this.openId = channelId;
    this.viewingLatest = true;
    this.live.set({ typing: new Map(), online: [] });
    const t = this.timeline(channelId);
    if (t.get().history === 'idle' || t.get().history === 'error') void this.loadHistory(channelId);
    this.ensureRoom(channelId);
    if (previous) this.releaseRoom(previous);
    this.mentions.update((m) => omit(m, channelId));
    this.scheduleRead();
  }

  close(channelId: string): void {
    if (this.openId !== channelId) return;
    // What was on screen until now counts as read, even if the debounced mark had not gone yet.
    if (this.readTimer) this.markRead(true);
    this.openId = null;
    this.releaseRoom(channelId);
    this.connection.update((c) => ({ ...c, room: null }));
  }

  async loadHistory(channelId: string): Promise<void> {
    const t = this.timeline(channelId);
    t.setHistoryStatus('loading');
    try {
      const page = await api.messages(channelId);
      t.addPage(page, false);
      this.people.ensure(page.messages.map((m) => m.userId));
    } catch (err) {
      t.setHistoryStatus('error', describeError(err));
    }
  }

  async loadOlder(channelId: string): Promise<void> {
    const t = this.timeline(channelId);
    const s = t.get();
    const oldest = s.messages[0];
    if (!oldest || !s.hasMoreOlder || s.loadingOlder) return;
    t.setLoadingOlder(true);
    try {
      // Pages going back are bigger than the first one: whoever scrolls up reads on.
      const page = await api.messages(channelId, oldest.id, OLDER_PAGE_SIZE);
      t.addPage(page, true);
      this.people.ensure(page.messages.map((m) => m.userId));
    } catch (err) {
      t.setLoadingOlder(false);
      notices.toast(`Could not load older messages: ${describeError(err)}`);
    }
  }

  async openThread(channelId: string, parentId: number): Promise<void> {
    const t = this.timeline(channelId);
    t.threadLoading(parentId);
    try {
      let after: number | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await api.thread(parentId, after);
        t.addThreadPage(res);
        this.people.ensure([res.parent.userId, ...res.replies.map((r) => r.userId)]);
        const last = res.replies[res.replies.length - 1];
        if (!res.hasMore || !last) break;
        after = last.id;
      }
    } catch (err) {
      t.threadFailed(parentId, describeError(err));
    }
  }

  /** The message list says whether the newest message is on screen (then it counts as read). */
  setViewingLatest(viewing: boolean): void {
    this.viewingLatest = viewing;
    if (viewing) this.scheduleRead();
  }

  // ---- rooms ----

  private ensureRoom(channelId: string): void {
    const c = this.channel(channelId);
    if (!c || !c.isMember || c.archivedAt || this.rooms.has(channelId)) {
      if (this.openId === channelId) this.connection.update((s) => ({ ...s, room: this.rooms.get(channelId)?.status ?? null }));
      return;
    }
    const t = this.timeline(channelId);
    const room = new RoomConnection(t, {
      onFrame: (f) => this.onRoomFrame(channelId, f),
      onCaughtUp: (resumed) => {
        this.flush(channelId);
        // Opening a channel reads it: at once, not after a delay one may not stay for.
        if (this.openId === channelId) this.markRead(true);
        // A replay brings the messages missed, not the edits, deletions and reactions made to
        // others meanwhile: the newest page, read once, brings those of what is on screen.
        if (resumed && t.get().history === 'ready') void this.refreshRecent(channelId);
      },
      onStatus: (s) => {
        if (this.openId !== channelId) return;
        this.connection.update((c) => ({ ...c, room: s }));
        // Who is here is known only while connected: nobody is shown online from a dropped socket.
        if (s !== 'open') this.live.set({ typing: new Map(), online: [] });
      },
      onTerminal: (code) => void this.onRoomClosed(channelId, code),
      onTruncated: () => {
        t.resetHistory();
        void this.loadHistory(channelId);
      },
    });
    this.rooms.set(channelId, room);
    if (this.openId === channelId) this.connection.update((s) => ({ ...s, room: room.status }));
  }

  /**
   * Closes a room we no longer look at, unless it still has sends to deliver. Its timeline goes
   * too: what changed in the channel while nobody here listened (edits, reactions) would be
   * missing from it; the next visit reads the channel afresh.
   */
  private releaseRoom(channelId: string): void {
    if (this.openId === channelId) return;
    const t = this.timelines.get(channelId);
    if (t && t.get().pending.some((p) => p.state !== 'failed')) return;
    this.rooms.get(channelId)?.close();
    this.rooms.delete(channelId);
    this.timelines.delete(channelId);
  }

  private async refreshRecent(channelId: string): Promise<void> {
    try {
      const page = await api.messages(channelId);
      this.timelines.get(channelId)?.addPage(page, false);
    } catch (err) {
      notices.toast(`Could not refresh the latest messages: ${describeError(err)}`);
    }
  }

  private async onRoomClosed(channelId: string, code: number): Promise<void> {
    this.rooms.delete(channelId);
    if (code === 4401) return this.callbacks.onSessionEnded();
    if (code === 4403) return this.callbacks.onWorkspaceUnusable();
    if (code === 4004) return this.dropChannel(channelId);
    // 4003: removed from the channel, or signed out everywhere. Ask which.
    try {
      const { channel } = await api.channel(channelId);
      this.upsertChannel(channel);
      if (!channel.isMember && this.openId === channelId) notices.toast(`You are no longer a member of #${channel.name}.`, 'info');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.callbacks.onSessionEnded();
      if (err instanceof ApiError && err.status === 404) return this.dropChannel(channelId);
      notices.toast(describeError(err));
    }
  }

  private onRoomFrame(channelId: string, f: RoomFrame): void {
    const t = this.timeline(channelId);
    const isOpen = this.openId === channelId;
    switch (f.type) {
      case 'ready':
        if (isOpen) this.live.update((l) => ({ ...l, online: f.online }));
        return;
      case 'message.created': {
        t.applyCreated(f.message);
        this.people.ensure([f.message.userId]);
        // The room moves an author's read position with their own message: no read frame needed.
        const mine = f.message.userId === this.me.get().id;
        this.patchChannel(channelId, (c) => ({
          ...c,
          lastSeq: Math.max(c.lastSeq, f.message.seq),
          lastMessageAt: f.message.createdAt,
          ...(mine ? { lastReadSeq: Math.max(c.lastReadSeq ?? 0, f.message.seq), unreadCount: Math.max(0, Math.max(c.lastSeq, f.message.seq) - Math.max(c.lastReadSeq ?? 0, f.message.seq)) } : {}),
        }));
        if (isOpen) {
          this.clearTyping(f.message.userId);
          if (!mine) this.scheduleRead();
        }
        return;
      }
      case 'message.updated':
        return t.applyUpdated(f.message);
      case 'message.deleted':
        return t.applyDeleted(f.messageId, f.deletedAt);
      case 'thread.reply':
        return t.applyThreadReply(f.parentId, f.replyCount, f.lastReplyAt);
      case 'reaction.added':
      case 'reaction.removed':
        return t.applyReaction(f.messageId, f.emoji, f.userId, f.type === 'reaction.added');
      case 'typing':
        if (isOpen && f.userId !== this.me.get().id) {
          this.people.ensure([f.userId]);
          this.live.update((l) => ({ ...l, typing: new Map(l.typing).set(f.userId, Date.now() + TYPING_SHOWN_FOR_MS) }));
          this.startTypingSweep();
        }
        return;
      case 'presence':
        if (isOpen) this.live.update((l) => ({ ...l, online: f.online }));
        return;
      case 'read':
        if (f.userId === this.me.get().id) this.applyRead(channelId, f.seq);
        return;
      case 'error':
        return this.onRoomError(channelId, f);
      case 'pong':
      case 'replay.truncated':
        return;
    }
  }

  private onRoomError(channelId: string, f: Extract<RoomFrame, { type: 'error' }>): void {
    const t = this.timeline(channelId);
    if (f.code === 'replay_failed') {
      t.resetHistory();
      void this.loadHistory(channelId);
      return;
    }
    // A refused message names its clientId. A frame the server could not parse does not:
    // frames are answered in order, so it is the oldest one still waiting on this connection.
    const target = f.clientId ? t.get().pending.find((p) => p.clientId === f.clientId) : f.code === 'bad_frame' ? t.get().pending.find((p) => p.state === 'sending') : undefined;
    if (!target) {
      notices.toast(f.message);
      return;
    }
    const retryAfter = (f.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (f.code === 'rate_limited' && retryAfter !== undefined) {
      t.updatePending(target.clientId, { state: 'queued', sentAt: null, serial: null });
      notices.rateLimited(Date.now() + retryAfter * 1000);
      setTimeout(() => this.flush(channelId), retryAfter * 1000);
      return;
    }
    t.updatePending(target.clientId, { state: 'failed', error: f.message });
  }

  // ---- sending ----

  send(channelId: string, text: string, parentId: number | null = null, attachments: AttachmentView[] = []): void {
    const t = this.timeline(channelId);
    t.addPending({
      clientId: newClientId(),
      channelId,
      parentId,
      userId: this.me.get().id,
      text,
      attachments,
      createdAt: new Date().toISOString(),
      state: 'queued',
      sentAt: null,
      serial: null,
      error: null,
    });
    // The others stop seeing "typing" when the message arrives; the next words say so again at once.
    this.lastTypingSent.delete(channelId);
    this.ensureRoom(channelId);
    this.flush(channelId);
  }

  retry(channelId: string, clientId: string): void {
    this.timeline(channelId).updatePending(clientId, { state: 'queued', error: null, sentAt: null, serial: null });
    this.flush(channelId);
  }

  discard(channelId: string, clientId: string): void {
    this.timeline(channelId).removePending(clientId);
    this.releaseRoom(channelId);
  }

  /** Sends what waits, in order, on a caught-up connection. */
  private flush(channelId: string): void {
    const room = this.rooms.get(channelId);
    const t = this.timelines.get(channelId);
    if (!room || !t || !room.caughtUp) return;
    const now = Date.now();
    let waitUntil: number | null = null;
    for (const p of t.get().pending) {
      if (p.state === 'failed') continue;
      if (p.state === 'sending') {
        // Sent on this connection: its echo is on the way. Sent on one that dropped: it may have
        // been stored just before (then the replay or a late broadcast brings it); wait a little.
        if (p.serial === room.serial) continue;
        if (p.sentAt !== null && now - p.sentAt < RESEND_AFTER_MS) {
          waitUntil = Math.min(waitUntil ?? Infinity, p.sentAt + RESEND_AFTER_MS);
          break; // keep the order: nothing after it goes first
        }
      }
      const frame = { type: 'message', text: p.text, clientId: p.clientId, ...(p.parentId !== null ? { parentId: p.parentId } : {}), ...(p.attachments.length ? { attachmentIds: p.attachments.map((a) => a.id) } : {}) };
      if (!room.send(frame)) return;
      t.updatePending(p.clientId, { state: 'sending', sentAt: now, serial: room.serial });
    }
    if (waitUntil !== null) {
      clearTimeout(this.resendTimers.get(channelId));
      this.resendTimers.set(channelId, setTimeout(() => this.flush(channelId), waitUntil - now + 10));
    } else if (this.openId !== channelId && !t.get().pending.some((p) => p.state !== 'failed')) {
      this.releaseRoom(channelId);
    }
  }

  // ---- typing, reading ----

  typing(channelId: string): void {
    const now = Date.now();
    if (now - (this.lastTypingSent.get(channelId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    if (this.rooms.get(channelId)?.send({ type: 'typing' })) this.lastTypingSent.set(channelId, now);
  }

  private clearTyping(userId: string): void {
    if (!this.live.get().typing.has(userId)) return;
    this.live.update((l) => {
      const typing = new Map(l.typing);
      typing.delete(userId);
      return { ...l, typing };
    });
  }

  private startTypingSweep(): void {
    if (this.typingTimer) return;
    this.typingTimer = setInterval(() => {
      const now = Date.now();
      const l = this.live.get();
      const typing = new Map([...l.typing].filter(([, until]) => until > now));
      if (typing.size !== l.typing.size) this.live.set({ ...l, typing });
      if (!typing.size && this.typingTimer) {
        clearInterval(this.typingTimer);
        this.typingTimer = null;
      }
    }, 1000);
  }

  /**
   * Marks the open channel read up to what is shown, when the person can see it (over the
   * socket). At most about once a second while messages stream in: each mark is a write.
   */
  private scheduleRead(): void {
    if (this.readTimer) return;
    const delay = Date.now() - this.lastReadSentAt < READ_EVERY_MS ? READ_EVERY_MS : 250;
    this.readTimer = setTimeout(() => this.markRead(false), delay);
  }

  /** Sends the open channel's read position if the person can see its newest message. */
  private markRead(now: boolean): void {
    if (this.readTimer && !now) this.readTimer = null;
    if (now && this.readTimer) {
      clearTimeout(this.readTimer);
      this.readTimer = null;
    }
    const id = this.openId;
    if (!id || !this.viewingLatest || document.visibilityState !== 'visible') return;
    const c = this.channel(id);
    const room = this.rooms.get(id);
    const t = this.timelines.get(id);
    if (!c || !room || !t || !room.caughtUp) return;
    const seq = t.seenSeq;
    if ((c.lastReadSeq ?? 0) >= seq && !c.unreadCount) return;
    if (room.send({ type: 'read', seq })) {
      this.lastReadSentAt = Date.now();
      this.applyRead(id, seq);
    }
  }

  private applyRead(channelId: string, seq: number): void {
    this.patchChannel(channelId, (c) => {
      const lastReadSeq = Math.max(c.lastReadSeq ?? 0, seq);
      return { ...c, lastReadSeq, unreadCount: Math.max(0, c.lastSeq - lastReadSeq) };
    });
    if ((this.channel(channelId)?.unreadCount ?? 0) === 0) this.mentions.update((m) => omit(m, channelId));
  }

  // ---- changing messages (REST) ----

  async edit(channelId: string, messageId: number, text: string): Promise<void> {
    const { message } = await api.editMessage(messageId, text);
    this.timeline(channelId).applyUpdated(message);
  }

  async remove(channelId: string, messageId: number): Promise<void> {
    const { message } = await api.deleteMessage(messageId);
    this.timeline(channelId).applyDeleted(message.id, message.deletedAt ?? new Date().toISOString());
  }

  /** Adds my reaction, or takes it back; shown at once, undone if the server refuses. */
  async toggleReaction(channelId: string, messageId: number, emoji: string): Promise<void> {
    const t = this.timeline(channelId);
    const me = this.me.get().id;
    const message = t.find(messageId);
    if (!message) return;
    const mine = message.reactions.some((r) => r.emoji === emoji && r.users.includes(me));
    t.applyReaction(messageId, emoji, me, !mine);
    try {
      if (mine) await api.removeReaction(messageId, emoji);
      else await api.addReaction(messageId, emoji);
    } catch (err) {
      t.applyReaction(messageId, emoji, me, mine);
      throw err;
    }
  }

  // ---- the per-person stream ----

  private openStream(): void {
    this.stream = new ReconnectingSocket<StreamFrame>({
      url: () => socketUrl(`/api/me/stream${this.streamSeq !== null ? `?since=${this.streamSeq}` : ''}`),
      onFrame: (f) => this.onStreamFrame(f),
      onStatus: (s) => this.connection.update((c) => ({ ...c, stream: s })),
      onTerminal: (code) => {
        if (code === 4403) this.callbacks.onWorkspaceUnusable();
        else this.callbacks.onSessionEnded();
      },
    });
  }

  private onStreamFrame(f: StreamFrame): void {
    if ('seq' in f) this.streamSeq = Math.max(this.streamSeq ?? 0, f.seq);
    const me = this.me.get().id;
    switch (f.type) {
      case 'activity': {
        const c = this.channel(f.channelId);
        if (!c) return;
        const seen = this.openId === f.channelId && this.viewingLatest && document.visibilityState === 'visible' && this.rooms.get(f.channelId)?.caughtUp;
        this.patchChannel(f.channelId, (x) => {
          const lastSeq = Math.max(x.lastSeq, f.messageSeq);
          if (f.authorId === me) {
            const lastReadSeq = Math.max(x.lastReadSeq ?? 0, f.messageSeq);
            return { ...x, lastSeq, lastMessageAt: f.at, lastReadSeq, unreadCount: Math.max(0, lastSeq - lastReadSeq) };
          }
          if (seen || f.messageSeq <= x.lastSeq) return { ...x, lastSeq, lastMessageAt: f.at };
          // Counted from the sequence, as the server counts it, not incremented: an event missed
          // (between the bootstrap and the stream's start) corrects itself with the next one.
          return { ...x, lastSeq, lastMessageAt: f.at, unreadCount: Math.max(0, lastSeq - (x.lastReadSeq ?? 0)) };
        });
        if (f.mention && f.authorId !== me && !seen) this.mentions.update((m) => ({ ...m, [f.channelId]: (m[f.channelId] ?? 0) + 1 }));
        return;
      }
      case 'channel.added':
      case 'channel.updated': {
        this.upsertChannel(f.channel);
        if (f.channel.dmWith) this.people.ensure([f.channel.dmWith.id]);
        if (this.openId === f.channel.id) {
          if (f.channel.archivedAt || !f.channel.isMember) {
            this.rooms.get(f.channel.id)?.close();
            this.rooms.delete(f.channel.id);
          } else this.ensureRoom(f.channel.id);
        }
        return;
      }
      case 'channel.removed':
        return this.dropChannel(f.channelId);
      case 'read':
        return this.applyRead(f.channelId, f.lastReadSeq);
      case 'resync':
        void this.resync();
        return;
      case 'error':
        // Only a malformed frame of ours is answered so; the stream goes on.
        console.warn(`person stream: ${f.code}: ${f.message}`);
        return;
      case 'ready':
      case 'pong':
        return;
    }
  }

  /** Away too long for the stream to replay: the channel list is read again (one bootstrap). */
  private async resync(): Promise<void> {
    try {
      const res = await api.bootstrap();
      if (this.disposed) return;
      if (res.session) {
        this.me.set(res.session.user);
        this.channels.set(sortChannels(res.session.channels));
        this.mentions.set({});
      } else if (res.session === null) this.callbacks.onSessionEnded();
      else await this.refreshChannels();
    } catch (err) {
      notices.toast(`Could not refresh your channels: ${describeError(err)}`);
    }
  }

  private readonly onBrowserOnline = () => {
    this.connection.update((c) => ({ ...c, browserOnline: navigator.onLine }));
  };

  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') this.scheduleRead();
  };
}

function omit<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const next = { ...record };
  delete next[key];
  return next;
}

/** Channels by name, direct messages by the other person's name. */
export function sortChannels(list: ChannelView[]): ChannelView[] {
  const label = (c: ChannelView) => (c.kind === 'direct' ? (c.dmWith?.displayName ?? c.name) : c.name).toLowerCase();
  return [...list].sort((a, b) => label(a).localeCompare(label(b)));
}
