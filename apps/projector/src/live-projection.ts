import { setTimeout as delay } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import type { ReadModelDatabase } from '@canopy/read-models';
import {
  ProjectionFailedError,
  ProjectionPositionMovedError,
  holdProjectorLock,
  projectBatch,
  readProjectionPosition,
  startOfEventStore,
  type ProjectionGroup,
  type ProjectionPosition,
} from '@canopy/read-models/projections';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { IBackoff, IBackoffFactory } from 'cockatiel';
import type { Kysely } from 'kysely';
import { projectorRetryBackoff } from './retry-backoff.js';

/** How far the live projector is, for logs, the CLI and benchmarks. */
export interface ProjectorProgress {
  readonly projector: string;
  /** Position of the last committed batch (checkpoint, events consumed, last event's time). */
  readonly position: ProjectionPosition;
  /** When the last batch committed; null before the first. */
  readonly lastBatchAt: Date | null;
  /**
   * Seconds from the recording of the last applied event to the commit of its batch: how stale the
   * read models were at that moment. Null before the first batch.
   */
  readonly lagSeconds: number | null;
  /** True while the subscription hands over full batches, i.e. more events are waiting. */
  readonly behind: boolean;
  /** Why the last attempt at a batch failed, while the projector retries; null when healthy. */
  readonly failure: string | null;
}

export interface LiveProjectionOptions {
  readonly db: Kysely<ReadModelDatabase>;
  readonly store: EventStore;
  readonly group: ProjectionGroup;
  readonly batchSize: number;
  /** After a batch that was not full (caught up), how long to let new events gather. */
  readonly lingerMs: number;
  readonly lagLogIntervalMs: number;
  readonly logger: ServiceLogger;
  /**
   * Called after each batch commits, with when its work began (epoch milliseconds); must not throw.
   */
  readonly onCommitted: (events: readonly RecordedEvent[], startedAtMs: number) => void;
  /** Told of each batch committed or failed (metrics). */
  readonly observer?: {
    batchCommitted(events: number, seconds: number): void;
    batchFailed(): void;
  };
  /** The waits between failed attempts; `projectorRetryBackoff` unless given. */
  readonly retryBackoff?: IBackoffFactory<unknown>;
}

/**
 * The projector's loop: resume from the stored checkpoint, and for each batch the subscription
 * delivers, apply it and store the new checkpoint in one transaction. On any failure, wait (with
 * backoff) and resume from the last committed checkpoint: an event is never skipped.
 */
export class LiveProjection {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private position: ProjectionPosition = startOfEventStore;
  private lastBatchAt: Date | null = null;
  private lastBatchFull = false;
  private failure: string | null = null;

  constructor(private readonly options: LiveProjectionOptions) {}

  start(): void {
    if (this.running !== undefined) return;
    this.running = this.run();
    this.lagTimer = setInterval(() => this.reportLag(), this.options.lagLogIntervalMs);
    this.lagTimer.unref();
  }

  /** Stops after the batch in progress (if any) has committed or failed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.lagTimer);
    await this.running;
  }

  progress(): ProjectorProgress {
    const { position, lastBatchAt } = this;
    const recordedAt = position.lastEventRecordedAt;
    return {
      projector: this.options.group.name,
      position,
      lastBatchAt,
      lagSeconds:
        lastBatchAt === null || recordedAt === null
          ? null
          : Math.max(0, (lastBatchAt.getTime() - recordedAt.getTime()) / 1000),
      behind: this.isBehind(),
      failure: this.failure,
    };
  }

  private async run(): Promise<void> {
    const { db, store, group, batchSize, lingerMs, logger } = this.options;
    const signal = this.stopping.signal;
    const retryBackoff = this.options.retryBackoff ?? projectorRetryBackoff;
    let failures = 0;
    let backoff: IBackoff<unknown> | undefined;
    while (!signal.aborted) {
      try {
        this.position = await readProjectionPosition(db, group.name);
        logger.info(
          { checkpoint: this.position.checkpoint, eventsApplied: this.position.eventsApplied },
          'projecting from the stored checkpoint',
        );
        const batches = store.subscribeToAll({
          from: this.position.checkpoint ?? undefined,
          batchSize,
          signal,
        });
        for await (const events of batches) {
          const expected = this.position;
          const started = performance.now();
          this.position = await db.transaction().execute(async (trx) => {
            await holdProjectorLock(trx, group);
            return projectBatch(trx, group, expected, events);
          });
          this.options.observer?.batchCommitted(
            events.length,
            (performance.now() - started) / 1000,
          );
          this.lastBatchAt = new Date();
          this.lastBatchFull = events.length >= batchSize;
          if (this.failure !== null) logger.info('projecting again after failures');
          this.failure = null;
          failures = 0;
          backoff = undefined;
          this.options.onCommitted(events, performance.timeOrigin + started);
          // Caught up: the subscription is not asked for more (so nothing is read) while the next
          // commits gather into one batch. Stopping ends the wait.
          if (lingerMs > 0 && events.length < batchSize) {
            await delay(lingerMs, undefined, { signal }).catch(() => undefined);
          }
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ProjectionPositionMovedError) {
          logger.info(
            { expected: error.expected.eventsApplied, stored: error.stored.eventsApplied },
            'the read models were replaced (rebuild) or moved by another projector: resuming from their checkpoint',
          );
          continue;
        }
        failures += 1;
        this.options.observer?.batchFailed();
        this.failure = error instanceof Error ? error.message : String(error);
        backoff = (backoff ?? retryBackoff).next(undefined);
        const delayMs = backoff.duration;
        const where =
          error instanceof ProjectionFailedError
            ? {
                projection: error.projection,
                streamId: error.event.streamId,
                streamVersion: error.event.streamVersion,
                eventCheckpoint: error.event.checkpoint,
              }
            : {};
        logger.error(
          {
            err: error,
            ...where,
            checkpoint: this.position.checkpoint,
            eventsApplied: this.position.eventsApplied,
            failures,
            retryInMs: delayMs,
          },
          'a batch failed; retrying from the last committed checkpoint',
        );
        // Stopping ends the wait at once (rejecting it); the loop then sees the aborted signal.
        await delay(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // A full batch means the subscription had more to hand over; once it stops coming, we are not.
  private isBehind(): boolean {
    if (this.failure !== null) return true;
    if (!this.lastBatchFull || this.lastBatchAt === null) return false;
    return Date.now() - this.lastBatchAt.getTime() < this.options.lagLogIntervalMs;
  }

  private reportLag(): void {
    if (!this.isBehind()) return;
    const { position, lagSeconds, failure } = this.progress();
    this.options.logger.info(
      {
        eventsApplied: position.eventsApplied,
        checkpoint: position.checkpoint,
        lastEventRecordedAt: position.lastEventRecordedAt,
        lagSeconds,
        failing: failure !== null,
      },
      'projector behind the event store',
    );
  }
}
