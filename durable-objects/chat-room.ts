import { DurableObject } from 'cloudflare:workers';
import { randomToken } from '../src/auth/tokens';
import { configFor } from '../src/config';
import { openDatabase, type Query } from '../src/db/client';
import { isSessionRevoked, sqlState } from '../src/db/errors';
import type { ChannelKind } from '../src/db/schema';
import type { DomainError } from '../src/domain/errors';
import { admitMessage, CHAT_PATH, notStored, storeRefusal, type MessageCandidate } from '../src/chat/admission';
import { MESSAGE_COLUMNS, mentionHandles, messageFromRow, type ChatMessage } from '../src/chat/message-model';
import { afterGroupStatements, insertMessageStatement, sequenceGuardStatement, type NewMessage } from '../src/chat/post-message';
import { markReadStatement } from '../src/chat/read-position';
import {
  CLOSE_CODES,
  PING_FRAME,
  PONG_FRAME,
  clientFrameSchema,
  ROOM_CONTEXT_HEADER,
  ROOM_USER_HEADER,
  type PostResult,
  type RoomContext,
  type RoomEvent,
  type RoomUser,
} from '../src/chat/room-protocol';
import { tenantRefusal } from '../src/tenancy/suspension';
import type { TenantSnapshot } from '../src/tenancy/snapshot';
import { TenantDb } from '../src/tenancy/tenant-db';
import type { StreamNotice } from '../src/chat/stream-protocol';

/**
 * One per tenant channel (`idFromName(tenantId + ':' + channelId)`): the channel's only message
 * writer, and its WebSockets.
 *
 * Writes: messages from REST and from sockets are queued and committed in groups — whatever
 * arrives within one short flush window (or while the previous group is being written) goes to
 * Postgres in ONE batch transaction, with consecutive per-channel sequence numbers. Only after
 * the commit are the writers answered and the messages broadcast, in sequence order: nobody
 * hears of a message that could still be lost. Because this object is the channel's single
 * writer (Durable Objects guarantee one instance per id), the sequence has no gaps; a guard in
 * the transaction catches any other writer.
 *
 * Admission: every new message, from REST or a socket, passes `admitMessage` (the workspace's
 * status and plan features, judged by the newest tenant snapshot the room has seen) and is
 * stored by a statement that checks the author's session, membership and the reply's parent
 * (nchat_admit_message). The TenantGate pushes each tenant write's snapshot to the rooms that
 * have sockets (they register with it), so a suspension or a feature switched off applies to
 * sockets opened before it, at once; a suspension closes them (4403).
 *
 * Sockets use the hibernation API: the runtime keeps them open while the object sleeps;
 * per-socket state lives in the socket's attachment, the room's context in SQLite storage.
 */
const FLUSH_WINDOW_MS = 4;
const MAX_GROUP = 200;
const REPLAY_LIMIT = 500;
const TICKET_TTL_MS = 60_000;

interface Pending {
  message: NewMessage;
  /** `earlier`: the message was already stored (a resend of one whose answer was lost). */
  resolve: (stored: { message: ChatMessage; earlier: boolean }) => void;
  reject: (e: Error) => void;
  attempts: number;
}

interface SocketInfo {
  userId: string;
  role: string;
  /** Absent on sockets opened before sessions were checked per message: they must reconnect. */
  sessionVersion?: number;
  connectedAt: number;
}

/** What the room stores about itself: which tenant's channel it is (for TenantDb) and the channel. */
interface RoomIdentity {
  tenant: { id: string; schemaName: string; roleName: string };
  channelId: string;
}

