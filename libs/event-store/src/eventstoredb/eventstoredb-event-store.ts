import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  START,
  excludeSystemEvents,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AppendResult as DriverAppendResult,
  ReadPosition,
  ReadStreamOptions as DriverReadStreamOptions,
} from '@eventstore/db-client';
import { checkAppendInput, checkExpectedVersion, findRepeatedAppend } from '../append-rules.js';
import type { StoredEventPlace } from '../append-rules.js';
import {
  EventIdConflictError,
  EventStoreUnavailableError,
  ExpectedVersionConflictError,
  FencedAppendError,
} from '../port/errors.js';
import type {
  AppendOptions,
  FenceCheck,
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../port/event-store.js';
import { positionOfCheckpoint } from './all-position-checkpoint.js';
import {
  classifyDriverError,
  mayHaveBeenWritten,
  storeErrorOf,
  unavailableErrorOf,
  unreachable,
} from './driver-failure.js';
import { resumableAllSubscription } from './resumable-all-subscription.js';
import type { SubscriptionDrop } from './resumable-all-subscription.js';
import { toEventData, toRecordedEvent } from './stored-event-mapping.js';
import {
  assertStreamVersion,
  expectedEventCount,
  revisionOfStreamVersion,
  streamVersionOfRevision,
  toExpectedRevision,
} from './stream-revision.js';

export type EventStoreDbConnection =
  /** For example `esdb://localhost:2113?tls=false`; the store creates the client and disposes of it. */
  | { readonly connectionString: string }
  /** A client owned by the caller: `close()` leaves it open. */
  | { readonly client: EventStoreDBClient };

export type EventStoreDbEventStoreOptions = EventStoreDbConnection & {
  /**
   * Told each time a `subscribeToAll` subscription drops, before it subscribes again (for logs
   * and metrics). The subscription keeps going; the callback must not throw.
   */
  readonly onSubscriptionDropped?: (drop: SubscriptionDrop) => void;
  /**
   * Checks an append's fence just before writing it (EventStoreDB has no transaction to check it
   * in, so a lease taken over between the check and the write is not noticed); without it, fences
   * are not checked.
   */
  readonly fenceHolds?: FenceCheck;
};

const DEFAULT_BATCH_SIZE = 100;

/**
 * The event store port on EventStoreDB 22.6 or later, through `@eventstore/db-client` 6: a port
 * stream is an EventStoreDB stream of JSON events, the subscription is a catch-up subscription
 * to $all, and a checkpoint is an $all position.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly #client: EventStoreDBClient;
  readonly #ownsClient: boolean;
  readonly #onSubscriptionDropped: ((drop: SubscriptionDrop) => void) | undefined;
  readonly #fenceHolds: FenceCheck | undefined;
  // Ends the subscriptions when the store closes, whether or not their callers pass a signal.
  readonly #closing = new AbortController();

  constructor(options: EventStoreDbEventStoreOptions) {
    if ('client' in options) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = EventStoreDBClient.connectionString(options.connectionString);
      this.#ownsClient = true;
    }
    this.#onSubscriptionDropped = options.onSubscriptionDropped;
    this.#fenceHolds = options.fenceHolds;
  }

  // Repeated appends (retries), as EventStoreDB 20+ decides them (IndexWriter.CheckCommit) and as
  // this adapter completes it; the shared append rules judge what is found stored:
  // - An exact expected revision (or no stream) that the stream has moved past: the server
  //   compares the ids stored from there on with the append's. All equal: success without a
  //   write, answering the original revision and position, hence the first append's result.
  //   Otherwise a wrong expected version, on which we read what was written since the expected
  //   version to tell a repeat or a reused id (EventIdConflictError) from a plain conflict.
  // - ANY: the server only looks ids up in a bounded in-memory cache of recent commits (gone
  //   after a restart) and writes the events again when it misses them; ids found for part of the
  //   append only are refused as a wrong expected version, which is a reused id. We first compare
  //   the append with the stream's last events, so a retry that no other append overtook is
  //   recognised whatever the server remembers.
  // - A repeat that reaches the server before the original is indexed is dropped and times out
  //   (IdempotentNotReady): after a timeout we look where the append would be before failing.
  // - Not detectable: an id reused in another stream (EventStoreDB keeps no index of event ids
  //   across streams), or earlier in this stream by an append whose expected version matches
  //   (the server checks nothing then, and reading whole streams on every append would re-read
  //   every task's request body). Both are stored where the other adapters refuse them.
  // The result's position is the one the server answers, which for a fresh and for a repeated
  // append alike is the $all position of the append's last event; a server that answers none
  // costs one read.
  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { expectedVersion, fence } = options;
    const ids = checkAppendInput(streamId, events, expectedVersion);
    if (fence !== undefined && this.#fenceHolds !== undefined) {
      if (!(await this.#fenceHolds(fence))) throw new FencedAppendError(streamId, fence);
    }
    const expectedRevision = toExpectedRevision(expectedVersion);
    const [firstId] = ids;
    if (firstId === undefined) return this.#appendNothing(streamId, expectedVersion);

    if (expectedVersion === 'any') {
      const stored = await this.#readLastEvents(streamId, ids.length);
      const repeated = findRepeatedAppend(streamId, ids, expectedVersion, placesOf(stored));
      if (repeated !== undefined) return repeated;
    }

    let appended: DriverAppendResult;
    try {
      appended = await this.#client.appendToStream(streamId, events.map(toEventData), {
        expectedRevision,
      });
    } catch (error) {
      const failure = classifyDriverError(error);
      switch (failure.kind) {
        case 'wrong_expected_version':
          return this.#answerRefusal(
            streamId,
            ids,
            firstId,
            expectedVersion,
            failure.actualVersion,
          );
        case 'unavailable': {
          const written = mayHaveBeenWritten(failure)
            ? await this.#findWrittenAppend(streamId, ids, expectedVersion)
            : undefined;
          if (written !== undefined) return written;
          throw unavailableErrorOf(failure, `append to ${streamId}`);
        }
        case 'stream_not_found':
          throw unavailableErrorOf(failure, `append to ${streamId}`);
        case 'foreign':
          throw failure.cause;
        default:
          return unreachable(failure);
      }
    }
    if (!appended.success) {
      // Only a client built with throwOnAppendFailure: false answers this way, and (client 6.2)
      // with a wrong current revision, so the stream's version is read instead.
      return this.#answerRefusal(streamId, ids, firstId, expectedVersion, undefined);
    }

    const lastRevision = appended.nextExpectedRevision;
    return {
      nextExpectedVersion: streamVersionOfRevision(lastRevision),
      lastGlobalPosition:
        appended.position?.commit ?? (await this.#globalPositionOf(streamId, lastRevision)),
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromRevision = revisionOfStreamVersion(options.fromVersion ?? 1);
    const { maxCount } = options;
    if (maxCount === undefined) return this.#readEvents(streamId, { fromRevision });
    assertStreamVersion(maxCount, 'maxCount');
    return maxCount === 0 ? [] : this.#readEvents(streamId, { fromRevision, maxCount });
  }

  subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    // Checked now rather than at the first iteration, so a bad call fails where it is made.
    const from: ReadPosition =
      options.from === undefined ? START : positionOfCheckpoint(options.from);
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    const signal =
      options.signal === undefined
        ? this.#closing.signal
        : AbortSignal.any([options.signal, this.#closing.signal]);
    // The server applies one filter, on stream names or on event types. With a prefix it filters
    // the names and system event types inside matching streams (a tombstone's $streamDeleted) are
    // dropped on our side; without one it drops `$` event types and we drop `$` streams.
    const filter =
      options.streamPrefix === undefined || options.streamPrefix === ''
        ? excludeSystemEvents()
        : streamNameFilter({ prefixes: [options.streamPrefix] });
    return resumableAllSubscription({
      // The subscription's buffer holds a batch: reading it never waits for more than is there.
      open: (fromPosition) =>
        this.#client.subscribeToAll({ fromPosition, filter }, { highWaterMark: batchSize }),
      from,
      batchSize,
      signal,
      onDrop: this.#onSubscriptionDropped,
      onCaughtUp: options.onCaughtUp,
    });
  }

  async close(): Promise<void> {
    this.#closing.abort();
    if (this.#ownsClient) await this.#client.dispose();
  }

  async #answerRefusal(
    streamId: string,
    ids: readonly string[],
    firstId: string,
    expected: ExpectedVersion,
    actualVersion: number | undefined,
  ): Promise<AppendResult> {
    if (expected === 'any') {
      const stored = await this.#readLastEvents(streamId, ids.length);
      const repeated = findRepeatedAppend(streamId, ids, expected, placesOf(stored));
      if (repeated !== undefined) return repeated;
      // The server found the first id among its recent commits to this stream, not all of them.
      throw new EventIdConflictError(streamId, firstId);
    }
    const actual = actualVersion ?? (await this.#currentVersion(streamId));
    const expectedCount = expectedEventCount(expected);
    if (actual > expectedCount) {
      // What was written since the expected version: where a repeat would sit, and where an id
      // of this append may already be stored. The caller has to read it anyway to decide again.
      const stored = await this.#readEvents(streamId, {
        fromRevision: BigInt(expectedCount),
        maxCount: actual - expectedCount,
      });
      const repeated = findRepeatedAppend(streamId, ids, expected, placesOf(stored));
      if (repeated !== undefined) return repeated;
    }
    throw new ExpectedVersionConflictError(streamId, expected, actual);
  }

  /** After a timeout: the append's result if its events are where it would have put them. */
  async #findWrittenAppend(
    streamId: string,
    ids: readonly string[],
    expected: ExpectedVersion,
  ): Promise<AppendResult | undefined> {
    let stored: RecordedEvent[];
    try {
      stored =
        expected === 'any'
          ? await this.#readLastEvents(streamId, ids.length)
          : await this.#readEvents(streamId, {
              fromRevision: BigInt(expectedEventCount(expected)),
              maxCount: ids.length,
            });
    } catch {
      return undefined; // the timeout says more about the store than this read's failure
    }
    return findRepeatedAppend(streamId, ids, expected, placesOf(stored));
  }

  // EventStoreDB's answer to an empty append is not documented; the port's is: check, write nothing.
  async #appendNothing(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const [last] = await this.#readLastEvents(streamId, 1);
    checkExpectedVersion(streamId, expected, last?.streamVersion ?? 0);
    return {
      nextExpectedVersion: last?.streamVersion ?? 0,
      lastGlobalPosition: last?.globalPosition ?? 0n,
    };
  }

  async #currentVersion(streamId: string): Promise<number> {
    const [last] = await this.#readLastEvents(streamId, 1);
    return last?.streamVersion ?? 0;
  }

  async #globalPositionOf(streamId: string, revision: bigint): Promise<bigint> {
    const [event] = await this.#readEvents(streamId, { fromRevision: revision, maxCount: 1 });
    if (event === undefined) {
      throw new EventStoreUnavailableError(
        `EventStoreDB acknowledged an append to ${streamId} whose event at revision ${revision} cannot be read`,
      );
    }
    return event.globalPosition;
  }

  /** The stream's last `count` events, in stream order. */
  async #readLastEvents(streamId: string, count: number): Promise<RecordedEvent[]> {
    const newestFirst = await this.#readEvents(streamId, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: count,
    });
    return newestFirst.reverse();
  }

  async #readEvents(streamId: string, options: DriverReadStreamOptions): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(streamId, options)) {
        if (resolved.event !== undefined) events.push(toRecordedEvent(resolved.event));
      }
    } catch (error) {
      const failure = classifyDriverError(error);
      if (failure.kind === 'stream_not_found') return [];
      throw storeErrorOf(failure, `read ${streamId}`);
    }
    return events;
  }
}

function placesOf(events: readonly RecordedEvent[]): ReadonlyMap<string, StoredEventPlace> {
  return new Map(events.map((event) => [event.id, event]));
}
