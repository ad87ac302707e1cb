// Group commit: appendToStream calls that arrive while a transaction is in flight queue up and are
// written together by the next one (locks for all their streams, one multi-row INSERT, one
// commit), each still checked on its own. A flush starts as soon as the previous one ends and at
// once when the store is idle: no call waits for a timer. If a whole batch fails unexpectedly, its
// requests are appended one by one so that one bad request cannot fail its neighbours.
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
  readonly beforeCommit?: () => Promise<void>;
}

// A request alone is re-run this often when a concurrent writer in another transaction got in its
// way; the re-check then sees that writer's rows and answers properly.
const maxAttemptsAlone = 5;

export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly options: GroupCommitOptions,
  ) {}

  append(request: PendingAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      this.flushing ??= this.flushUntilEmpty();
    });
  }

  /** Resolves once every append queued so far is settled. */
  async settled(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  private async flushUntilEmpty(): Promise<void> {
    // One microtask, not a timer: calls made in the same tick (Promise.all) share the first flush.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) await this.flush(this.takeBatch());
    } finally {
      this.flushing = undefined;
    }
  }

  private takeBatch(): QueuedAppend[] {
    let count = 0;
    let events = 0;
    for (const request of this.queue) {
      if (count > 0 && events + request.eventIds.length > this.options.maxBatchEvents) break;
      count += 1;
      events += request.eventIds.length;
    }
    return this.queue.splice(0, count);
  }

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
    const deferred: QueuedAppend[] = [];
    outcomes.forEach((outcome, index) => {
      const request = batch[index];
      if (request !== undefined && !settle(request, outcome)) deferred.push(request);
    });
    this.queue.unshift(...deferred);
  }

  private async appendAlone(request: QueuedAppend): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const [outcome] = await this.inTransaction((client) =>
          appendInOneTransaction(client, [request], this.options.beforeCommit),
        );
        if (outcome !== undefined && settle(request, outcome)) return;
        throw new Error('an append alone in its transaction was deferred');
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

/** Settles the caller's promise; false when the request must be tried again. */
function settle(request: QueuedAppend, outcome: AppendOutcome): boolean {
  switch (outcome.kind) {
    case 'appended':
    case 'repeated':
      request.resolve(outcome.result);
      return true;
    case 'rejected':
      request.reject(outcome.error);
      return true;
    case 'deferred':
      return false;
    default: {
      const unexpected: never = outcome;
      throw new Error(`unknown append outcome ${String(unexpected)}`);
    }
  }
}
