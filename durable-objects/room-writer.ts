import type { ChannelKind } from '../src/db/schema';
import { isChannelGone, sqlState } from '../src/db/errors';
import { MESSAGE_COLUMNS, messageFromRow, type ChatMessage } from '../src/chat/message-model';
import {
  afterGroupStatements,
  channelStateStatement,
  insertMessageStatement,
  reserveIdsStatement,
  sequenceGuardStatement,
  type NewMessage,
  type WrittenBehind,
} from '../src/chat/post-message';
import type { Query } from '../src/db/client';
import type { TenantDb } from '../src/tenancy/tenant-db';
import type { RoomLog } from './room-log';
import { WriteBehind } from './write-behind';

/**
 * The ordering and durability of one channel's messages: the ChatRoom's single writer.
 *
 * Every message gets the next sequence number and is made durable before anyone hears of it,
 * in one of two ways, in arrival order:
 *
 * - **logged** (plain messages: no parent, files or mentions): appended to the room's SQLite log
 *   (RoomLog) and broadcast in the same turn — the runtime holds the frames until the write is
 *   confirmed. Postgres gets them behind (WriteBehind): groups of up to 500, ONE statement per
 *   group, idempotent by sequence number, committed in order, started as soon as the room has
 *   something to write (no window when the room is idle), two in flight when round trips get long.
 * - **written through** (REST posts, and messages whose admission needs Postgres: a reply's
 *   parent, files, mentions): the log's pending messages are written first, then these in one
 *   batch transaction with the admission check (nchat_admit_message), then they are broadcast.
 *   What arrives within FLUSH_WINDOW_MS shares the transaction, as before.
 *
 * Message ids come from blocks reserved from the table's identity sequence and are handed out in
 * sequence order, so a logged message has its final id when it is broadcast.
 *
 * Modes (CHAT_ROOM_WRITES): `behind` (the default, above), `through` (every message written
 * through: the design before the log, kept for comparison), `baseline` (bench only, on a local
 * gateway: messages are kept in the room's log and never reach Postgres).
 */
export type WriteMode = 'behind' | 'through' | 'baseline';

const FLUSH_WINDOW_MS = 4;
const MAX_GROUP = 200;
/**
 * Id blocks start small (a quiet room wastes few ids when it is evicted) and grow eightfold each
 * time the room uses one up (16, 128, 1,024, 8,192): a busy room holds thousands ahead, which is also how many
 * messages it can take while Postgres cannot be reached (ids are reserved there).
 */
const FIRST_ID_BLOCK = 16;
const MAX_ID_BLOCK = 8192;
/** A log this far behind Postgres refuses new messages (writers get not_stored) until it catches up. */
export const MAX_BACKLOG = 100_000;

export interface ChannelState {
  kind: ChannelKind;
  archived: boolean;
}

/** A message as it was made durable, for the room to broadcast. */
export interface Committed {
  message: ChatMessage;
  /** For a reply: the parent's reply count after it. */
  parentReplyCount?: number;
}

export interface RoomWriterHost {
  channelId(): string;
  tenantDb(): TenantDb;
  /** Broadcast these (in order) and tell the members' streams. */
  committed(messages: Committed[]): void;
  /** These authors' messages reached Postgres after their session or membership ended. */
  revoked(authors: WrittenBehind['revoked']): void;
  /** Make sure an alarm will resume the write-behind if this instance goes away. */
  armAlarm(): void;
}

export class ChannelGoneError extends Error {
  constructor() {
    super('channel not found');
  }
}

interface Pending {
  message: NewMessage;
  through: boolean;
  /** `earlier`: the message was already stored (a resend of one whose answer was lost). */
  resolve: (stored: { message: ChatMessage; earlier: boolean }) => void;
  reject: (e: Error) => void;
  attempts: number;
}

export class RoomWriter {
  private queue: Pending[] = [];
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSeq: number | null = null;
  private state: ChannelState | null = null;
  private ids: number[] = [];
  /** The size of the next block of ids to reserve. */
  private block = FIRST_ID_BLOCK;
  private lastBlock = FIRST_ID_BLOCK;
  private reserving: Promise<void> | null = null;
  /** A block of ids is being reserved with a group written behind. */
  private refillBehind = false;
  private readonly behind: WriteBehind;

