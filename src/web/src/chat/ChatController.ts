import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { AttachmentView, ChannelView, MessagePage, RoomFrame, StreamFrame, UserView } from '../api/types';
import { newClientId } from '../lib/ids';
import { notices } from '../lib/notices';
import { Store } from '../lib/store';
import { ReconnectingSocket, socketUrl, type SocketStatus } from '../realtime/ReconnectingSocket';
import { channelLabel, postingBlockedReason, UNSENT } from './labels';
import { PeopleDirectory } from './people';
import { RoomConnection } from './roomConnection';
import { checkSession, sessionStateOf } from './sessionCheck';
import { Timeline } from './timeline';
import { withMessage, withRead, withServerView } from './unread';

/**
 * The chat's state and its connections, outside React: the channel list (unread counts and
 * mentions kept live by the per-person stream), one Timeline per visited channel, a room socket
 * for the open channel (and for any channel that still has messages waiting to be sent), the
 * outbox, typing and presence. Components read its stores and call its methods.
 *
 * Messages go over the room socket, not REST, while it is open; written while it is not
 * (offline, reconnecting), they wait in order and go out once the socket has caught up. When
 * they cannot go at all (the channel archived, left, deleted; the session ended) they are marked
 * "Not sent" with the reason, and stay until the person retries or discards them.
 */

export interface ChatCallbacks {
  /** The session ended (signed out elsewhere, expired, or by this tab's own sign-out): back to sign-in. */
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
  /**
   * This tab is signing out: the closes it brings (the stream's and rooms' 4003, which come
   * before the logout's answer) are that sign-out, not a session that "ended" to be looked into.
   * `closed`: such a close came (the sign-out took effect, whatever the answer says).
   */
  private signingOut: { closed: boolean } | null = null;

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

  // ---- signing out ----

  beginSignOut(): void {
    this.signingOut = { closed: false };
  }

  /** Whether the server has closed this session's sockets since beginSignOut (so it is signed out). */
  signOutTookEffect(): boolean {
    return this.signingOut?.closed ?? false;
  }

