import { DurableObject } from 'cloudflare:workers';
import { b64url } from '../src/auth/password';
import { configFor } from '../src/config';
import { openDatabase, type Query } from '../src/db/client';
import { isSessionRevoked, sqlState } from '../src/db/errors';
import { MESSAGE_COLUMNS, mentionHandles, messageFromRow, type ChatMessage } from '../src/chat/message-model';
import { afterGroupStatements, insertMessageStatement, sequenceGuardStatement, type NewMessage } from '../src/chat/post-message';
import { clientFrameSchema, ROOM_CONTEXT_HEADER, ROOM_ERROR_PREFIX, ROOM_USER_HEADER, type RoomContext, type RoomEvent, type RoomUser } from '../src/chat/room-protocol';
import { TenantDb } from '../src/tenancy/tenant-db';

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
 * Sockets use the hibernation API: the runtime keeps them open while the object sleeps;
 * per-socket state lives in the socket's attachment, the room's context in SQLite storage.
 */
const FLUSH_WINDOW_MS = 4;
const MAX_GROUP = 200;
const REPLAY_LIMIT = 500;
const TICKET_TTL_MS = 60_000;

interface Pending {
  message: NewMessage;
  resolve: (m: ChatMessage) => void;
  reject: (e: Error) => void;
  attempts: number;
}

interface SocketInfo {
  userId: string;
  role: string;
  connectedAt: number;
}