  constructor(
    private readonly host: RoomWriterHost,
    private readonly log: RoomLog,
    readonly mode: WriteMode,
  ) {
    this.behind = new WriteBehind(
      {
        channelId: () => host.channelId(),
        tenantDb: () => host.tenantDb(),
        revoked: (authors) => host.revoked(authors),
        armAlarm: () => host.armAlarm(),
        refillSize: () => {
          const n = this.refillBehind ? 0 : this.refillSize();
          this.refillBehind = n > 0;
          return n;
        },
        refilled: (rows) => {
          this.refillBehind = false;
          if (rows) this.addIds(rows);
        },
        channelGone: () => this.reset(),
      },
      log,
    );
  }

  /** The channel's kind and archived state, loaded once (reloaded after `forgetState`). */
  async channel(): Promise<ChannelState> {
    if (!this.state || this.lastSeq === null) await this.load();
    return this.state!;
  }

  /** The newest sequence number a socket may have heard of. */
  get seq(): number {
    return this.lastSeq ?? this.log.maxSeq() ?? 0;
  }

  /** The channel's kind, once loaded. */
  get kind(): ChannelKind | null {
    return this.state?.kind ?? null;
  }

  /** How far Postgres has every message. */
  get storedSeq(): number {
    return this.log.storedSeq;
  }

  /** The channel changed (renamed, archived, unarchived): read it again before the next message. */
  forgetState(): void {
    this.state = null;
  }

  /** The channel was deleted: its log, ids and queue go. */
  reset(): void {
    this.behind.stop();
    this.refillBehind = false;
    this.log.clear();
    this.state = null;
    this.lastSeq = null;
    this.ids = [];
    for (const p of this.queue.splice(0)) p.reject(new ChannelGoneError());
  }

  /**
   * Makes `message` durable and answers with it. `through`: in Postgres before it is heard of
   * (otherwise in the room's log, unless the mode says through).
   */
  submit(message: NewMessage, through: boolean): Promise<{ message: ChatMessage; earlier: boolean }> {
    return new Promise((resolve, reject) => {
      // (The bench's baseline keeps everything in the room: nothing is written through.)
      const p: Pending = { message, through: this.mode === 'through' || (through && this.mode !== 'baseline'), resolve, reject, attempts: 0 };
      // The common case, with nothing to wait for: logged and broadcast in this turn.
      if (!p.through && !this.queue.length && !this.running && this.ready(1)) return this.logGroup([p]);
      this.queue.push(p);
      this.schedule();
    });
  }

  /** Resumes writing the log to Postgres (the alarm, or a room that woke up). */
  async resume(): Promise<boolean> {
    if (this.mode === 'baseline') return false;
    if (this.lastSeq === null) await this.load();
    if (!this.log.hasPending()) return false;
    await this.behind.idle();
    return this.log.hasPending();
  }

  // ---- internals ----

  private ready(n: number): boolean {
    return this.state !== null && this.lastSeq !== null && this.ids.length >= n;
  }

  /** The channel's state and sequence (the larger of Postgres's and the log's), and ids if low: one round trip. */
  private async load(): Promise<void> {
    const tdb = this.host.tenantDb();
    const want = this.idsLow() ? this.nextBlock() : 0;
    const [rows, idRows] = await tdb.transaction([channelStateStatement(tdb, this.host.channelId()), reserveIdsStatement(tdb, want)]);
    const row = rows?.[0];
    if (!row) throw new ChannelGoneError();
    this.state = { kind: row.kind as ChannelKind, archived: row.archived_at !== null };
    const inPostgres = Number(row.last_seq);
    // Everything up to Postgres's sequence is there (groups are written in order, atomically).
    if (this.mode !== 'baseline') this.log.markStored(inPostgres);
    this.lastSeq = Math.max(inPostgres, this.log.maxSeq() ?? 0, this.lastSeq ?? 0);
    this.addIds(idRows ?? []);
    if (this.mode === 'behind' && this.log.hasPending()) this.behind.kick();
  }

