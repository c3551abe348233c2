import type { ChatMessage } from '../src/chat/message-model';
import type { LoggedMessage } from '../src/chat/post-message';

/**
 * A ChatRoom's durable message log, in the room's own SQLite storage.
 *
 * Why it exists: a Durable Object confirms a storage write only once it is stored safely, and
 * the runtime's output gate holds every outgoing frame and RPC answer until the writes before it
 * are confirmed. So a message appended here and broadcast right after is never heard of unless
 * it is durable — without waiting for a Postgres round trip. Postgres (where history, search and
 * exports read) gets the log's messages behind, in groups, in sequence order (RoomWriter).
 *
 * `storedSeq` is how far Postgres has everything: every message with a sequence number at or
 * below it is in Postgres; the log still holds every message above it (pending). Stored rows are
 * kept a while longer, so a resent message (same author and client id) is recognised without a
 * database read, and then trimmed.
 */
/** Stored rows kept for resend detection: at least the newest KEEP_ROWS, or those younger than KEEP_MS. */
const KEEP_ROWS = 1_000;
const KEEP_MS = 10 * 60_000;
/** However young, never more stored rows than this (a room flat out for ten minutes). */
const KEEP_MAX_ROWS = 50_000;
const TRIM_EVERY_MS = 10_000;

export class RoomLog {
  private stored: number;
  /** The highest sequence number logged (0: none), kept in memory: asked on every message. */
  private max: number;
  private lastTrim = 0;

  constructor(private readonly sql: SqlStorage) {
    // (The room's own table; created here too, since the log is built in the room's constructor.)
    sql.exec('CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    sql.exec(`CREATE TABLE IF NOT EXISTS room_log (
      seq INTEGER PRIMARY KEY,
      user_id TEXT NOT NULL,
      client_id TEXT,
      session_version INTEGER NOT NULL,
      message TEXT NOT NULL,
      logged_at INTEGER NOT NULL
    )`);
    sql.exec('CREATE INDEX IF NOT EXISTS room_log_client ON room_log (user_id, client_id) WHERE client_id IS NOT NULL');
    const row = sql.exec<{ value: string }>("SELECT value FROM room_meta WHERE key = 'stored_seq'").toArray()[0];
    this.stored = row ? Number(row.value) : 0;
    this.max = Number(sql.exec<{ s: number | null }>('SELECT max(seq) AS s FROM room_log').one().s ?? 0);
  }

  /** Every message at or below this sequence number is in Postgres. */
  get storedSeq(): number {
    return this.stored;
  }

  /** The highest sequence number the log holds (null: none). */
  maxSeq(): number | null {
    return this.max === 0 ? null : this.max;
  }

  hasPending(): boolean {
    return this.max > this.stored;
  }

  /** How many messages wait for Postgres (sequence numbers are consecutive). */
  backlog(): number {
    return Math.max(0, this.max - this.stored);
  }

  /** Appends messages (consecutive sequence numbers, in order). `stored`: they are in Postgres already. */
  append(entries: LoggedMessage[], stored: boolean, now = Date.now()): void {
    for (const { message, sessionVersion } of entries) {
      this.sql.exec(
        'INSERT OR REPLACE INTO room_log (seq, user_id, client_id, session_version, message, logged_at) VALUES (?, ?, ?, ?, ?, ?)',
        message.seq,
        message.userId,
        message.clientId,
        sessionVersion,
        JSON.stringify(message),
        now,
      );
      this.max = Math.max(this.max, message.seq);
    }
    const last = entries.at(-1);
    if (stored && last) this.markStored(last.message.seq);
  }

  /** The oldest pending messages above `after` (default: all pending), in sequence order. */
  pending(limit: number, after = this.stored): LoggedMessage[] {
    return this.sql
      .exec<{ message: string; session_version: number }>('SELECT message, session_version FROM room_log WHERE seq > ? ORDER BY seq LIMIT ?', Math.max(after, this.stored), limit)
      .toArray()
      .map((r) => ({ message: JSON.parse(r.message) as ChatMessage, sessionVersion: Number(r.session_version) }));
  }

  /** Postgres has everything up to `seq` (never moves back); old stored rows are trimmed. */
  markStored(seq: number, now = Date.now()): void {
    if (seq <= this.stored) return;
    this.stored = seq;
    this.sql.exec("INSERT OR REPLACE INTO room_meta (key, value) VALUES ('stored_seq', ?)", String(seq));
    // Trimming reads the rows it keeps: now and then, not after every group.
    if (now - this.lastTrim < TRIM_EVERY_MS) return;
    this.lastTrim = now;
    const newest = this.max;
    this.sql.exec('DELETE FROM room_log WHERE seq <= ? AND seq <= ? AND (logged_at < ? OR seq <= ?)', seq, newest - KEEP_ROWS, now - KEEP_MS, newest - KEEP_MAX_ROWS);
  }

  /** Pending messages above `seq`, in order (what a reconnecting socket missed that Postgres may not have yet). */
  pendingAfter(seq: number, limit: number): ChatMessage[] {
    return this.sql
      .exec<{ message: string }>('SELECT message FROM room_log WHERE seq > ? AND seq > ? ORDER BY seq LIMIT ?', seq, this.stored, limit)
      .toArray()
      .map((r) => JSON.parse(r.message) as ChatMessage);
  }

  /** The message this author already sent with this client id, if the log still has it. */
  byClientId(userId: string, clientId: string): ChatMessage | null {
    const row = this.sql.exec<{ message: string }>('SELECT message FROM room_log WHERE user_id = ? AND client_id = ? ORDER BY seq LIMIT 1', userId, clientId).toArray()[0];
    return row ? (JSON.parse(row.message) as ChatMessage) : null;
  }

  /** The channel is gone: so is its log. */
  clear(): void {
    this.sql.exec('DELETE FROM room_log');
    this.sql.exec("DELETE FROM room_meta WHERE key = 'stored_seq'");
    this.stored = 0;
    this.max = 0;
  }
}