  /** The sign-out did not happen: closes are news again. */
  cancelSignOut(): void {
    this.signingOut = null;
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

  /** The server's view of a channel (positions never go back: see unread.ts). */
  private upsertChannel(channel: ChannelView): void {
    this.channels.update((list) => sortChannels([...list.filter((c) => c.id !== channel.id), withServerView(list.find((c) => c.id === channel.id), channel)]));
  }

  private patchChannel(id: string, fn: (c: ChannelView) => ChannelView): void {
    this.channels.update((list) => {
      let changed = false;
      const next = list.map((c) => {
        if (c.id !== id) return c;
        const patched = fn(c);
        changed ||= patched !== c;
        return patched;
      });
      return changed ? next : list;
    });
  }

  /**
   * The channel is gone for me (deleted, removed from it). What I wrote there and could not send
   * is said in a toast: the channel, and so its "Not sent" messages, cannot be shown any more.
   */
  private dropChannel(id: string, reason: string): void {
    const c = this.channel(id);
    const unsent = this.timelines.get(id)?.failUnsent(reason) ?? 0;
    if (unsent) notices.toast(`${unsent === 1 ? 'A message' : `${unsent} messages`} you wrote in ${c ? channelLabel(c) : 'a channel'} could not be sent: ${reason}.`);
    this.channels.update((list) => list.filter((x) => x.id !== id));
    this.closeRoom(id);
    this.timelines.delete(id);
    this.mentions.update((m) => omit(m, id));
    if (this.openId === id) this.callbacks.onChannelGone(id);
  }

  /**
   * The channel as it is now: if nothing can be posted in it any more (archived, not a member),
   * its room closes and what waits to be sent is marked "Not sent" with the reason; otherwise
   * the room is (re)opened where it is needed.
   */
  private applyChannelState(c: ChannelView): void {
    const blocked = postingBlockedReason(c);
    if (blocked) {
      this.closeRoom(c.id);
      this.timelines.get(c.id)?.failUnsent(blocked);
    } else if (this.openId === c.id || this.timelines.get(c.id)?.hasUnsent()) this.ensureRoom(c.id);
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
    this.closeRoom(id);
    this.timelines.get(id)?.failUnsent(UNSENT.notMember);
    if (c && c.kind === 'public') this.patchChannel(id, (x) => ({ ...x, isMember: false, memberRole: null, unreadCount: null, lastReadSeq: null }));
    else this.channels.update((list) => list.filter((x) => x.id !== id));
    if (this.openId === id) this.callbacks.onChannelGone(id);
  }

  async archive(id: string): Promise<void> {
    const { channel } = await api.archiveChannel(id);
    this.upsertChannel(channel);
    this.applyChannelState(channel);
  }

  async unarchive(id: string): Promise<void> {
    const { channel } = await api.unarchiveChannel(id);
    this.upsertChannel(channel);
    this.applyChannelState(channel);
  }

  async openDm(userId: string): Promise<ChannelView> {
    const { channel } = await api.openDm(userId);
    this.upsertChannel(channel);
    return channel;
  }

  /** Every channel I may see (public ones I am not in included), for the browser; those it leaves out (archived) stay. */
  async refreshChannels(): Promise<void> {
    const { channels } = await api.channels();
    const known = this.channels.get();
    const freshIds = new Set(channels.map((c) => c.id));
    this.channels.set(sortChannels([...channels.map((c) => withServerView(known.find((k) => k.id === c.id), c)), ...known.filter((k) => !freshIds.has(k.id))]));
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
      if (this.timelines.get(channelId) !== t) return; // the channel went meanwhile
      t.addPage(page, false);
      this.people.ensure(page.messages.map((m) => m.userId));
      // After a replay that failed, the newest page is what lets the room count as caught up.
      this.rooms.get(channelId)?.historyReloaded(newestSeq(page));
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
      // What the replay would have brought comes from the newest page (loadHistory completes the connection).
      onReplayFailed: () => {
        t.resetHistory();
        void this.loadHistory(channelId);
      },
      onRefused: async () => {
        const verdict = await this.recheckChannel(channelId);
        if (verdict === 'stop') this.closeRoom(channelId);
        return verdict;
      },
    });
    this.rooms.set(channelId, room);
    if (this.openId === channelId) this.connection.update((s) => ({ ...s, room: room.status }));
  }

  /**
   * Closes a room we no longer look at, unless it still has sends to deliver. Its messages go
   * too: what changed in the channel while nobody here listened (edits, reactions) would be
   * missing from them; the next visit reads the channel afresh. Messages that were not sent
   * stay (a "Not sent" message must not vanish because one looked at another channel).
   */
  private releaseRoom(channelId: string): void {
    if (this.openId === channelId) return;
    const t = this.timelines.get(channelId);
    if (t?.hasUnsent()) return;
    this.closeRoom(channelId);
    if (!t) return;
    if (t.get().pending.length) t.restart(this.channel(channelId)?.lastSeq ?? t.seenSeq);
    else this.timelines.delete(channelId);
  }

  private closeRoom(channelId: string): void {
    const room = this.rooms.get(channelId);
    if (!room) return;
    this.rooms.delete(channelId);
    room.close();
    if (this.openId === channelId) {
      this.connection.update((c) => ({ ...c, room: null }));
      this.live.set({ typing: new Map(), online: [] });
    }
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
    if (this.signingOut) {
      this.signingOut.closed = true;
      return;
    }
    if (code === 4401) return this.sessionEnded();
    if (code === 4403) return this.workspaceUnusable();
    if (code === 4004) return this.dropChannel(channelId, UNSENT.deleted);
    // 4003: removed from the channel, or signed out everywhere. Ask which.
    if ((await this.recheckChannel(channelId)) === 'retry' && (this.openId === channelId || this.timelines.get(channelId)?.hasUnsent())) this.ensureRoom(channelId);
  }

  /**
   * Why a room would not have us (a 4003, or handshakes refused), from the channel's REST
   * answer, and acted on: the session ended, the workspace unusable, the channel gone, archived
   * or left. 'retry' when nothing there stops the room (or nothing could be learnt).
   */
  private async recheckChannel(channelId: string): Promise<'retry' | 'stop'> {
    try {
      const { channel } = await api.channel(channelId);
      if (this.disposed) return 'stop';
      const wasMember = this.channel(channelId)?.isMember ?? false;
      this.upsertChannel(channel);
      const blocked = postingBlockedReason(channel);
      if (!blocked) return 'retry';
      this.applyChannelState(channel);
      if (wasMember && !channel.isMember && this.openId === channelId) notices.toast(`You are no longer a member of ${channelLabel(channel)}.`, 'info');
      return 'stop';
    } catch (err) {
      if (this.disposed) return 'stop';
      const state = sessionStateOf(err);
      if (state === 'ended') this.sessionEnded();
      else if (state === 'workspace-unusable') this.workspaceUnusable();
      // Not found (deleted, or a private channel one was taken out of) or not allowed.
      else if (isGone(err)) this.dropChannel(channelId, UNSENT.notMember);
      else return 'retry';
      return 'stop';
    }
  }

  /** The session is over (from a socket's close or a check): nothing more can be sent. */
  private sessionEnded(): void {
    if (this.disposed) return;
    if (this.signingOut) {
      this.signingOut.closed = true;
      return;
    }
    this.failAllUnsent(UNSENT.signedOut);
    this.callbacks.onSessionEnded();
  }

  private workspaceUnusable(): void {
    if (this.disposed) return;
    this.failAllUnsent(UNSENT.workspace);
    this.callbacks.onWorkspaceUnusable();
  }

  private failAllUnsent(reason: string): void {
    for (const t of this.timelines.values()) t.failUnsent(reason);
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
        this.patchChannel(channelId, (c) => withMessage(c, { seq: f.message.seq, at: f.message.createdAt, mine }));
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
    const blocked = postingBlockedReason(this.channel(channelId));
    t.addPending({
      clientId: newClientId(),
      channelId,
      parentId,
      userId: this.me.get().id,
      text,
      attachments,
      createdAt: new Date().toISOString(),
      state: blocked ? 'failed' : 'queued',
      sentAt: null,
      serial: null,
      error: blocked,
    });
    if (blocked) return;
    // The others stop seeing "typing" when the message arrives; the next words say so again at once.
    this.lastTypingSent.delete(channelId);
    this.ensureRoom(channelId);
    this.flush(channelId);
  }

  /** Sends a "Not sent" message again (its room is opened for it), unless the channel still refuses posts. */
  retry(channelId: string, clientId: string): void {
    const t = this.timeline(channelId);
    const blocked = postingBlockedReason(this.channel(channelId));
    if (blocked) return t.updatePending(clientId, { state: 'failed', error: blocked });
    t.updatePending(clientId, { state: 'queued', error: null, sentAt: null, serial: null });
    this.ensureRoom(channelId);
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
    // Only a mark that moves the position is a write worth making.
    if ((c.lastReadSeq ?? 0) >= seq) return;
    if (room.send({ type: 'read', seq })) {
      this.lastReadSentAt = Date.now();
      this.applyRead(id, seq);
    }
  }

  private applyRead(channelId: string, seq: number): void {
    this.patchChannel(channelId, (c) => withRead(c, seq));
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
        if (code === 4403) this.workspaceUnusable();
        else this.sessionEnded();
      },
      checkRefusal: async () => {
        const state = await checkSession();
        if (this.disposed) return 'stop';
        if (state === 'ended') this.sessionEnded();
        else if (state === 'workspace-unusable') this.workspaceUnusable();
        else return 'retry';
        return 'stop';
      },
    });
  }

  /**
   * Where the next stream connection resumes (`?since=`): the newest event actually received.
   * Not `ready.seq`: `ready` comes before the events replayed after it, and a drop in the middle
   * of the replay would skip the rest. It is taken only on a first connection (no `since`, so
   * nothing is replayed: what came before is in the bootstrap); `resync`'s is taken once the
   * bootstrap has been read again.
   */
  private noteStreamSeq(f: StreamFrame): void {
    if (f.type === 'ready') this.streamSeq ??= f.seq;
    else if (f.type !== 'pong' && f.type !== 'error' && f.type !== 'resync') this.streamSeq = Math.max(this.streamSeq ?? 0, f.seq);
  }

  private onStreamFrame(f: StreamFrame): void {
    this.noteStreamSeq(f);
    const me = this.me.get().id;
    switch (f.type) {
      case 'activity': {
        const c = this.channel(f.channelId);
        if (!c) return;
        const mine = f.authorId === me;
        this.patchChannel(f.channelId, (x) => withMessage(x, { seq: f.messageSeq, at: f.at, mine }));
        // A mention counts until read; not one in front of the person's eyes, nor one already read.
        const seen = this.openId === f.channelId && this.viewingLatest && document.visibilityState === 'visible' && this.rooms.get(f.channelId)?.caughtUp;
        if (f.mention && !mine && !seen && f.messageSeq > (c.lastReadSeq ?? 0)) this.mentions.update((m) => ({ ...m, [f.channelId]: (m[f.channelId] ?? 0) + 1 }));
        return;
      }
      case 'channel.added':
      case 'channel.updated': {
        this.upsertChannel(f.channel);
        if (f.channel.dmWith) this.people.ensure([f.channel.dmWith.id]);
        this.applyChannelState(f.channel);
        return;
      }
      case 'channel.removed':
        return this.dropChannel(f.channelId, UNSENT.notMember);
      case 'read':
        return this.applyRead(f.channelId, f.lastReadSeq);
      case 'resync':
        void this.resync(f.seq);
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

  /**
   * Away too long for the stream to replay: the channel list is read again (one bootstrap), and
   * the stream resumes after `seq` (what the bootstrap now covers). If it cannot be read, the
   * resume point stays where it was, so the next connection is told to resync again.
   */
  private async resync(seq: number): Promise<void> {
    try {
      const res = await api.bootstrap();
      if (this.disposed || !res.tenant) return;
      if (!res.session) return this.sessionEnded();
      this.me.set(res.session.user);
      this.mentions.set({});
      await this.replaceChannels(res.session.channels);
      this.streamSeq = Math.max(this.streamSeq ?? 0, seq);
    } catch (err) {
      if (sessionStateOf(err) === 'workspace-unusable') return this.workspaceUnusable();
      notices.toast(`Could not refresh your channels: ${describeError(err)}`);
    }
  }

  /**
   * The bootstrap's channels replace the list. It leaves archived channels out, so one missing
   * from it that matters here (open, or with messages waiting) is asked about; the rest of those
   * missing are dropped, except public channels one only looks at (not a member).
   */
  private async replaceChannels(fresh: ChannelView[]): Promise<void> {
    const freshIds = new Set(fresh.map((c) => c.id));
    const known = this.channels.get();
    const missing = known.filter((c) => !freshIds.has(c.id) && c.isMember);
    const browsing = known.filter((c) => !freshIds.has(c.id) && !c.isMember);
    const kept = missing.filter((c) => c.id === this.openId || this.timelines.get(c.id)?.hasUnsent());
    this.channels.set(sortChannels([...fresh.map((c) => withServerView(known.find((k) => k.id === c.id), c)), ...browsing, ...kept]));
    for (const c of missing) if (!kept.includes(c)) this.closeRoom(c.id);
    for (const c of fresh) this.applyChannelState(c);
    for (const c of kept) await this.recheckChannel(c.id);
  }

  private readonly onBrowserOnline = () => {
    this.connection.update((c) => ({ ...c, browserOnline: navigator.onLine }));
  };

  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') this.scheduleRead();
  };
}

/** The newest sequence number in a page of messages (0 for an empty channel). */
function newestSeq(page: MessagePage): number {
  return page.messages.reduce((n, m) => Math.max(n, m.seq), 0);
}

/** A channel's REST answer saying it cannot be seen any more: not found, or not allowed. */
function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 403);
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
