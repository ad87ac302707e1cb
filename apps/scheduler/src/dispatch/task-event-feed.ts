import { setTimeout as delay } from 'node:timers/promises';
import { ContractViolationError, parseTaskEvent } from '@canopy/contracts';
import { asContractEvent } from '@canopy/event-store';
import type { Checkpoint, EventStore } from '@canopy/event-store';
import type { TaskQueue } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';

export interface TaskEventFeedOptions {
  readonly store: EventStore;
  readonly queue: TaskQueue;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  /** After new events were applied. */
  readonly onApplied: () => void;
  /**
   * The state counts as rebuilt once the subscription has been quiet this long: the port has no
   * "caught up" signal. Acting before is safe (every decision reads the task's stream) but wasteful.
   */
  readonly quietMs: number;
  /** Wait before subscribing again after the subscription failed. */
  readonly retryMs: number;
}

/**
 * Feeds the task queue from the event store: every `task-` event from the beginning (that is how the
 * scheduling state is rebuilt after a restart), then live, which is also how tasks issued through
 * other scheduler replicas reach the matching loop. The scheduler's own appends are applied at once
 * too; the queue ignores the copies that arrive here later.
 */
export class TaskEventFeed {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private checkpoint: Checkpoint | undefined;
  private rebuilt = false;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TaskEventFeedOptions) {}

  get caughtUp(): boolean {
    return this.rebuilt;
  }

  start(): void {
    this.running ??= this.follow();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.quietTimer);
    await this.running;
  }

  private async follow(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        this.armQuietTimer();
        const batches = this.options.store.subscribeToAll({
          streamPrefix: 'task-',
          signal,
          ...(this.checkpoint === undefined ? {} : { from: this.checkpoint }),
        });
        for await (const batch of batches) {
          const nowMs = this.options.clock().getTime();
          for (const recorded of batch) {
            try {
              this.options.queue.apply(
                parseTaskEvent(asContractEvent(recorded)),
                recorded.streamVersion,
                nowMs,
              );
            } catch (error) {
              const problem =
                error instanceof ContractViolationError ? error.message : String(error);
              this.options.logger.error(
                { streamId: recorded.streamId, version: recorded.streamVersion, problem },
                'skipped an unreadable task event',
              );
            }
            this.checkpoint = recorded.checkpoint;
          }
          this.armQuietTimer();
          this.options.onApplied();
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger.warn(
          { reason: String(error), retryMs: this.options.retryMs },
          'task event subscription failed; subscribing again',
        );
        await delay(this.options.retryMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private armQuietTimer(): void {
    if (this.rebuilt) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.rebuilt = true;
      this.options.logger.info(
        { activeTasks: this.options.queue.size, waiting: this.options.queue.waitingCount },
        'scheduling state rebuilt from the event store',
      );
      this.options.onApplied();
    }, this.options.quietMs);
  }
}
