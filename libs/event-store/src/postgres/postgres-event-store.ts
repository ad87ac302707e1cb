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
import { Wakeup } from '../wakeup.js';
import { ChangeNotifications } from './change-notifications.js';
import { decodeCheckpoint, startOfLog, type LogPosition } from './checkpoint.js';
import {
  hasHeldBackEvents,
  positionOfRow,
  readCommittedRows,
  readStreamEvents,
  selectedEvents,
  type EventRow,
} from './catch-up-reads.js';
import { GroupCommit } from './group-commit.js';
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
  /** Group-commit transactions in flight at once, each on its own connection; default 2. */
  readonly maxTransactionsInFlight?: number;
  readonly hooks?: PostgresEventStoreHooks;
};

const defaultMaxBatchEvents = 1000;
const defaultMaxTransactionsInFlight = 2;
const defaultReadBatchSize = 1000;
// While committed events wait behind an open transaction, re-read soon, then less often: the
// transaction holding them back may not be one of ours, which would notify when it commits.
const firstHeldBackRetryMs = 5;
const maxHeldBackRetryMs = 100;
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
    this.groupCommit = new GroupCommit(this.pool, {
      maxBatchEvents: options.maxBatchEvents ?? defaultMaxBatchEvents,
      maxInFlight: options.maxTransactionsInFlight ?? defaultMaxTransactionsInFlight,
      beforeCommit: options.hooks?.beforeCommit,
    });
    this.notifications = new ChangeNotifications(this.pool);
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
    let after: LogPosition =
      options.from === undefined ? startOfLog : decodeCheckpoint(options.from);
    const wakeup = new Wakeup();
    const stopWaking = await this.notifications.add(wakeup);
    try {
      const prefix = options.streamPrefix === '' ? undefined : options.streamPrefix;
      const readAfter = (position: LogPosition) =>
        this.query(() => readCommittedRows(this.pool, position, batchSize, prefix));
      let heldBackRetryMs = firstHeldBackRetryMs;
      let prefetched: Promise<EventRow[]> | undefined;
      while (!signal.aborted) {
        const rows = await (prefetched ?? readAfter(after));
        prefetched = undefined;
        if (signal.aborted) return;
        const last = rows.at(-1);
        if (last !== undefined) {
          after = positionOfRow(last);
          heldBackRetryMs = firstHeldBackRetryMs;
          const full = rows.length === batchSize;
          // A full window means more is waiting: the server reads the next one while this one is
          // decoded and handled by the consumer.
          if (full) {
            prefetched = readAfter(after);
            // Awaited on the next turn; until then a failure must not count as unhandled.
            prefetched.catch(() => undefined);
          }
          const events = selectedEvents(rows);
          if (events.length > 0) yield events;
          if (full) continue;
        }
        if (signal.aborted) return;
        if (await this.query(() => hasHeldBackEvents(this.pool))) {
          await wakeup.wait(heldBackRetryMs, signal);
          heldBackRetryMs = Math.min(heldBackRetryMs * 2, maxHeldBackRetryMs);
        } else {
          heldBackRetryMs = firstHeldBackRetryMs;
          await wakeup.wait(pollIntervalMs, signal);
        }
      }
    } finally {
      stopWaking();
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.groupCommit.settled();
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