  private addIds(rows: Record<string, unknown>[]): void {
    const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    // A block reserved later holds only larger ids than any before it.
    this.ids.push(...ids.filter((id) => id > (this.ids.at(-1) ?? 0)));
  }

  /** Fewer ids left than half the last block: time to reserve the next (with the next write, if there is one), early enough that a busy room does not run out while the reservation is on its way. */
  private idsLow(): boolean {
    return this.ids.length < this.lastBlock / 2;
  }

  private nextBlock(): number {
    const size = this.block;
    this.lastBlock = size;
    this.block = Math.min(MAX_ID_BLOCK, this.block * 8);
    return size;
  }

  /** Ids to reserve in the transaction about to run (0: enough left, or a reservation is under way). */
  private refillSize(): number {
    return this.idsLow() && !this.reserving ? this.nextBlock() : 0;
  }

  private reserve(count: number): Promise<void> {
    if (!this.reserving) {
      const tdb = this.host.tenantDb();
      this.reserving = tdb
        .transaction([reserveIdsStatement(tdb, count)])
        .then(([rows]) => this.addIds(rows ?? []))
        .finally(() => (this.reserving = null));
    }
    return this.reserving;
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.state || this.lastSeq === null) await this.load();
  }

  private async ensureReady(n: number): Promise<void> {
    await this.ensureLoaded();
    while (this.ids.length < n) await this.reserve(Math.max(this.nextBlock(), n));
  }

  /** Only where no write to Postgres follows to carry the reservation (the write-behind carries it otherwise). */
  private refillIds(): void {
    if (this.mode === 'behind' || !this.idsLow() || this.reserving) return;
    this.reserve(this.nextBlock()).catch((err: unknown) => console.warn(JSON.stringify({ level: 'warn', msg: 'room_reserve_ids_failed', error: String(err) })));
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    // Written-through messages arriving together share one transaction: a short window.
    const wait = this.queue[0]?.through ? FLUSH_WINDOW_MS : 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        const through = this.queue[0]!.through;
        let n = 0;
        while (n < this.queue.length && n < MAX_GROUP && this.queue[n]!.through === through) n++;
        const group = this.queue.splice(0, n);
        try {
          if (through) await this.commitThrough(group);
          else {
            await this.ensureReady(group.length);
            this.logGroup(group);
          }
        } catch (err) {
          for (const p of group) p.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** A resend of a message the log still has: the stored one. */
  private earlier(p: Pending): ChatMessage | null {
    return p.message.clientId ? this.log.byClientId(p.message.userId, p.message.clientId) : null;
  }

  /** Logs and broadcasts a group, synchronously (ids and sequence are at hand). */
  private logGroup(group: Pending[]): void {
    if (this.mode === 'behind' && this.log.backlog() >= MAX_BACKLOG) {
      const err = new Error('the room cannot reach Postgres and its log is full');
      for (const p of group) p.reject(err);
      return;
    }
    const createdAt = new Date().toISOString();
    const committed: Committed[] = [];
    for (const p of group) {
      const stored = this.earlier(p);
      if (stored) {
        p.resolve({ message: stored, earlier: true });
        continue;
      }
      const seq = this.lastSeq! + 1;
      const message = loggedMessage(this.host.channelId(), this.ids.shift()!, seq, p.message, createdAt);
      // (In the baseline the log is all there is: nothing is ever marked stored.)
      this.log.append([{ message, sessionVersion: p.message.sessionVersion }], false);
      this.lastSeq = seq;
      committed.push({ message });
      p.resolve({ message, earlier: false });
    }
    if (committed.length) this.host.committed(committed);
    if (this.mode === 'behind') this.behind.kick();
    this.refillIds();
  }

  /** Writes the log's pending messages, then the group with its admission check, in Postgres; then broadcasts. */
  private async commitThrough(group: Pending[]): Promise<void> {
    if (this.mode === 'behind') await this.drain();
    const fresh = group.filter((p) => {
      const stored = this.earlier(p);
      if (stored) p.resolve({ message: stored, earlier: true });
      return !stored;
    });
    if (fresh.length) await this.commitStored(fresh);
  }

  private async commitStored(group: Pending[]): Promise<void> {
    const channelId = this.host.channelId();
    try {
      await this.ensureLoaded();
      const tdb = this.host.tenantDb();
      const before = this.lastSeq!;
      // Ids from the room's block while it has enough; otherwise the sequence's next ones (larger
      // than any reserved before), and the rest of the block is dropped. A new block, when due,
      // is reserved in the same transaction, after the inserts.
      const fromPool = this.ids.length >= group.length;
      const ids = fromPool ? this.ids.slice(0, group.length) : group.map(() => null);
      const refill = fromPool ? this.refillSize() : this.nextBlock();
      const authors = new Map<string, number>();
      const inserts = group.map((p, i) => {
        authors.set(p.message.userId, before + i + 1);
        return insertMessageStatement(tdb, channelId, ids[i]!, before + i + 1, p.message);
      });
      const last = before + group.length;
      const after = afterGroupStatements(tdb, channelId, last, authors);
      const results = await tdb.transaction([sequenceGuardStatement(tdb, channelId, before), ...inserts, ...after, ...(refill ? [reserveIdsStatement(tdb, refill)] : [])]);
      if (fromPool) this.ids.splice(0, group.length);
      else this.ids = [];
      if (refill) this.addIds(results[1 + inserts.length + after.length] ?? []);
      this.lastSeq = last;
      const committed = group.map((p, i): Committed => {
        const row = results[i + 1]![0]!;
        const message = messageFromRow(row);
        p.resolve({ message, earlier: false });
        return message.parentId === null ? { message } : { message, parentReplyCount: Number(row.parent_reply_count ?? 0) };
      });
      this.log.append(
        committed.map((c, i) => ({ message: c.message, sessionVersion: group[i]!.message.sessionVersion })),
        true,
      );
      this.host.committed(committed);
    } catch (err) {
      const code = sqlState(err);
      if (isChannelGone(err)) throw new ChannelGoneError();
      this.lastSeq = null; // reload from the database (and the log) before the next attempt
      if (group.length > 1 && code) {
        // One bad message (say, a parent deleted meanwhile) must not sink the others: retry
        // each on its own.
        for (const p of group) await this.commitStored([p]).catch((e: unknown) => p.reject(e instanceof Error ? e : new Error(String(e))));
        return;
      }
      const p = group[0]!;
      if (code === 'NC208') return this.answerWithStored(p, err);
      // A sequence conflict (NC409 guard, 23505 unique) is retried after reloading.
      if ((code === 'NC409' || code === '23505') && p.attempts < 2) {
        p.attempts += 1;
        return this.commitStored(group);
      }
      throw err;
    }
  }

  /** A resend refused as already stored (NC208, the stored id in DETAIL): the writer gets the stored message. */
  private async answerWithStored(p: Pending, err: unknown): Promise<void> {
    const id = Number((err as { detail?: unknown }).detail);
    const tdb = this.host.tenantDb();
    const [rows] = await tdb.transaction([tdb.sql.query(`SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1 AND m.channel_id = $2`, [id, this.host.channelId()]) as Query]);
    const row = rows?.[0];
    if (!row) throw new Error(`stored message ${id} not found`);
    p.resolve({ message: messageFromRow(row), earlier: true });
  }

  /** Until Postgres has every logged message; throws if it cannot be written now. */
  private async drain(): Promise<void> {
    if (!this.log.hasPending()) return;
    await this.behind.idle();
    if (this.log.hasPending()) throw new Error('the room could not write its log to Postgres');
  }
}

/** A plain message as the room logs and broadcasts it (Postgres will hold the same values). */
function loggedMessage(channelId: string, id: number, seq: number, m: NewMessage, createdAt: string): ChatMessage {
  return {
    id,
    channelId,
    seq,
    userId: m.userId,
    parentId: null,
    text: m.text,
    clientId: m.clientId,
    replyCount: 0,
    lastReplyAt: null,
    editedAt: null,
    deleted: false,
    deletedAt: null,
    createdAt,
    mentions: [],
    reactions: [],
    attachments: [],
  };
}
