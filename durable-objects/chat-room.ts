import { DurableObject } from 'cloudflare:workers';
import { randomToken } from '../src/auth/tokens';
import { configFor } from '../src/config';
import { openDatabase, type Query } from '../src/db/client';
import { DomainError } from '../src/domain/errors';
import { admitMessage, CHAT_PATH, notStored, storeRefusal, type MessageCandidate } from '../src/chat/admission';
import { MESSAGE_COLUMNS, mentionHandles, messageFromRow, type ChatMessage } from '../src/chat/message-model';
import { needsDatabase, type NewMessage, type WrittenBehind } from '../src/chat/post-message';
import { channelNotFound } from '../src/chat/access';
import { REPLAY_LIMIT, REPLAY_SQL } from '../src/chat/messages';
import { RoomLog } from './room-log';
import { ChannelGoneError, RoomWriter, type Committed, type WriteMode } from './room-writer';
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
 * Writes (RoomWriter, docs/chat.md): every message gets the next per-channel sequence number
 * and is durable before anyone hears of it — a plain message in the room's own SQLite log
 * (RoomLog; Postgres gets it behind, in groups), a REST post or a message that needs Postgres's
 * facts (a reply, files, mentions) in Postgres first. Broadcasts go out in sequence order.
 * Because this object is the channel's single writer (Durable Objects guarantee one instance
 * per id), the sequence has no gaps; a guard in the written-through transaction catches any
 * other writer.
 *
 * Admission: every new message, from REST or a socket, passes `admitMessage` (the workspace's
 * status and plan features, judged by the newest tenant snapshot the room has seen) and the
 * channel's archived state. A socket's author was checked (session, membership) when it
 * connected; the events that end a session or a membership close the socket, and the
 * write-behind re-checks each group's authors in Postgres and closes the sockets of any whose
 * session or membership ended meanwhile. A written-through message is checked by the statement
 * that stores it (nchat_admit_message). The TenantGate pushes each tenant write's snapshot to the
 * rooms that have sockets (they register with it), so a suspension or a feature switched off
 * applies to sockets opened before it, at once; a suspension closes them (4403).
 *
 * Sockets use the hibernation API: the runtime keeps them open while the object sleeps;
 * per-socket state lives in the socket's attachment, the room's context in SQLite storage.
 */
