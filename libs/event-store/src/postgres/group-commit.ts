// Group commit: appendToStream calls that arrive while transactions are in flight queue up and are
// written together by the next one (one call of event_store.append_events, one commit), each still
// checked on its own. Up to `maxInFlight` transactions run at once, on their own connections: while
// one waits for its commit to reach the disk, the next is already being written. A transaction
// starts as soon as one ends and at once when the store is idle: no call waits for a timer. Beside
// a transaction in flight another starts only once `minQueuedToOverlap` calls are queued: at
// moderate rates the few calls that arrive meanwhile wait for the one in flight (well under a
// millisecond) and then share one transaction, instead of each taking a transaction of its own,
// which costs the server and this process far more per call; under load the queue is deep and
// transactions overlap as before.
//
// What keeps the requests of one store in the order they were made: a request waits while a
// transaction in flight writes to its stream or uses one of its event ids, and so does every later
// request for the same stream or ids, so they never overtake it. Transactions in flight therefore
// share no stream (their commit order cannot change what a stream holds) and no event id (a repeat
// is answered from the stored original, not by a unique violation). Within one transaction
// requests are checked in queue order, and an id used twice waits for the next transaction.
//
// A transaction's requests share one fence (or have none): a request fenced otherwise waits for a
// later transaction, like a request for a busy stream.
//
// If a whole transaction fails unexpectedly, its requests are appended one by one so that one bad
// request cannot fail its neighbours.
import type { Pool, PoolClient } from 'pg';
import type { AppendResult } from '../port/event-store.js';
import {
  appendInOneTransaction,
  type AppendOutcome,
  type PendingAppend,
} from './append-transaction.js';
import { isRaceWithConcurrentWriter, toEventStoreError } from './pg-errors.js';

interface QueuedAppend extends PendingAppend {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** Largest number of events per transaction (a single larger append still goes alone). */
  readonly maxBatchEvents: number;
  /**
   * Most characters of JSON, the events' data and metadata, per transaction (a single larger append
   * still goes alone). The call passes them as two jsonb values, each limited to 255 MiB.
   */
  readonly maxBatchJsonChars: number;
  /** Transactions in flight at once. */
  readonly maxInFlight: number;
  /** Calls queued before a transaction starts beside one in flight; 1: whenever one may. */
  readonly minQueuedToOverlap: number;
  readonly beforeCommit?: () => Promise<void>;
  /** Told of every connection a transaction runs on. */
  readonly onConnection?: (client: PoolClient) => void;
}

// A request alone is re-run this often when a concurrent writer in another transaction got in its
// way; the re-check then sees that writer's rows and answers properly.
const maxAttemptsAlone = 5;

export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busyStreams = new Set<string>();
  private readonly busyEventIds = new Set<string>();
  private startScheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: GroupCommitOptions,
  ) {}

  append(request: PendingAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      if (this.startScheduled) return;
      this.startScheduled = true;
      // A microtask, not a timer: calls made in the same tick (Promise.all) share a transaction.
      queueMicrotask(() => {
        this.startScheduled = false;
        this.startTransactions();
      });
    });
  }

  /** Resolves once every append queued so far is settled. */
  async settled(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      // With nothing in flight, the queued requests start in a microtask already scheduled.
      await (this.inFlight.size > 0 ? Promise.all(this.inFlight) : Promise.resolve());
    }
  }

  private startTransactions(): void {
    while (this.inFlight.size < this.options.maxInFlight) {
      if (this.inFlight.size > 0 && this.queue.length < this.options.minQueuedToOverlap) return;
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      const streams = new Set(batch.map((request) => request.streamId));
      const eventIds = batch.flatMap((request) => request.eventIds);
      for (const streamId of streams) this.busyStreams.add(streamId);
      for (const id of eventIds) this.busyEventIds.add(id);
      const running: Promise<void> = this.flush(batch).finally(() => {
        for (const streamId of streams) this.busyStreams.delete(streamId);
        for (const id of eventIds) this.busyEventIds.delete(id);
        this.inFlight.delete(running);
        this.startTransactions();
      });
      this.inFlight.add(running);
    }
  }

  /**
   * The queued requests that may go now, in queue order, up to maxBatchEvents and
   * maxBatchJsonChars.
   */
  private takeBatch(): QueuedAppend[] {
    const batch: QueuedAppend[] = [];
    const waiting: QueuedAppend[] = [];
    const takenIds = new Set<string>();
    const waitingStreams = new Set<string>();
    const waitingIds = new Set<string>();
    let events = 0;
    let jsonChars = 0;
    let batchFence: string | undefined;
    for (const request of this.queue) {
      const requestChars = jsonCharsOf(request);
      const full =
        batch.length > 0 &&
        (events + request.eventIds.length > this.options.maxBatchEvents ||
          jsonChars + requestChars > this.options.maxBatchJsonChars);
      const fence = fenceKey(request);
      const mustWait =
        full ||
        (batchFence !== undefined && fence !== batchFence) ||
        this.busyStreams.has(request.streamId) ||
        waitingStreams.has(request.streamId) ||
        request.eventIds.some(
          (id) => this.busyEventIds.has(id) || takenIds.has(id) || waitingIds.has(id),
        );
      if (mustWait) {
        waiting.push(request);
        waitingStreams.add(request.streamId);
        for (const id of request.eventIds) waitingIds.add(id);
      } else {
        batch.push(request);
        batchFence = fence;
        events += request.eventIds.length;
        jsonChars += requestChars;
        for (const id of request.eventIds) takenIds.add(id);
      }
    }
    this.queue = waiting;
    return batch;
  }

  // Never rejects: every request of the batch is settled one way or another.
  private async flush(batch: readonly QueuedAppend[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      await this.appendAlone(only);
      return;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.inTransaction((client) =>
        appendInOneTransaction(client, batch, this.options.beforeCommit),
      );
    } catch {
      for (const request of batch) await this.appendAlone(request);
      return;
    }
    outcomes.forEach((outcome, index) => {
      const request = batch[index];
      if (request !== undefined) settle(request, outcome);
    });
  }

  private async appendAlone(request: QueuedAppend): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const [outcome] = await this.inTransaction((client) =>
          appendInOneTransaction(client, [request], this.options.beforeCommit),
        );
        if (outcome === undefined) throw new Error('an append alone got no outcome');
        settle(request, outcome);
        return;
      } catch (error) {
        if (attempt >= maxAttemptsAlone || !isRaceWithConcurrentWriter(error)) {
          request.reject(toEventStoreError(error, request.streamId));
          return;
        }
      }
    }
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    this.options.onConnection?.(client);
    let failure: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // Passing the failure makes the pool close the connection instead of reusing it.
      client.release(failure);
    }
  }
}

function jsonCharsOf(request: PendingAppend): number {
  let chars = 0;
  for (const text of request.data) chars += text.length;
  for (const text of request.metadata) chars += text.length;
  return chars;
}

function fenceKey(request: PendingAppend): string {
  return request.fence === undefined ? '' : `${request.fence.lease}\u0000${request.fence.epoch}`;
}

function settle(request: QueuedAppend, outcome: AppendOutcome): void {
  switch (outcome.kind) {
    case 'appended':
    case 'repeated':
      request.resolve(outcome.result);
      return;
    case 'rejected':
      request.reject(outcome.error);
      return;
    default: {
      const unexpected: never = outcome;
      throw new Error(`unknown append outcome ${String(unexpected)}`);
    }
  }
}