export class ChatRoom extends DurableObject<Env> {
  private context: RoomIdentity | null = null;
  /** The newest tenant snapshot seen (callers' and the gate's), by version. */
  private snapshot: TenantSnapshot | null = null;
  private lastSeq: number | null = null;
  private channelKind: ChannelKind | null = null;
  /** Whether this instance has told the TenantGate it has sockets (reset when it wakes). */
  private watching = false;
  private queue: Pending[] = [];
  private flushing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Sockets catching up from `since`: live events wait here until the replay is sent. */
  private replaying = new Map<WebSocket, RoomEvent[]>();
  /**
   * After a replay: the last sequence it sent to that socket. A group committed before the
   * replay's query but broadcast after the replay finished must not reach the socket twice.
   */
  private replayedUpTo = new Map<WebSocket, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Keep-alive pings are answered by the runtime itself, without waking a hibernating object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec('CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, user_json TEXT NOT NULL, expires INTEGER NOT NULL)');
      // The members whose PersonStream listens here (they have the app open somewhere).
      sql.exec('CREATE TABLE IF NOT EXISTS stream_subscribers (user_id TEXT PRIMARY KEY)');
      for (const row of sql.exec<{ key: string; value: string }>("SELECT key, value FROM room_meta WHERE key IN ('context', 'snapshot')")) {
        if (row.key === 'context') this.context = identityOf(JSON.parse(row.value) as RoomIdentity);
        else this.snapshot = JSON.parse(row.value) as TenantSnapshot;
      }
    });
  }

  async describe(): Promise<{ kind: 'ChatRoom'; id: string; sockets: number }> {
    return { kind: 'ChatRoom', id: this.ctx.id.toString(), sockets: this.ctx.getWebSockets().length };
  }

  // ---- RPC from the Worker ----

  /**
   * Stores a message from REST (group commit) and broadcasts it; answers once it is committed,
   * or with why it was refused. The caller has resolved the channel for the author (it exists
   * and they may see it); everything else is the room's to decide.
   */
  async post(context: RoomContext, message: NewMessage): Promise<PostResult> {
    this.adopt(context);
    try {
      const refusal = await this.admission({ parentId: message.parentId, attachments: message.attachmentIds.length });
      if (refusal) return { ok: false, error: refusal.toInfo() };
      return { ok: true, message: (await this.enqueue(message)).message };
    } catch (err) {
      return { ok: false, error: (storeRefusal(err) ?? logged('room_post_failed', err, notStored())).toInfo() };
    }
  }

  /**
   * A tenant write committed (pushed by the TenantGate): judge sockets by it from now on. A
   * workspace that can no longer be used closes every socket, saying why. Answers how many
   * sockets the room has, so the gate can forget rooms that have none.
   */
  async tenantChanged(snapshot: TenantSnapshot): Promise<{ sockets: number }> {
    this.adoptSnapshot(snapshot);
    const refusal = this.snapshot ? tenantRefusal(this.snapshot, CHAT_PATH) : null;
    if (refusal) for (const ws of this.ctx.getWebSockets()) this.refuseAndClose(ws, refusal, CLOSE_CODES.tenantUnusable);
    return { sockets: this.ctx.getWebSockets().length };
  }

  /**
   * Broadcasts an event the Worker caused (edit, delete, reaction, read, channel change) after
   * its commit; a read position also reaches the reader's own stream (their other devices), a
   * channel change every subscribed member's.
   */
  async publish(context: RoomContext, event: RoomEvent): Promise<void> {
    this.adopt(context);
    this.broadcast(event);
    const channelId = this.context!.channelId;
    if (event.type === 'read') this.notifyStreams(() => [], new Map([[event.userId, [{ kind: 'read', channelId, lastReadSeq: event.seq }]]]));
    if (event.type === 'channel.updated') this.notifyStreams(() => [{ kind: 'channel_changed', channelId, change: 'updated' }]);
  }

  /** A member's stream listens here from now on (until it unsubscribes, or stops answering). */
  async subscribeStream(tenant: RoomIdentity['tenant'], channelId: string, userId: string): Promise<void> {
    if (!this.context) this.adoptIdentity({ tenant, channelId });
    this.ctx.storage.sql.exec('INSERT OR IGNORE INTO stream_subscribers (user_id) VALUES (?)', userId);
  }

  async unsubscribeStream(userId: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM stream_subscribers WHERE user_id = ?', userId);
  }

  /** `userId` is no longer a member (left, removed): their sockets close, their stream stops listening and hears of it. */
  async removeMember(userId: string, reason: string): Promise<void> {
    await this.closeUser(userId, reason);
    const subscribed = this.ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM stream_subscribers WHERE user_id = ?', userId).one().n > 0;
    this.ctx.storage.sql.exec('DELETE FROM stream_subscribers WHERE user_id = ?', userId);
    if (subscribed && this.context) await this.stream(userId).deliver([{ kind: 'channel_removed', channelId: this.context.channelId }]).catch(() => undefined);
  }

  /** A short-lived, single-use ticket for a browser's WebSocket (browsers cannot set headers). */
  async issueTicket(context: RoomContext, user: RoomUser): Promise<{ ticket: string; expiresAt: string }> {
    this.adopt(context);
    const ticket = randomToken(24);
    const expires = Date.now() + TICKET_TTL_MS;
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM tickets WHERE expires < ?', Date.now());
    sql.exec('INSERT INTO tickets (ticket, user_json, expires) VALUES (?, ?, ?)', ticket, JSON.stringify(user), expires);
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** Closes every socket of `userId` in this room (removed from the channel, deactivated). */
  async closeUser(userId: string, reason: string): Promise<number> {
    this.dropTickets(userId);
    const sockets = this.ctx.getWebSockets(userId);
    for (const ws of sockets) safeClose(ws, CLOSE_CODES.userRemoved, reason);
    if (sockets.length) this.broadcastPresence(sockets);
    return sockets.length;
  }

  /** Closes every socket (channel deleted); the members' streams hear the channel is gone. */
  async closeAll(reason: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM tickets');
    this.lastSeq = null;
    for (const ws of this.ctx.getWebSockets()) safeClose(ws, CLOSE_CODES.channelDeleted, reason);
    if (this.context) this.notifyStreams(() => [{ kind: 'channel_removed', channelId: this.context!.channelId }]);
    this.ctx.storage.sql.exec('DELETE FROM stream_subscribers');
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return jsonError(426, 'upgrade_required', 'Expected a WebSocket upgrade.');
    const rawContext = request.headers.get(ROOM_CONTEXT_HEADER);
    if (!rawContext) return jsonError(400, 'bad_request', 'Missing room context.');
    this.adopt(JSON.parse(rawContext) as RoomContext);
    const unusable = this.snapshot ? tenantRefusal(this.snapshot, CHAT_PATH) : null;
    if (unusable) return jsonError(403, unusable.code, unusable.message);
    const url = new URL(request.url);
    const sinceText = url.searchParams.get('since');
    const since = sinceText !== null && /^\d{1,15}$/.test(sinceText) ? Number(sinceText) : null;
    if (sinceText !== null && since === null) return jsonError(400, 'invalid_since', 'since must be a sequence number.');
    const rawUser = request.headers.get(ROOM_USER_HEADER);
    let user: RoomUser | null;
    if (rawUser) {
      user = JSON.parse(rawUser) as RoomUser; // the Worker checked session and membership
    } else {
      user = this.consumeTicket(url.searchParams.get('ticket'));
      if (!user) return jsonError(401, 'invalid_ticket', 'The WebSocket ticket is missing, used or expired. Ask for a new one.');
      // Things may have changed since the ticket was issued: the session must still be valid
      // and the user still a member of a channel that still exists.
      const refusal = await this.checkTicketHolder(user);
      if (refusal) return refusal;
    }

    try {
      await this.ensureChannel();
    } catch {
      return jsonError(404, 'channel_not_found', 'No such channel, or you are not a member of it.');
    }
    await this.watch();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [user.userId]);
    server.serializeAttachment({ userId: user.userId, role: user.role, sessionVersion: user.sessionVersion, connectedAt: Date.now() } satisfies SocketInfo);
    if (since !== null) this.replaying.set(server, []);
    send(server, { type: 'ready', userId: user.userId, lastSeq: this.lastSeq ?? 0, online: this.online() });
    this.broadcastPresence();
    if (since !== null) this.ctx.waitUntil(this.replay(server, since));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const info = ws.deserializeAttachment() as SocketInfo | null;
    if (!info) return safeClose(ws, 1011, 'unknown socket');
    let frame;
    let raw: unknown;
    try {
      raw = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
      frame = clientFrameSchema.parse(raw);
    } catch (err) {
      // A malformed frame is the sender's problem: answer it (naming its clientId when it has
      // one, so the client knows which send failed), keep the room.
      const message = err instanceof SyntaxError ? 'Frames must be JSON.' : `Invalid frame: ${(err as Error).message.slice(0, 300)}`;
      const clientId = (raw as { clientId?: unknown } | undefined)?.clientId;
      return send(ws, { type: 'error', code: 'bad_frame', message, ...(typeof clientId === 'string' && clientId.length <= 64 ? { clientId } : {}) });
    }
    try {
      // Sockets opened before a suspension (or a cancellation) stop with it.
      const unusable = this.snapshot ? tenantRefusal(this.snapshot, CHAT_PATH) : null;
      if (unusable) return this.refuseAndClose(ws, unusable, CLOSE_CODES.tenantUnusable);
      if (info.sessionVersion === undefined) {
        return safeClose(ws, CLOSE_CODES.sessionEnded, 'reconnect: this socket predates per-message session checks');
      }
      switch (frame.type) {
        case 'ping':
          return send(ws, { type: 'pong' });
        case 'typing':
          return this.broadcast({ type: 'typing', userId: info.userId }, ws);
        case 'read':
          return await this.markRead(ws, info, frame.seq);
        case 'message': {
          const clientId = frame.clientId ?? null;
          const parentId = frame.parentId ?? null;
          const refusal = await this.admission({ parentId, attachments: frame.attachmentIds.length });
          if (refusal) return send(ws, { type: 'error', ...refusal.toInfo(), clientId });
          const message = { userId: info.userId, sessionVersion: info.sessionVersion, text: frame.text, parentId, clientId, mentions: mentionHandles(frame.text), attachmentIds: frame.attachmentIds };
          await this.enqueue(message).then(
            // A resend of a message stored before (its answer was lost with the old socket):
            // the sender hears it again; everyone else heard it when it was stored.
            ({ message: stored, earlier }) => {
              if (earlier) send(ws, { type: 'message.created', message: stored });
            },
            (err: unknown) => {
            const refused = storeRefusal(err);
            if (refused?.code === 'session_revoked') return this.refuseAndClose(ws, refused, CLOSE_CODES.sessionEnded, clientId);
            send(ws, { type: 'error', ...(refused ?? logged('room_post_failed', err, notStored())).toInfo(), clientId });
            },
          );
          return;
        }
      }
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'room_frame_failed', error: String(err) }));
      send(ws, { type: 'error', code: 'internal_error', message: 'Something went wrong handling that frame.' });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.replaying.delete(ws);
    this.replayedUpTo.delete(ws);
    // Reciprocate the close; 1005/1006 are reserved and cannot be sent back.
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    this.broadcastPresence([ws]);
    await this.unwatchIfEmpty(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.replaying.delete(ws);
    this.replayedUpTo.delete(ws);
    safeClose(ws, 1011, 'socket error');
    this.broadcastPresence([ws]);
    await this.unwatchIfEmpty(ws);
  }

  // ---- internals ----

  /** Remembers which tenant and channel this room is (for after hibernation), and the newest snapshot. */
  private adopt(context: RoomContext): void {
    this.adoptIdentity({ tenant: context.tenant, channelId: context.channelId });
    this.adoptSnapshot(context.tenant);
  }

  private adoptIdentity(named: RoomIdentity): void {
    const identity = identityOf(named);
    if (this.context && this.context.channelId === identity.channelId && this.context.tenant.id === identity.tenant.id) return;
    if (this.context) throw new Error('room context mismatch');
    this.context = identity;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO room_meta (key, value) VALUES ('context', ?)", JSON.stringify(identity));
  }

  private adoptSnapshot(snapshot: TenantSnapshot | null): void {
    if (!snapshot || !this.context || snapshot.id !== this.context.tenant.id) return;
    if (this.snapshot && this.snapshot.version >= snapshot.version) return;
    this.snapshot = snapshot;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO room_meta (key, value) VALUES ('snapshot', ?)", JSON.stringify(snapshot));
  }

  /** What admitMessage says of a message to this channel (the channel's kind is loaded once). */
  private async admission(candidate: MessageCandidate): Promise<DomainError | null> {
    await this.ensureChannel();
    if (!this.snapshot) return null; // only before any caller has told us the tenant: the Worker has just checked it
    return admitMessage(this.snapshot, { kind: this.channelKind! }, candidate);
  }

  /**
   * Sends each subscribed member's stream what `noticesFor(userId)` gives (plus `extra` for some),
   * without holding up the caller: a stream that says nobody listens is forgotten; one that
   * cannot be reached is logged and kept (it resubscribes on its next connection anyway).
   */
  private notifyStreams(noticesFor: (userId: string) => StreamNotice[], extra = new Map<string, StreamNotice[]>()): void {
    const subscribers = this.ctx.storage.sql.exec<{ user_id: string }>('SELECT user_id FROM stream_subscribers').toArray().map((r) => r.user_id);
    for (const userId of subscribers) {
      const notices = [...noticesFor(userId), ...(extra.get(userId) ?? [])];
      if (!notices.length) continue;
      this.ctx.waitUntil(
        this.stream(userId)
          .deliver(notices)
          .then(({ listening }) => {
            if (!listening) this.ctx.storage.sql.exec('DELETE FROM stream_subscribers WHERE user_id = ?', userId);
          })
          .catch((err: unknown) => console.warn(JSON.stringify({ level: 'warn', msg: 'stream_notify_failed', userId, error: String(err) }))),
      );
    }
  }

  private stream(userId: string) {
    return this.env.PERSON_STREAM.get(this.env.PERSON_STREAM.idFromName(`${this.context!.tenant.id}:${userId}`));
  }

  /** Tells the TenantGate this room has sockets, so tenant writes reach it; takes the gate's snapshot if newer. */
  private async watch(): Promise<void> {
    if (this.watching || !this.context) return;
    try {
      this.adoptSnapshot(await this.gate().watchRoom(this.context.channelId));
      this.watching = true;
    } catch (err) {
      // The socket still opens; tenant changes reach it once the gate can be told (next connect).
      console.warn(JSON.stringify({ level: 'warn', msg: 'room_watch_failed', error: String(err) }));
    }
  }

  private async unwatchIfEmpty(closing: WebSocket): Promise<void> {
    if (!this.context || this.ctx.getWebSockets().some((ws) => ws !== closing && ws.readyState === WebSocket.OPEN)) return;
    this.watching = false;
    await this.gate()
      .unwatchRoom(this.context.channelId)
      .catch((err: unknown) => console.warn(JSON.stringify({ level: 'warn', msg: 'room_unwatch_failed', error: String(err) })));
  }

  private gate() {
    return this.env.TENANT_GATE.get(this.env.TENANT_GATE.idFromName(this.context!.tenant.id));
  }

  /** Sends the refusal as an error frame, then closes the socket with `code`. */
  private refuseAndClose(ws: WebSocket, refusal: DomainError, code: number, clientId?: string | null): void {
    send(ws, { type: 'error', ...refusal.toInfo(), ...(clientId === undefined ? {} : { clientId }) });
    safeClose(ws, code, refusal.message);
  }

  private tenantDb(): TenantDb {
    if (!this.context) throw new Error('room has no context yet');
    return TenantDb.forSystemWork(openDatabase(configFor(this.env)), this.context.tenant, 'chat-room');
  }

  /** The channel's sequence and kind, loaded once (the kind never changes; the sequence is the room's own). */
  private async ensureChannel(): Promise<number> {
    if (this.lastSeq === null || this.channelKind === null) {
      const tdb = this.tenantDb();
      const [rows] = await tdb.transaction([tdb.sql.query('SELECT last_seq, kind FROM nchat_channels WHERE id = $1', [this.context!.channelId]) as Query]);
      const row = rows?.[0];
      if (!row) throw new Error('channel not found');
      this.lastSeq = Number(row.last_seq);
      this.channelKind = row.kind as ChannelKind;
    }
    return this.lastSeq;
  }

  private enqueue(message: NewMessage): Promise<{ message: ChatMessage; earlier: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject, attempts: 0 });
      if (!this.flushing && !this.timer) {
        // A short window lets messages arriving together share one transaction.
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, FLUSH_WINDOW_MS);
      }
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      // Messages that arrive while a group is being written form the next group.
      while (this.queue.length) await this.commitGroup(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.flushing = false;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const context = this.context!;
    try {
      const tdb = this.tenantDb();
      const before = await this.ensureChannel();
      const authors = new Map<string, number>();
      const inserts = group.map((p, i) => {
        authors.set(p.message.userId, before + i + 1);
        return insertMessageStatement(tdb, context.channelId, before + i + 1, p.message);
      });
      const last = before + group.length;
      const results = await tdb.transaction([sequenceGuardStatement(tdb, context.channelId, before), ...inserts, ...afterGroupStatements(tdb, context.channelId, last, authors)]);
      this.lastSeq = last;
      const committed = group.map((p, i) => {
        const row = results[i + 1]![0]!;
        const message = messageFromRow(row);
        p.resolve({ message, earlier: false });
        this.broadcast({ type: 'message.created', message });
        if (message.parentId !== null) {
          this.broadcast({ type: 'thread.reply', parentId: message.parentId, replyCount: Number(row.parent_reply_count ?? 0), lastReplyAt: message.createdAt, message });
        }
        return message;
      });
      // Members with the app open elsewhere: one call per stream for the whole group.
      this.notifyStreams((userId) =>
        committed.map((m) => ({
          kind: 'activity' as const,
          event: { type: 'activity' as const, channelId: m.channelId, messageId: m.id, messageSeq: m.seq, authorId: m.userId, parentId: m.parentId, at: m.createdAt, mention: m.mentions.includes(userId) },
        })),
      );
    } catch (err) {
      this.lastSeq = null; // reload from the database before the next attempt
      const code = sqlState(err);
      if (group.length > 1 && code) {
        // One bad message (say, a parent deleted meanwhile) must not sink the others: retry
        // each on its own.
        for (const p of group) await this.commitGroup([p]);
        return;
      }
      const p = group[0]!;
      if (code === 'NC208') return this.answerWithStored(p, err);
      // A sequence conflict (NC409 guard, 23505 unique) is retried after reloading.
      if ((code === 'NC409' || code === '23505') && p.attempts < 2) {
        p.attempts += 1;
        return this.commitGroup(group);
      }
      for (const q of group) q.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A resend refused as already stored (NC208, the stored id in DETAIL): the writer gets the stored message. */
  private async answerWithStored(p: Pending, err: unknown): Promise<void> {
    const id = Number((err as { detail?: unknown }).detail);
    try {
      const tdb = this.tenantDb();
      const [rows] = await tdb.transaction([tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1 AND m.channel_id = $2`, [id, this.context!.channelId]) as Query]);
      const row = rows?.[0];
      if (!row) throw new Error(`stored message ${id} not found`);
      p.resolve({ message: messageFromRow(row), earlier: true });
    } catch (e) {
      p.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** A read position from a socket, as the socket's session: an ended session closes it. */
  private async markRead(ws: WebSocket, info: SocketInfo, seq: number): Promise<void> {
    const tdb = TenantDb.forSession(openDatabase(configFor(this.env)), this.context!.tenant, { userId: info.userId, sessionVersion: info.sessionVersion! });
    let rows: Record<string, unknown>[] | undefined;
    try {
      [rows] = await tdb.transaction([markReadStatement(tdb, this.context!.channelId, info.userId, seq)]);
    } catch (err) {
      const refused = storeRefusal(err);
      if (refused?.code === 'session_revoked') return this.refuseAndClose(ws, refused, CLOSE_CODES.sessionEnded);
      throw err;
    }
    const row = rows?.[0];
    if (!row) return;
    const lastReadSeq = Number(row.last_read_seq);
    this.broadcast({ type: 'read', userId: info.userId, seq: lastReadSeq });
    // The reader's other devices (their stream), like a read over REST.
    this.notifyStreams(() => [], new Map([[info.userId, [{ kind: 'read', channelId: this.context!.channelId, lastReadSeq }]]]));
  }

  /** Sends what a reconnecting socket missed (seq > since), then what arrived meanwhile. */
  private async replay(ws: WebSocket, since: number): Promise<void> {
    let lastSent = since;
    try {
      const tdb = this.tenantDb();
      const [rows] = await tdb.transaction([
        tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.channel_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT ${REPLAY_LIMIT + 1}`, [this.context!.channelId, since]) as Query,
      ]);
      const messages = (rows ?? []).map(messageFromRow);
      for (const message of messages.slice(0, REPLAY_LIMIT)) {
        send(ws, { type: 'message.created', message, replay: true });
        lastSent = message.seq;
      }
      if (messages.length > REPLAY_LIMIT) send(ws, { type: 'replay.truncated', fromSeq: lastSent + 1, toSeq: this.lastSeq ?? lastSent });
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'room_replay_failed', error: String(err) }));
      send(ws, { type: 'error', code: 'replay_failed', message: 'Could not send missed messages; reload the channel.' });
    } finally {
      const buffered = this.replaying.get(ws) ?? [];
      this.replaying.delete(ws);
      this.replayedUpTo.set(ws, lastSent);
      for (const event of buffered) {
        // Whatever the replay already carried is not sent twice.
        if ((event.type === 'message.created' || event.type === 'thread.reply') && event.message.seq <= lastSent) continue;
        send(ws, event);
      }
    }
  }

  private dropTickets(userId: string): void {
    for (const row of this.ctx.storage.sql.exec<{ ticket: string; user_json: string }>('SELECT ticket, user_json FROM tickets').toArray()) {
      if ((JSON.parse(row.user_json) as RoomUser).userId === userId) this.ctx.storage.sql.exec('DELETE FROM tickets WHERE ticket = ?', row.ticket);
    }
  }

  /** A redeemed ticket's holder: still signed in (same session version) and still a member? */
  private async checkTicketHolder(user: RoomUser): Promise<Response | null> {
    if (user.sessionVersion === undefined) return jsonError(401, 'invalid_ticket', 'The WebSocket ticket is not valid. Ask for a new one.');
    const tdb = TenantDb.forSession(openDatabase(configFor(this.env)), this.context!.tenant, { userId: user.userId, sessionVersion: user.sessionVersion });
    try {
      const [rows] = await tdb.transaction([
        tdb.sql.query('SELECT 1 AS ok FROM nchat_channel_members WHERE channel_id = $1 AND user_id = $2', [this.context!.channelId, user.userId]) as Query,
      ]);
      if (!rows?.length) return jsonError(404, 'channel_not_found', 'No such channel, or you are not a member of it.');
      return null;
    } catch (err) {
      if (isSessionRevoked(err)) return jsonError(401, 'session_revoked', 'This session has ended. Sign in again.');
      throw err;
    }
  }

  private consumeTicket(ticket: string | null): RoomUser | null {
    if (!ticket) return null;
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ user_json: string; expires: number }>('SELECT user_json, expires FROM tickets WHERE ticket = ?', ticket).toArray()[0];
    sql.exec('DELETE FROM tickets WHERE ticket = ?', ticket); // single use, even if expired
    if (!row || row.expires < Date.now()) return null;
    return JSON.parse(row.user_json) as RoomUser;
  }

  private online(except: WebSocket[] = []): string[] {
    const users = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      if (except.includes(ws)) continue;
      const info = ws.deserializeAttachment() as SocketInfo | null;
      if (info) users.add(info.userId);
    }
    return [...users].sort();
  }

  private broadcastPresence(except: WebSocket[] = []): void {
    this.broadcast({ type: 'presence', online: this.online(except) }, undefined, except);
  }

  private broadcast(event: RoomEvent, skip?: WebSocket, except: WebSocket[] = []): void {
    const frame = JSON.stringify(event);
    const seq = event.type === 'message.created' || event.type === 'thread.reply' ? event.message.seq : null;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === skip || except.includes(ws)) continue;
      const buffer = this.replaying.get(ws);
      if (buffer) {
        buffer.push(event);
        continue;
      }
      const upTo = this.replayedUpTo.get(ws);
      if (seq !== null && upTo !== undefined) {
        if (seq <= upTo) continue; // the replay already carried it
        if (event.type === 'message.created') this.replayedUpTo.delete(ws); // broadcasts go in sequence order: caught up
      }
      sendRaw(ws, frame);
    }
  }
}

/** Only the names a TenantDb needs (a context may carry a whole snapshot). */
function identityOf(r: RoomIdentity): RoomIdentity {
  const { id, schemaName, roleName } = r.tenant;
  return { tenant: { id, schemaName, roleName }, channelId: r.channelId };
}

/** Logs a failure to store, and answers with the error the writer gets instead. */
function logged(msg: string, err: unknown, answer: DomainError): DomainError {
  console.error(JSON.stringify({ level: 'error', msg, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
  return answer;
}

function send(ws: WebSocket, event: RoomEvent): void {
  sendRaw(ws, JSON.stringify(event));
}

function sendRaw(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    /* closing or closed: its close handler cleans up */
  }
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    /* already closed */
  }
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
