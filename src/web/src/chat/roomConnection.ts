import type { RoomFrame } from '../api/types';
import { ReconnectingSocket, socketUrl, type SocketStatus } from '../realtime/ReconnectingSocket';
import type { Timeline } from './timeline';

/**
 * One channel's room socket, and the bookkeeping that makes a reconnect lose nothing: each
 * connection asks for `?since=<last sequence delivered>`; sequence numbers are consecutive per
 * channel, so a frame that skips one is a gap (the connection is restarted from where it was),
 * and one at or below it is a replay of something already shown (merged by id, not added).
 * The connection is "caught up" once it has delivered everything up to the room's lastSeq at
 * `ready`; only then are unconfirmed sends retried, so none is sent twice.
 *
 * When the room cannot replay (`replay_failed`), the newest REST page stands in for the replay:
 * until it is read, live frames are merged without gap checks (they are everything committed
 * since the socket was accepted); a page that reaches the room's lastSeq at `ready` completes
 * the connection (`historyReloaded`).
 */
export interface RoomHandlers {
  onFrame(frame: RoomFrame): void;
  /** Everything up to the room's lastSeq at `ready` is here; `resumed`: this was a reconnection. */
  onCaughtUp(resumed: boolean): void;
  onStatus(status: SocketStatus): void;
  onTerminal(code: number, reason: string): void;
  onTruncated(): void;
  /** The room could not replay what was missed: read the newest page, then call historyReloaded. */
  onReplayFailed(): void;
  /** Handshakes keep failing before any frame: find out why (see ReconnectingSocket). */
  onRefused(): Promise<'retry' | 'stop'>;
}

export class RoomConnection {
  private readonly socket: ReconnectingSocket<RoomFrame>;
  /** Counts connections: a send is retried only on a later connection than the one it went out on. */
  serial = 0;
  caughtUp = false;
  private targetSeq = 0;
  /** The replay failed: waiting for the newest page instead (see above). */
  private awaitingPage = false;
  private newestLiveSeq = 0;

  constructor(
    readonly timeline: Timeline,
    private readonly handlers: RoomHandlers,
  ) {
    this.socket = new ReconnectingSocket<RoomFrame>({
      url: () => socketUrl(`/api/channels/${encodeURIComponent(timeline.channelId)}/ws?since=${timeline.seenSeq}`),
      onFrame: (f) => this.handle(f),
      onStatus: (s) => {
        if (s !== 'open') this.caughtUp = false;
        handlers.onStatus(s);
      },
      onTerminal: (code, reason) => handlers.onTerminal(code, reason),
      checkRefusal: () => handlers.onRefused(),
    });
  }

  get status(): SocketStatus {
    return this.socket.status;
  }

  send(frame: object): boolean {
    return this.socket.send(frame);
  }

  close(): void {
    this.socket.close();
  }

  /** The newest page was read (newest sequence in it): after a failed replay, it completes the connection. */
  historyReloaded(newestSeq: number): void {
    // A page read before the room's lastSeq at `ready` could leave a hole below the live frames.
    if (!this.awaitingPage || newestSeq < this.targetSeq) return;
    this.awaitingPage = false;
    this.timeline.seenSeq = Math.max(this.timeline.seenSeq, newestSeq, this.newestLiveSeq);
    this.checkCaughtUp();
  }

  private handle(frame: RoomFrame): void {
    switch (frame.type) {
      case 'ready':
        this.serial++;
        this.caughtUp = false;
        this.awaitingPage = false;
        this.targetSeq = frame.lastSeq;
        this.handlers.onFrame(frame);
        this.checkCaughtUp();
        return;
      case 'message.created': {
        const seq = frame.message.seq;
        if (this.awaitingPage) {
          this.newestLiveSeq = Math.max(this.newestLiveSeq, seq);
          this.handlers.onFrame(frame);
          return;
        }
        if (seq > this.timeline.seenSeq + 1) {
          // Something was skipped: start again from the last one delivered in order.
          this.socket.reconnectNow();
          return;
        }
        if (seq === this.timeline.seenSeq + 1) this.timeline.seenSeq = seq;
        this.handlers.onFrame(frame);
        this.checkCaughtUp();
        return;
      }
      case 'replay.truncated':
        // More was missed than a replay carries: what is between is read from REST instead.
        this.timeline.seenSeq = Math.max(this.timeline.seenSeq, frame.toSeq);
        this.handlers.onTruncated();
        this.checkCaughtUp();
        return;
      case 'error':
        if (frame.code === 'replay_failed') {
          // Already caught up at `ready`: nothing was to be replayed, nothing is missing.
          if (this.caughtUp) return;
          this.awaitingPage = true;
          this.newestLiveSeq = 0;
          this.handlers.onReplayFailed();
          return;
        }
        this.handlers.onFrame(frame);
        return;
      default:
        this.handlers.onFrame(frame);
    }
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || this.awaitingPage || this.timeline.seenSeq < this.targetSeq) return;
    this.caughtUp = true;
    this.handlers.onCaughtUp(this.serial > 1);
  }
}