const TICKET_TTL_MS = 60_000;
/** While the log has messages Postgres lacks, an alarm this often resumes writing them (an evicted room too). */
const WRITE_BEHIND_ALARM_MS = 2_000;

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
  private readonly log: RoomLog;
  private readonly writer: RoomWriter;
  /** Whether an alarm is set to resume the write-behind. */
  private alarmArmed = false;
  /** Whether this instance has told the TenantGate it has sockets (reset when it wakes). */
  private watching = false;
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
    // SQLite calls are synchronous: the room knows itself before it handles anything (an alarm too).
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    sql.exec('CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, user_json TEXT NOT NULL, expires INTEGER NOT NULL)');
    // The members whose PersonStream listens here (they have the app open somewhere).
    sql.exec('CREATE TABLE IF NOT EXISTS stream_subscribers (user_id TEXT PRIMARY KEY)');
    for (const row of sql.exec<{ key: string; value: string }>("SELECT key, value FROM room_meta WHERE key IN ('context', 'snapshot')")) {
      if (row.key === 'context') this.context = identityOf(JSON.parse(row.value) as RoomIdentity);
      else this.snapshot = JSON.parse(row.value) as TenantSnapshot;
    }
    this.log = new RoomLog(ctx.storage.sql);
    this.writer = new RoomWriter(
      {
        channelId: () => this.context!.channelId,
        tenantDb: () => this.tenantDb(),
        committed: (messages) => this.committed(messages),
        revoked: (authors) => this.revoked(authors),
        armAlarm: () => this.armAlarm(),
      },
      this.log,
      writeMode(env),
    );
  }

  async describe(): Promise<{ kind: 'ChatRoom'; id: string; sockets: number }> {
    return { kind: 'ChatRoom', id: this.ctx.id.toString(), sockets: this.ctx.getWebSockets().length };
  }

  // ---- RPC from the Worker ----

  /**
   * Stores a message from REST and broadcasts it; answers once it is in Postgres, or with why it
   * was refused. The Worker has only resolved the tenant and the session's token: the room
   * decides the rest — the channel exists, the author's session and membership (checked by the
   * statement that stores it; a private channel they are not in is not found), admission.
   */
  async post(context: RoomContext, message: NewMessage): Promise<PostResult> {
    this.adopt(context);
    try {
      const refusal = await this.admission({ parentId: message.parentId, attachments: message.attachmentIds.length });
      if (refusal) return { ok: false, error: refusal.toInfo() };
      // Written through: a REST client that posts, then edits or reacts, finds its message.
      return { ok: true, message: (await this.writer.submit(message, true)).message };
    } catch (err) {
      return { ok: false, error: this.postRefusal(err).toInfo() };
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
    if (event.type === 'channel.updated') this.writer.forgetState(); // archived or not: read again
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
    this.writer.reset();
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
      const refusal = this.checkTicketHolder(user);
      if (refusal) return refusal;
    }

    try {
      await this.writer.channel();
    } catch (err) {
      if (err instanceof ChannelGoneError) return jsonError(404, 'channel_not_found', 'No such channel, or you are not a member of it.');
      throw err;
    }
    await this.watch();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [user.userId]);
    server.serializeAttachment({ userId: user.userId, role: user.role, sessionVersion: user.sessionVersion, connectedAt: Date.now() } satisfies SocketInfo);
    if (since !== null) this.replaying.set(server, []);
    send(server, { type: 'ready', userId: user.userId, lastSeq: this.writer.seq, online: this.online() });
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
          await this.writer.submit(message, needsDatabase(message)).then(
            // A resend of a message stored before (its answer was lost with the old socket):
            // the sender hears it again; everyone else heard it when it was stored.
            ({ message: stored, earlier }) => {
              if (earlier) send(ws, { type: 'message.created', message: stored });
            },
            (err: unknown) => {
            const refused = this.postRefusal(err);
            if (refused.code === 'session_revoked') return this.refuseAndClose(ws, refused, CLOSE_CODES.sessionEnded, clientId);
            send(ws, { type: 'error', ...refused.toInfo(), clientId });
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

  /** What admitMessage says of a message to this channel, and whether the channel is archived (loaded once, again after a change). */
  private async admission(candidate: MessageCandidate): Promise<DomainError | null> {
    const channel = await this.writer.channel();
    const refusal = this.snapshot ? admitMessage(this.snapshot, channel, candidate) : null;
    return refusal ?? (channel.archived ? new DomainError('channel_archived', 'The channel is archived.') : null);
  }

  /** Why a message was not stored, as its writer hears it. */
  private postRefusal(err: unknown): DomainError {
    if (err instanceof ChannelGoneError) return channelNotFound();
    const refused = storeRefusal(err);
    // A private channel (or DM) someone is not in is not theirs to know of.
    if (refused?.code === 'not_a_member' && this.writer.kind !== 'public') return channelNotFound();
    return refused ?? logged('room_post_failed', err, notStored());
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

  /** Broadcasts what the writer made durable, in order, and tells the members' streams (one call per stream for the group). */
  private committed(messages: Committed[]): void {
    for (const { message, parentReplyCount } of messages) {
      this.broadcast({ type: 'message.created', message });
      if (message.parentId !== null) {
        this.broadcast({ type: 'thread.reply', parentId: message.parentId, replyCount: parentReplyCount ?? 0, lastReplyAt: message.createdAt, message });
      }
    }
    this.notifyStreams((userId) =>
      messages.map(({ message: m }) => ({
        kind: 'activity' as const,
        event: { type: 'activity' as const, channelId: m.channelId, messageId: m.id, messageSeq: m.seq, authorId: m.userId, parentId: m.parentId, at: m.createdAt, mention: m.mentions.includes(userId) },
      })),
    );
  }

  /**
   * Postgres says these authors' session or membership ended before their logged messages reached
   * it (the close that should have followed the change did not reach this room): their sockets
   * with that session close now, and their tickets go.
   */
  private revoked(authors: WrittenBehind['revoked']): void {
    for (const { userId, sessionVersion, reason } of authors) {
      this.dropTickets(userId);
      for (const ws of this.ctx.getWebSockets(userId)) {
        const info = ws.deserializeAttachment() as SocketInfo | null;
        if (reason === 'session' && info?.sessionVersion !== sessionVersion) continue;
        safeClose(ws, reason === 'session' ? CLOSE_CODES.sessionEnded : CLOSE_CODES.userRemoved, reason === 'session' ? 'session ended' : 'no longer a member');
      }
    }
  }

  private armAlarm(): void {
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    void this.ctx.storage.setAlarm(Date.now() + WRITE_BEHIND_ALARM_MS);
  }

  /** Resumes the write-behind (after a failure, or in a room that was evicted with messages Postgres lacks). */
  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    if (!this.context) return;
    try {
      if (await this.writer.resume()) this.armAlarm();
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'room_alarm_failed', error: String(err) }));
      this.armAlarm();
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

  /**
   * Sends what a reconnecting socket missed (seq > since), then what arrived meanwhile. Postgres
   * has everything up to the log's stored sequence; the log has everything above it (read now,
   * before any await, so the write-behind cannot move it away meanwhile). A socket that missed
   * only what Postgres does not have yet costs no database read.
   */
  private async replay(ws: WebSocket, since: number): Promise<void> {
    let lastSent = since;
    try {
      const storedSeq = this.writer.storedSeq;
      const fromLog = this.log.pendingAfter(since, REPLAY_LIMIT + 1);
      let fromPostgres: ChatMessage[] = [];
      if (since < storedSeq) {
        const tdb = this.tenantDb();
        const [rows] = await tdb.transaction([
          tdb.sql.query(REPLAY_SQL, [this.context!.channelId, since, storedSeq]) as Query,
        ]);
        fromPostgres = (rows ?? []).map(messageFromRow);
      }
      const messages = [...fromPostgres, ...fromLog.filter((m) => m.seq > (fromPostgres.at(-1)?.seq ?? since))];
      for (const message of messages.slice(0, REPLAY_LIMIT)) {
        send(ws, { type: 'message.created', message, replay: true });
        lastSent = message.seq;
      }
      if (messages.length > REPLAY_LIMIT) send(ws, { type: 'replay.truncated', fromSeq: lastSent + 1, toSeq: this.writer.seq });
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

  /**
   * A redeemed ticket's holder: the Worker checked the session and membership when it issued the
   * ticket (at most TICKET_TTL_MS ago), and every change that ends either (sign-out, password or
   * role change, deactivation, leaving, removal) drops the user's tickets here (closeUser), so
   * redeeming one needs no database read. Should such a drop not reach the room, the holder's
   * first message written behind is re-checked in Postgres and closes the socket.
   */
  private checkTicketHolder(user: RoomUser): Response | null {
    if (user.sessionVersion === undefined) return jsonError(401, 'invalid_ticket', 'The WebSocket ticket is not valid. Ask for a new one.');
    return null;
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

/** The room's write mode; the bench's baseline only ever against a local gateway, never in production. */
function writeMode(env: Env): WriteMode {
  const config = configFor(env);
  if (config.CHAT_ROOM_WRITES === 'baseline' && !config.NEON_FETCH_ENDPOINT) return 'behind';
  return config.CHAT_ROOM_WRITES;
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