export class ChatRoom extends DurableObject<Env> {
  private context: RoomContext | null = null;
  private lastSeq: number | null = null;
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
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec('CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, user_json TEXT NOT NULL, expires INTEGER NOT NULL)');
      const row = sql.exec<{ value: string }>("SELECT value FROM room_meta WHERE key = 'context'").toArray()[0];
      if (row) this.context = JSON.parse(row.value) as RoomContext;
    });
  }

  async describe(): Promise<{ kind: 'ChatRoom'; id: string; sockets: number }> {
    return { kind: 'ChatRoom', id: this.ctx.id.toString(), sockets: this.ctx.getWebSockets().length };
  }

  // ---- RPC from the Worker ----

  /** Stores a message (group commit) and broadcasts it; resolves once it is committed. */
  async post(context: RoomContext, message: NewMessage): Promise<ChatMessage> {
    this.adopt(context);
    try {
      return await this.enqueue(message);
    } catch (err) {
      // Only message and name survive an RPC boundary: say what went wrong in the message.
      throw new Error(sqlState(err) === 'NC410' ? `${ROOM_ERROR_PREFIX}channel_archived` : `${ROOM_ERROR_PREFIX}not_stored: ${(err as Error).message}`);
    }
  }

  /** Broadcasts an event the Worker caused (edit, delete, reaction, read) after its commit. */
  async publish(context: RoomContext, event: RoomEvent): Promise<void> {
    this.adopt(context);
    this.broadcast(event);
  }

  /** A short-lived, single-use ticket for a browser's WebSocket (browsers cannot set headers). */
  async issueTicket(context: RoomContext, user: RoomUser): Promise<{ ticket: string; expiresAt: string }> {
    this.adopt(context);
    const ticket = randomToken();
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
    for (const ws of sockets) safeClose(ws, 4003, reason);
    if (sockets.length) this.broadcastPresence(sockets);
    return sockets.length;
  }

  /** Closes every socket (channel deleted). */
  async closeAll(reason: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM tickets');
    this.lastSeq = null;
    for (const ws of this.ctx.getWebSockets()) safeClose(ws, 4004, reason);
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return jsonError(426, 'upgrade_required', 'Expected a WebSocket upgrade.');
    const rawContext = request.headers.get(ROOM_CONTEXT_HEADER);
    if (!rawContext) return jsonError(400, 'bad_request', 'Missing room context.');
    this.adopt(JSON.parse(rawContext) as RoomContext);
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
      await this.ensureLastSeq();
    } catch {
      return jsonError(404, 'channel_not_found', 'No such channel, or you are not a member of it.');
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [user.userId]);
    server.serializeAttachment({ userId: user.userId, role: user.role, connectedAt: Date.now() } satisfies SocketInfo);
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
    try {
      frame = clientFrameSchema.parse(JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)));
    } catch (err) {
      // A malformed frame is the sender's problem: answer it, keep the room.
      const message = err instanceof SyntaxError ? 'Frames must be JSON.' : `Invalid frame: ${(err as Error).message.slice(0, 300)}`;
      return send(ws, { type: 'error', code: 'bad_frame', message });
    }
    try {
      switch (frame.type) {
        case 'ping':
          return send(ws, { type: 'pong' });
        case 'typing':
          return this.broadcast({ type: 'typing', userId: info.userId }, ws);
        case 'read':
          return await this.markRead(info.userId, frame.seq);
        case 'message': {
          const clientId = frame.clientId ?? null;
          if (frame.parentId && !(await this.isThreadParent(frame.parentId))) {
            return send(ws, { type: 'error', code: 'invalid_parent', message: 'Replies go to a message of this channel that is not itself a reply.', clientId });
          }
          await this.enqueue({ userId: info.userId, text: frame.text, parentId: frame.parentId ?? null, clientId, mentions: mentionHandles(frame.text) }).catch((err: unknown) => {
            if (sqlState(err) === 'NC410') return send(ws, { type: 'error', code: 'channel_archived', message: 'The channel is archived.', clientId });
            send(ws, { type: 'error', code: 'not_stored', message: 'The message could not be stored. Send it again.', clientId });
            console.error(JSON.stringify({ level: 'error', msg: 'room_post_failed', error: String(err) }));
          });
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
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.replaying.delete(ws);
    this.replayedUpTo.delete(ws);
    safeClose(ws, 1011, 'socket error');
    this.broadcastPresence([ws]);
  }

  // ---- internals ----

  /** Remembers which tenant and channel this room is (for after hibernation). */
  private adopt(context: RoomContext): void {
    if (this.context && this.context.channelId === context.channelId && this.context.tenant.id === context.tenant.id) return;
    if (this.context) throw new Error('room context mismatch');
    this.context = context;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO room_meta (key, value) VALUES ('context', ?)", JSON.stringify(context));
  }

  private tenantDb(): TenantDb {
    if (!this.context) throw new Error('room has no context yet');
    return new TenantDb(openDatabase(configFor(this.env)), this.context.tenant);
  }

  private async ensureLastSeq(): Promise<number> {
    if (this.lastSeq === null) {
      const tdb = this.tenantDb();
      const [rows] = await tdb.transaction([tdb.sql.query('SELECT last_seq FROM nchat_channels WHERE id = $1', [this.context!.channelId]) as Query]);
      const row = rows?.[0];
      if (!row) throw new Error('channel not found');
      this.lastSeq = Number(row.last_seq);
    }
    return this.lastSeq;
  }

  private enqueue(message: NewMessage): Promise<ChatMessage> {
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
      const before = await this.ensureLastSeq();
      const authors = new Map<string, number>();
      const inserts = group.map((p, i) => {
        authors.set(p.message.userId, before + i + 1);
        return insertMessageStatement(tdb, context.channelId, before + i + 1, p.message);
      });
      const last = before + group.length;
      const results = await tdb.transaction([sequenceGuardStatement(tdb, context.channelId, before), ...inserts, ...afterGroupStatements(tdb, context.channelId, last, authors)]);
      this.lastSeq = last;
      group.forEach((p, i) => {
        const row = results[i + 1]![0]!;
        const message = messageFromRow(row);
        p.resolve(message);
        this.broadcast({ type: 'message.created', message });
        if (message.parentId !== null) {
          this.broadcast({ type: 'thread.reply', parentId: message.parentId, replyCount: Number(row.parent_reply_count ?? 0), lastReplyAt: message.createdAt, message });
        }
      });
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
      // A sequence conflict (NC409 guard, 23505 unique) is retried after reloading.
      if ((code === 'NC409' || code === '23505') && p.attempts < 2) {
        p.attempts += 1;
        return this.commitGroup(group);
      }
      for (const q of group) q.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async isThreadParent(parentId: number): Promise<boolean> {
    const tdb = this.tenantDb();
    const [rows] = await tdb.transaction([
      tdb.sql.query('SELECT 1 AS ok FROM nchat_messages WHERE id = $1 AND channel_id = $2 AND parent_id IS NULL AND deleted_at IS NULL', [parentId, this.context!.channelId]) as Query,
    ]);
    return (rows?.length ?? 0) > 0;
  }

  private async markRead(userId: string, seq: number): Promise<void> {
    const tdb = this.tenantDb();
    const [rows] = await tdb.transaction([
      tdb.sql.query(
        `UPDATE nchat_channel_members m SET last_read_seq = greatest(m.last_read_seq, least($3::bigint, c.last_seq)), last_read_at = now()
         FROM nchat_channels c WHERE c.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2 RETURNING m.last_read_seq`,
        [this.context!.channelId, userId, seq],
      ) as Query,
    ]);
    const row = rows?.[0];
    if (row) this.broadcast({ type: 'read', userId, seq: Number(row.last_read_seq) });
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
    const tdb = new TenantDb(openDatabase(configFor(this.env)), this.context!.tenant, { userId: user.userId, sessionVersion: user.sessionVersion });
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

function randomToken(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(24)));
}
