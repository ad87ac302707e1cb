import pg, { type Pool } from 'pg';
import { checkAppendInput, checkBatchSize, checkExpectedVersion } from '../append-rules.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../port/event-store.js';
import { EventStoreUnavailableError } from '../port/errors.js';
import { ChangeNotifications, OwnConnections } from './change-notifications.js';
import { decodeCheckpoint, startOfLog, type LogPosition } from './checkpoint.js';
import {
  isAtOrPast,
  isSelected,
  positionOfRow,
  readHeadPosition,
  readCommittedRows,
  readStreamEvents,
  readTailWindow,
  toRecordedEvent,
  type EventRow,
} from './catch-up-reads.js';
import { GroupCommit } from './group-commit.js';
import { LiveTail } from './live-tail.js';
import { toEventStoreError } from './pg-errors.js';
import { toStoredJson } from './stored-json.js';

/** Where the store's connections come from: a pool it borrows, or a URL it opens its own pool on. */
export type PostgresConnection =
  | { readonly pool: Pool; readonly connectionString?: never }
  | { readonly connectionString: string; readonly pool?: never };

export interface PostgresEventStoreHooks {
  /**
   * Awaited inside every append transaction that wrote events, just before COMMIT, while the
   * transaction is still open. Exists for the contract suite, to provoke out-of-order commits.
   */
  readonly beforeCommit?: () => Promise<void>;
}

export type PostgresEventStoreOptions = PostgresConnection & {
  /** Largest number of events written by one group-commit transaction; default 1000. */
  readonly maxBatchEvents?: number;
  /**
   * Most characters of JSON (the events' data and metadata) written by one group-commit
   * transaction; default 32 Mi, at most 96 MiB of UTF-8. A single larger append goes alone.
   */
  readonly maxBatchJsonChars?: number;
  /** Group-commit transactions in flight at once, each on its own connection; default 2. */
  readonly maxTransactionsInFlight?: number;
  /**
   * Appends queued before a transaction starts beside one already in flight; default 4. Fewer wait
   * for the one in flight and then go together (see group-commit.ts); 1: whenever one may.
   */
  readonly minQueuedToOverlap?: number;
  /**
   * How long the store's subscriptions may wait before reading what this store itself appended;
   * default 0 (at once). For a process that applies its own appends as it makes them (see
   * change-notifications.ts): a stream of its own commits then costs one read per delay.
   */
  readonly ownCommitsReadDelayMs?: number;
  readonly hooks?: PostgresEventStoreHooks;
};

const defaultMaxBatchEvents = 1000;
const defaultMaxBatchJsonChars = 32 * 1024 * 1024;
const defaultMaxTransactionsInFlight = 2;
const defaultMinQueuedToOverlap = 4;
const defaultReadBatchSize = 1000;
const catchUpWindowRows = 1000;
const liveTailWindowRows = 1000;
const liveTailKeptRows = 5000;
// In case a notification is lost (LISTEN connection replaced, server restart).
const pollIntervalMs = 500;

