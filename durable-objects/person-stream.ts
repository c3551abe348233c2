import { DurableObject } from 'cloudflare:workers';
import { memberChannelView } from '../src/chat/channels';
import { CLOSE_CODES, PING_FRAME, PONG_FRAME } from '../src/chat/room-protocol';
import { STREAM_CONTEXT_HEADER, type StreamContext, type StreamEvent, type StreamFrame, type StreamNotice } from '../src/chat/stream-protocol';
import { configFor } from '../src/config';
import { openDatabase, type Query } from '../src/db/client';
import { TenantDb } from '../src/tenancy/tenant-db';

/**
 * One per tenant user (`idFromName(tenantId + ':' + userId)`): the person's event stream across
 * all their channels — what keeps a sidebar's unread counts, new DMs and mentions live while
 * only one channel is open.
 *
 * How events get here: while the person has a stream socket open (and for a grace period after
 * the last one closes, so a reconnect loses nothing), this object is subscribed to the ChatRoom
 * of each of their channels; a room tells its subscribers about each committed message, read
 * positions and channel changes. Membership changes reach it from the Worker after the commit.
 * Rooms of channels the person is not in never hear of this object, so nothing of a private
 * channel reaches anyone else's stream.
 *
 * Every event gets a per-person sequence number and is kept (the last KEEP_EVENTS) in SQLite,
 * so a client resumes with `?since=`; when the events since then were not all recorded (it was
 * away longer than the grace period) it gets `resync` and reloads its bootstrap.
 */
const KEEP_EVENTS = 1000;
const GRACE_MS = 5 * 60_000;
const SUBSCRIBE_CONCURRENCY = 25;
const SESSION_CHECK_MS = 60_000;

interface SocketInfo {
  sessionVersion: number;
}

interface Identity {
  tenant: StreamContext['tenant'];
  userId: string;
}

