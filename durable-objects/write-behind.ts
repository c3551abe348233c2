import { isChannelGone, sqlState } from '../src/db/errors';
import { reserveIdsStatement, writeBehindLockStatement, writeBehindStatement, writtenBehind, type WrittenBehind } from '../src/chat/post-message';
import type { TenantDb } from '../src/tenancy/tenant-db';
import type { RoomLog } from './room-log';

/**
 * A room's log written to Postgres behind its broadcasts: groups of up to GROUP messages, ONE
 * statement each, idempotent by sequence number, in sequence order.
 *
 * One group is in flight while the room is quiet (a group starts as soon as there is something to
 * write, so nothing waits for a window). When round trips get long (a busy room: the answer waits
 * its turn behind the room's own work), a second group is sent half a round trip after the
 * first, so a message waits for about half a round trip before it is on its way instead of a
 * whole one. Postgres keeps the commits in order: every group locks the channel row first, and
 * the second is refused (NC409) unless the first has committed (nchat_lock_channel_after, tenant
 * migration 0009). Then, or after any failure, everything from the stored sequence on is
 * resent once the groups in flight have settled; rows already there are skipped.
 */
const GROUP = 500;
const MAX_IN_FLIGHT = 2;
/** Round trips shorter than this (a quiet room) never need a second group in flight. */
const PIPELINE_MIN_RTT_MS = 50;
/** Retries of a failed write back off up to this (then the room's alarm carries on). */
const MAX_RETRY_MS = 5_000;

export interface WriteBehindHost {
  channelId(): string;
  tenantDb(): TenantDb;
  /** These authors' messages reached Postgres after their session or membership ended. */
  revoked(authors: WrittenBehind['revoked']): void;
  /** Make sure an alarm will resume the writing if this instance goes away. */
  armAlarm(): void;
  /** How many message ids to reserve in the transaction about to run (0: none). */
  refillSize(): number;
  /** The ids reserved with a group (null: its transaction failed, and they with it). */
  refilled(rows: Record<string, unknown>[] | null): void;
  /** The channel was deleted meanwhile: its messages went with it. */
  channelGone(): void;
}

interface Flight {
  last: number;
  sentAt: number;
  done: boolean;
  error?: unknown;
  /** Sent behind another group (a refusal for order is then expected, not a failure). */
  pipelined: boolean;
}

export class WriteBehind {
  private inFlight: Flight[] = [];
  /** The highest sequence number sent in a group still in flight (or stored). */
  private sentUpTo = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  /** A moving average of round trips, which decides when a second group is worth sending. */
  private rttMs = 0;
  /** Bumped by stop(): answers to groups sent before it are ignored. */
  private generation = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly host: WriteBehindHost,
    private readonly log: RoomLog,
  ) {}

  /** Sends what the log holds beyond the groups in flight, as far as the pipeline allows. */
  kick(): void {
    if (this.retryTimer || this.inFlight.some((f) => f.error !== undefined)) return;
    if (!this.inFlight.length) this.sentUpTo = this.log.storedSeq;
    while ((this.log.maxSeq() ?? 0) > this.sentUpTo && this.maySend()) this.send();
    if (!this.inFlight.length) this.wakeIdle();
  }

  /** Resolves once nothing is in flight and either nothing is pending or a retry is scheduled. */
  idle(): Promise<void> {
    this.kick();
    if (!this.inFlight.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The channel is gone or the room resets: nothing more is sent, answers still under way are ignored. */
  stop(): void {
    this.generation += 1;
    this.inFlight = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.failures = 0;
    this.wakeIdle();
  }

  private maySend(): boolean {
    if (!this.inFlight.length) return true;
    if (this.inFlight.length >= MAX_IN_FLIGHT || this.rttMs < PIPELINE_MIN_RTT_MS) return false;
    // Evenly spaced: the second group leaves half a round trip after the first.
    return Date.now() - this.inFlight.at(-1)!.sentAt >= this.rttMs / MAX_IN_FLIGHT;
  }

  private send(): void {
    const group = this.log.pending(GROUP, this.sentUpTo);
    if (!group.length) {
      this.sentUpTo = this.log.maxSeq() ?? this.sentUpTo;
      return;
    }
    const first = group[0]!.message.seq;
    const flight: Flight = { last: group.at(-1)!.message.seq, sentAt: Date.now(), done: false, pipelined: this.inFlight.length > 0 };
    this.inFlight.push(flight);
    this.sentUpTo = flight.last;
    this.host.armAlarm();
    const tdb = this.host.tenantDb();
    const channelId = this.host.channelId();
    const refill = this.host.refillSize();
    const generation = this.generation;
    tdb
      .transaction([
        writeBehindLockStatement(tdb, channelId, flight.pipelined ? first - 1 : null),
        writeBehindStatement(tdb, channelId, group),
        ...(refill ? [reserveIdsStatement(tdb, refill)] : []),
      ])
      .then(
        ([, rows, reserved]) => {
          if (generation !== this.generation) return;
          if (refill) this.host.refilled(reserved ?? []);
          const rtt = Date.now() - flight.sentAt;
          this.rttMs = this.rttMs ? 0.8 * this.rttMs + 0.2 * rtt : rtt;
          flight.done = true;
          this.failures = 0;
          const { revoked } = writtenBehind(rows?.[0]);
          if (revoked.length) this.host.revoked(revoked);
          this.settled();
        },
        (err: unknown) => {
          if (generation !== this.generation) return;
          if (refill) this.host.refilled(null);
          flight.done = true;
          flight.error = err;
          this.settled();
        },
      );
  }

  /** A group's answer came: mark what is stored (in order), then send more, or handle a failure once all have settled. */
  private settled(): void {
    while (this.inFlight[0]?.done && this.inFlight[0].error === undefined) this.log.markStored(this.inFlight.shift()!.last);
    const failed = this.inFlight.find((f) => f.error !== undefined);
    if (!failed) return this.kick();
    if (this.inFlight.some((f) => !f.done)) return; // the others' answers first
    this.inFlight = [];
    const err = failed.error;
    if (isChannelGone(err)) {
      console.warn(JSON.stringify({ level: 'warn', msg: 'room_log_dropped', channelId: this.host.channelId(), messages: this.log.backlog() }));
      this.host.channelGone();
      return;
    }
    // Sent ahead of a group that had not committed: resend in order, now.
    if (failed.pipelined && sqlState(err) === 'NC409') return this.kick();
    this.failures += 1;
    const delay = Math.min(MAX_RETRY_MS, 50 * 2 ** Math.min(this.failures, 10));
    if (this.failures === 1 || this.failures % 20 === 0) {
      console.error(JSON.stringify({ level: 'error', msg: 'room_write_behind_failed', channelId: this.host.channelId(), attempt: this.failures, backlog: this.log.backlog(), error: String(err) }));
    }
    // The log keeps them (durable): try again later, and the alarm if this instance goes.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