/**
 * The PostgreSQL event store (schema `event_store`, see `migrateEventStore`). Appends are grouped
 * into shared transactions; subscriptions never skip an event whose transaction commits late.
 * A checkpoint is `"<transaction id>:<global position>"`.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly groupCommit: GroupCommit;
  private readonly notifications: ChangeNotifications;
  private readonly liveTail: LiveTail;
  private readonly closing = new AbortController();
  private readonly queriesInFlight = new Set<Promise<unknown>>();

  constructor(options: PostgresEventStoreOptions) {
    if (options.pool !== undefined) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({ connectionString: options.connectionString });
      // A connection that fails while idle is dropped by the pool; the next query opens another.
      // One that fails while checked out has no listener of the pool's: without one of its own its
      // 'error' would be an uncaught exception. The query in flight fails and is reported anyway.
      this.pool.on('error', () => undefined);
      this.pool.on('connect', (client) => client.on('error', () => undefined));
      this.ownsPool = true;
    }
    const ownConnections = new OwnConnections();
    this.groupCommit = new GroupCommit(this.pool, {
      maxBatchEvents: options.maxBatchEvents ?? defaultMaxBatchEvents,
      maxBatchJsonChars: options.maxBatchJsonChars ?? defaultMaxBatchJsonChars,
      maxInFlight: options.maxTransactionsInFlight ?? defaultMaxTransactionsInFlight,
      minQueuedToOverlap: options.minQueuedToOverlap ?? defaultMinQueuedToOverlap,
      beforeCommit: options.hooks?.beforeCommit,
      onConnection: (client) => ownConnections.note(client),
    });
    this.notifications = new ChangeNotifications(this.pool, {
      ownConnections,
      ownCommitsReadDelayMs: options.ownCommitsReadDelayMs ?? 0,
    });
    this.liveTail = new LiveTail(
      {
        read: (after, limit) => this.query(() => readTailWindow(this.pool, after, limit)),
        listen: (wakeup) => this.notifications.add(wakeup),
      },
      {
        windowRows: liveTailWindowRows,
        keptRows: liveTailKeptRows,
        pollIntervalMs,
        closing: this.closing.signal,
      },
    );
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    const eventIds = checkAppendInput(streamId, events, options.expectedVersion);
    if (eventIds.length === 0) return this.checkWithoutAppending(streamId, options);
    return this.groupCommit.append({
      streamId,
      expectedVersion: options.expectedVersion,
      eventIds,
      types: events.map((event) => event.type),
      data: events.map((event) => toStoredJson(event.data)),
      metadata: events.map((event) => toStoredJson(event.metadata ?? {})),
      ...(options.fence === undefined ? {} : { fence: options.fence }),
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const fromVersion = Math.max(options.fromVersion ?? 1, 1);
    const maxCount = options.maxCount === undefined ? undefined : Math.max(options.maxCount, 0);
    return this.query(() => readStreamEvents(this.pool, streamId, fromVersion, maxCount));
  }

  async *subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    this.assertOpen();
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.closing.signal])
      : this.closing.signal;
    const batchSize = checkBatchSize(options.batchSize, defaultReadBatchSize);
    const prefix = options.streamPrefix === '' ? undefined : options.streamPrefix;
    let after: LogPosition =
      options.from === undefined ? startOfLog : decodeCheckpoint(options.from);
    // Catching up, a subscription reads on its own, windows of catchUpWindowRows (the server reads
    // the next one while the consumer handles this one). Once a window comes back short it has
    // reached the fence, and from then on it takes its rows from the store's live tail; should it
    // fall behind what the tail keeps, it reads on its own again.
    const windowRows = Math.max(batchSize, catchUpWindowRows);
    const readAfter = (position: LogPosition) =>
      this.query(() => readCommittedRows(this.pool, position, windowRows, prefix));
    // Caught up means: past the last row committed when the subscription started. The first short
    // window is not enough: the fence may hold back rows committed before the start (another
    // transaction of the cluster still open), and that window then ends before them.
    const head =
      options.onCaughtUp === undefined
        ? undefined
        : await this.query(() => readHeadPosition(this.pool));
    let catchingUp = true;
    let reachedHead = options.onCaughtUp === undefined;
    let prefetched: Promise<EventRow[]> | undefined;
    while (!signal.aborted) {
      let rows: EventRow[] | undefined;
      if (!catchingUp) {
        rows = await this.liveTail.rowsAfter(after, batchSize, signal);
        catchingUp = rows === undefined;
      }
      if (rows === undefined) {
        rows = await (prefetched ?? readAfter(after));
        prefetched = undefined;
        if (rows.length === windowRows) {
          const last = rows.at(-1) as EventRow;
          prefetched = readAfter(positionOfRow(last));
          // Awaited on the next turn; until then a failure must not count as unhandled.
          prefetched.catch(() => undefined);
        } else {
          catchingUp = false;
        }
      }
      if (signal.aborted) return;
      const last = rows.at(-1);
      if (last !== undefined) {
        after = positionOfRow(last);
        const selected = rows.filter((row) => isSelected(row, prefix));
        for (let start = 0; start < selected.length; start += batchSize) {
          yield selected.slice(start, start + batchSize).map(toRecordedEvent);
          if (signal.aborted) return;
        }
      }
      // Everything committed before the subscription started has been handed out (and taken,
      // since the generator resumed). An empty log has nothing to hand out: the first read says so.
      if (!reachedHead && (head === undefined || isAtOrPast(after, head))) {
        reachedHead = true;
        options.onCaughtUp?.();
      }
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.groupCommit.settled();
    await this.liveTail.stopped();
    await this.notifications.close();
    await Promise.allSettled([...this.queriesInFlight]);
    if (this.ownsPool) await this.pool.end();
  }

  /** An append of no events: checks the expected version, writes nothing. */
  private async checkWithoutAppending(
    streamId: string,
    options: AppendOptions,
  ): Promise<AppendResult> {
    const [last] = await this.query(async () => {
      const { rows } = await this.pool.query<{ stream_version: string; global_position: string }>({
        name: 'event_store.stream_head',
        text: `SELECT e.stream_version::text AS stream_version, e.global_position::text AS global_position
               FROM event_store.events e
               WHERE e.stream_id = $1 ORDER BY e.stream_version DESC LIMIT 1`,
        values: [streamId],
      });
      return rows;
    });
    const version = last === undefined ? 0 : Number(last.stream_version);
    checkExpectedVersion(streamId, options.expectedVersion, version);
    return {
      nextExpectedVersion: version,
      lastGlobalPosition: last === undefined ? 0n : BigInt(last.global_position),
    };
  }

  /** Runs a read, translating its failures, and lets close() wait for it. */
  private async query<T>(read: () => Promise<T>): Promise<T> {
    const running = read();
    this.queriesInFlight.add(running);
    try {
      return await running;
    } catch (error) {
      throw toEventStoreError(error);
    } finally {
      this.queriesInFlight.delete(running);
    }
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) {
      throw new EventStoreUnavailableError('the event store is closed');
    }
  }
}