export class PersonStream extends DurableObject<Env> {
  private identity: Identity | null = null;
  /** When the sockets' sessions were last checked against the database (0: not since waking). */
  private sessionCheckedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Keep-alive pings are answered by the runtime itself, without waking a hibernating object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS rooms (channel_id TEXT PRIMARY KEY)');
      const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'identity'").toArray()[0];
      if (row) this.identity = JSON.parse(row.value) as Identity;
    });
  }

  // ---- the socket ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return jsonError(426, 'upgrade_required', 'Expected a WebSocket upgrade.');
    const raw = request.headers.get(STREAM_CONTEXT_HEADER);
    if (!raw) return jsonError(400, 'bad_request', 'Missing stream context.');
    const context = JSON.parse(raw) as StreamContext;
    this.adopt(context);
    const sinceText = new URL(request.url).searchParams.get('since');
    const since = sinceText !== null && /^\d{1,15}$/.test(sinceText) ? Number(sinceText) : null;
    if (sinceText !== null && since === null) return jsonError(400, 'invalid_since', 'since must be a sequence number.');

    // Listening again: keep the subscriptions (cancel their expiry) and bring them in line with
    // the channels the person is in now (joined or left while nobody listened).
    await this.ctx.storage.deleteAlarm();
    await this.syncRooms(context.channelIds);

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ sessionVersion: context.sessionVersion } satisfies SocketInfo);
    const last = this.lastSeq();
    send(server, { type: 'ready', seq: last });
    if (since !== null && since < last) {
      if (since < this.firstCompleteSeq()) send(server, { type: 'resync', seq: last });
      else for (const frame of this.eventsAfter(since)) sendRaw(server, frame);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    let type: unknown;
    try {
      type = (JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as { type?: unknown }).type;
    } catch {
      return send(ws, { type: 'error', code: 'bad_frame', message: 'Frames must be JSON.' });
    }
    if (type === 'ping') return send(ws, { type: 'pong' });
    send(ws, { type: 'error', code: 'bad_frame', message: 'This stream takes only {"type":"ping"}.' });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    await this.expireIfIdle(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    safeClose(ws, 1011, 'socket error');
    await this.expireIfIdle(ws);
  }

  // ---- RPC: rooms and the Worker ----

  /**
   * Events from a room or the Worker. Answers whether anyone is listening: a room forgets a
   * subscriber that is not, and the Worker's notices to a stream nobody has open are dropped
   * (the next connection reads the channels afresh).
   */
  async deliver(notices: StreamNotice[]): Promise<{ listening: boolean }> {
    if (!this.listening()) return { listening: false };
    if (!(await this.sessionsStillValid())) return { listening: this.listening() };
    for (const notice of notices) {
      // A room's news only for channels this stream listens to: a notice sent before a removal
      // reached the room must not follow the person out of the channel.
      if ((notice.kind === 'activity' || notice.kind === 'read') && !this.subscribedTo(notice.kind === 'activity' ? notice.event.channelId : notice.channelId)) continue;
      const event = await this.eventOf(notice);
      if (event) this.emit(event);
    }
    return { listening: true };
  }

  private subscribedTo(channelId: string): boolean {
    return this.ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM rooms WHERE channel_id = ?', channelId).one().n > 0;
  }

  /**
   * The sessions the sockets were opened with, re-checked at most once a SESSION_CHECK_MS: the
   * Worker closes the stream when sessions end, but that call can fail; this is the backstop.
   * Sockets of an ended session close (4401); with none left the stream stops listening.
   */
  private async sessionsStillValid(now = Date.now()): Promise<boolean> {
    if (now - this.sessionCheckedAt < SESSION_CHECK_MS || !this.identity) return true;
    this.sessionCheckedAt = now;
    const tdb = this.tenantDb();
    const [rows] = await tdb.transaction([tdb.sql.query("SELECT session_version FROM nchat_users WHERE id = $1 AND status = 'active'", [this.identity.userId]) as Query]);
    const current = rows?.[0] ? Number(rows[0].session_version) : null;
    let ended = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const info = ws.deserializeAttachment() as SocketInfo | null;
      if (current === null || info?.sessionVersion !== current) {
        safeClose(ws, CLOSE_CODES.sessionEnded, 'this session has ended: sign in again');
        ended++;
      }
    }
    if (ended && ended === this.ctx.getWebSockets().length) {
      await this.unsubscribeAll();
      return false;
    }
    return true;
  }

  /** The person's sessions ended (signed out, deactivated, password or role changed): close and stop listening. */
  async closeAll(reason: string): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) safeClose(ws, CLOSE_CODES.userRemoved, reason);
    await this.unsubscribeAll();
    return sockets.length;
  }

  override async alarm(): Promise<void> {
    if (this.ctx.getWebSockets().some((ws) => ws.readyState === WebSocket.OPEN)) return;
    await this.unsubscribeAll();
  }

  // ---- internals ----

  private adopt(context: StreamContext): void {
    const identity: Identity = { tenant: { id: context.tenant.id, schemaName: context.tenant.schemaName, roleName: context.tenant.roleName }, userId: context.userId };
    if (this.identity) {
      if (this.identity.userId !== identity.userId || this.identity.tenant.id !== identity.tenant.id) throw new Error('stream identity mismatch');
      return;
    }
    this.identity = identity;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('identity', ?)", JSON.stringify(identity));
  }

  /** Subscribed (sockets open, or within the grace period after the last closed). */
  private listening(): boolean {
    return this.ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM rooms').one().n > 0 || this.ctx.getWebSockets().length > 0;
  }

  private async eventOf(notice: StreamNotice): Promise<StreamEvent | null> {
    switch (notice.kind) {
      case 'activity':
        return notice.event;
      case 'read':
        return { type: 'read', channelId: notice.channelId, lastReadSeq: notice.lastReadSeq };
      case 'channel_removed':
        this.ctx.storage.sql.exec('DELETE FROM rooms WHERE channel_id = ?', notice.channelId);
        return { type: 'channel.removed', channelId: notice.channelId };
      case 'channel_changed': {
        const channel = await memberChannelView(this.tenantDb(), this.identity!.userId, notice.channelId);
        if (!channel) return null; // not theirs (any more): nothing to say
        if (notice.change === 'added') await this.subscribe([notice.channelId]);
        return { type: notice.change === 'added' ? 'channel.added' : 'channel.updated', channel };
      }
    }
  }

  private emit(event: StreamEvent): void {
    const sql = this.ctx.storage.sql;
    const seq = this.lastSeq() + 1;
    const frame = JSON.stringify({ ...event, seq } satisfies StreamFrame);
    sql.exec('INSERT INTO events (seq, frame) VALUES (?, ?)', seq, frame);
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", String(seq));
    sql.exec('DELETE FROM events WHERE seq <= ?', seq - KEEP_EVENTS);
    for (const ws of this.ctx.getWebSockets()) sendRaw(ws, frame);
  }

  /** The last sequence number given (kept apart from the events, which are trimmed). */
  private lastSeq(): number {
    return Number(this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'seq'").toArray()[0]?.value ?? 0);
  }

  /**
   * The lowest `since` a replay can serve: events after it are all recorded. Earlier ones were
   * dropped (KEEP_EVENTS), or happened while the stream was not subscribed (the gap mark).
   */
  private firstCompleteSeq(): number {
    const sql = this.ctx.storage.sql;
    const oldest = sql.exec<{ seq: number | null }>('SELECT min(seq) AS seq FROM events').one().seq;
    const gap = Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'gap_after'").toArray()[0]?.value ?? 0);
    const kept = oldest === null ? this.lastSeq() : oldest - 1;
    return Math.max(kept, gap);
  }

  private eventsAfter(since: number): string[] {
    return this.ctx.storage.sql.exec<{ frame: string }>('SELECT frame FROM events WHERE seq > ? ORDER BY seq', since).toArray().map((r) => r.frame);
  }

  private async syncRooms(channelIds: string[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    const current = new Set(sql.exec<{ channel_id: string }>('SELECT channel_id FROM rooms').toArray().map((r) => r.channel_id));
    const wanted = new Set(channelIds);
    const gone = [...current].filter((id) => !wanted.has(id));
    for (const id of gone) sql.exec('DELETE FROM rooms WHERE channel_id = ?', id);
    await Promise.all(gone.map((id) => this.room(id).unsubscribeStream(this.identity!.userId).catch(() => undefined)));
    await this.subscribe([...wanted].filter((id) => !current.has(id)));
  }

  private async subscribe(channelIds: string[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (let i = 0; i < channelIds.length; i += SUBSCRIBE_CONCURRENCY) {
      await Promise.all(
        channelIds.slice(i, i + SUBSCRIBE_CONCURRENCY).map(async (channelId) => {
          try {
            await this.room(channelId).subscribeStream(this.identity!.tenant, channelId, this.identity!.userId);
            sql.exec('INSERT OR IGNORE INTO rooms (channel_id) VALUES (?)', channelId);
          } catch (err) {
            // That channel's unread count stays as the bootstrap read it until the next connect.
            console.warn(JSON.stringify({ level: 'warn', msg: 'stream_subscribe_failed', channelId, error: String(err) }));
          }
        }),
      );
    }
  }

  /** Stops listening: every room forgets this stream, and events until the next subscription are not recorded. */
  private async unsubscribeAll(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const rooms = sql.exec<{ channel_id: string }>('SELECT channel_id FROM rooms').toArray().map((r) => r.channel_id);
    sql.exec('DELETE FROM rooms');
    // From here on nothing is recorded: the sequence moves past the gap, so a client that comes
    // back with the last seq it saw is behind it and gets `resync`.
    const gap = this.lastSeq() + 1;
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", String(gap));
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('gap_after', ?)", String(gap));
    await this.ctx.storage.deleteAlarm();
    if (!this.identity) return;
    await Promise.all(rooms.map((id) => this.room(id).unsubscribeStream(this.identity!.userId).catch(() => undefined)));
  }

  private async expireIfIdle(closing: WebSocket): Promise<void> {
    if (this.ctx.getWebSockets().some((ws) => ws !== closing && ws.readyState === WebSocket.OPEN)) return;
    await this.ctx.storage.setAlarm(Date.now() + GRACE_MS);
  }

  private room(channelId: string) {
    return this.env.CHAT_ROOM.get(this.env.CHAT_ROOM.idFromName(`${this.identity!.tenant.id}:${channelId}`));
  }

  private tenantDb(): TenantDb {
    return TenantDb.forSystemWork(openDatabase(configFor(this.env)), this.identity!.tenant, 'person-stream');
  }
}

function send(ws: WebSocket, frame: StreamFrame): void {
  sendRaw(ws, JSON.stringify(frame));
}

function sendRaw(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    /* closing or closed */
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
