// The live tail: one reader per store follows the end of the log for all of the store's caught-up
// subscriptions. Woken by the store's notifications, it reads the next window of the log (every
// stream, with payload) once and keeps the most recent rows; each subscription takes the rows after
// its own position from there and picks its stream prefix's events itself. However many
// subscriptions a process has (the scheduler follows three prefixes), a burst of commits costs one
// read, and the question whether committed rows wait behind the fence travels with it.
//
// The kept rows are a contiguous run of the log in subscription order: the tail always reads on
// from its last row, and the fence guarantees that no row can later appear before a row already
// read. So the rows after a position inside the run are exactly what a read after that position
// would return. A subscription whose position is older than the run (the oldest rows make room for
// new ones) reads on its own until it catches up again.
import { Wakeup } from '../wakeup.js';
import type { LogPosition } from './checkpoint.js';
import { positionOfRow, type EventRow, type TailWindow } from './catch-up-reads.js';

/** Where the tail's rows and wake-ups come from (the store's pool and notifications). */
export interface LiveTailSource {
  /** The next window of the log after `after`, at most `limit` rows. */
  read(after: LogPosition, limit: number): Promise<TailWindow>;
  /** Wakes `wakeup` on every commit from now on; resolves once that is in place (or failed). */
  listen(wakeup: Wakeup): Promise<unknown>;
}

export interface LiveTailOptions {
  /** Rows per read. */
  readonly windowRows: number;
  /** Rows kept for subscriptions that are behind the end; older ones make room. */
  readonly keptRows: number;
  /** Reads this often without a notification, in case one was lost. */
  readonly pollIntervalMs: number;
  /** Ends the reading when the store closes. */
  readonly closing: AbortSignal;
}

// While committed events wait behind an open transaction, re-read soon, then less often: the
// transaction holding them back may not be one of ours, which would notify when it commits.
const firstHeldBackRetryMs = 5;
const maxHeldBackRetryMs = 100;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class LiveTail {
  private rows: EventRow[] = [];
  /** The position just before rows[0]. */
  private start: LogPosition | undefined;
  /** The position of the last row, or `start` when there is none. */
  private end: LogPosition | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly wakeup = new Wakeup();
  private listening: Promise<unknown> | undefined;
  private running: Promise<void> | undefined;
  private following = false;
  private reading = false;

  constructor(
    private readonly source: LiveTailSource,
    private readonly options: LiveTailOptions,
  ) {}

  /**
   * Up to `maxRows` rows right after `after`, waiting while there are none yet; undefined when the
   * tail no longer keeps the rows after `after` (read them on your own). Resolves with no rows when
   * `signal` aborts; rejects when the tail's read fails.
   */
  async rowsAfter(
    after: LogPosition,
    maxRows: number,
    signal: AbortSignal,
  ): Promise<EventRow[] | undefined> {
    while (!signal.aborted) {
      const idle = this.waiters.size === 0 && !this.reading;
      if (this.start === undefined || this.end === undefined) {
        this.restartAt(after);
      } else if (comparePositions(after, this.start) < 0) {
        // Older than the kept rows: read on your own, unless there is nothing to lose.
        if (!idle || this.rows.length > 0) return undefined;
        this.restartAt(after);
      } else if (comparePositions(after, this.end) > 0) {
        // The subscription read past the tail on its own: the tail catches up, or starts there.
        if (idle) this.restartAt(after);
      } else {
        const next = this.indexAfter(after);
        if (next < this.rows.length) return this.rows.slice(next, next + maxRows);
      }
      await this.nextRead(signal);
    }
    return [];
  }

  /** Resolves once the tail has stopped reading. */
  async stopped(): Promise<void> {
    while (this.following) await this.running;
  }

  private restartAt(position: LogPosition): void {
    this.rows = [];
    this.start = position;
    this.end = position;
  }

  /** Index of the first kept row after `position`, which lies between start and end. */
  private indexAfter(position: LogPosition): number {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const row = this.rows[middle] as EventRow;
      if (comparePositions(positionOfRow(row), position) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Waits until a read has added rows (or failed), keeping the tail reading meanwhile. */
  private nextRead(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => done(resolve),
        reject: (error) => done(() => reject(error)),
      };
      const aborted = (): void => done(resolve);
      const done = (settle: () => void): void => {
        this.waiters.delete(waiter);
        signal.removeEventListener('abort', aborted);
        settle();
      };
      this.waiters.add(waiter);
      signal.addEventListener('abort', aborted, { once: true });
      this.keepFollowing();
    });
  }

  private keepFollowing(): void {
    if (this.following || this.options.closing.aborted) return;
    this.following = true;
    this.running = this.follow()
      .catch((error: unknown) => {
        for (const waiter of [...this.waiters]) waiter.reject(error);
      })
      .finally(() => {
        this.following = false;
        // A subscription may have started waiting after the loop saw nobody waiting.
        if (this.waiters.size > 0) this.keepFollowing();
      });
  }

  private async follow(): Promise<void> {
    const { closing } = this.options;
    this.listening ??= this.source.listen(this.wakeup);
    await this.listening;
    let heldBackRetryMs = firstHeldBackRetryMs;
    while (this.waiters.size > 0 && !closing.aborted) {
      const window = await this.readWindow();
      if (window === undefined) return;
      // Rows came through: whatever holds others back may end soon too, so start the backoff anew.
      if (window.rows.length > 0) heldBackRetryMs = firstHeldBackRetryMs;
      if (window.rows.length === this.options.windowRows) continue;
      if (window.heldBack) {
        await this.wakeup.wait(heldBackRetryMs, closing);
        heldBackRetryMs = Math.min(heldBackRetryMs * 2, maxHeldBackRetryMs);
      } else {
        heldBackRetryMs = firstHeldBackRetryMs;
        await this.wakeup.wait(this.options.pollIntervalMs, closing);
      }
    }
  }

  /** Reads on from the end and hands new rows to the waiters; undefined when the read failed. */
  private async readWindow(): Promise<TailWindow | undefined> {
    const from = this.end;
    if (from === undefined) return { rows: [], heldBack: false };
    let window: TailWindow;
    this.reading = true;
    try {
      window = await this.source.read(from, this.options.windowRows);
    } catch (error) {
      for (const waiter of [...this.waiters]) waiter.reject(error);
      return undefined;
    } finally {
      this.reading = false;
    }
    // The tail never restarts while it reads (see rowsAfter), so the rows continue the run.
    const last = window.rows.at(-1);
    if (last === undefined) return window;
    this.rows.push(...window.rows);
    this.end = positionOfRow(last);
    const surplus = this.rows.length - this.options.keptRows;
    if (surplus > 0) {
      this.start = positionOfRow(this.rows[surplus - 1] as EventRow);
      this.rows.splice(0, surplus);
    }
    for (const waiter of [...this.waiters]) waiter.resolve();
    return window;
  }
}

/** Orders two positions as subscriptions read them: by transaction id, then global position. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  const byTransaction = compareDecimal(a.transactionId, b.transactionId);
  return byTransaction !== 0 ? byTransaction : compareDecimal(a.globalPosition, b.globalPosition);
}

function compareDecimal(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
