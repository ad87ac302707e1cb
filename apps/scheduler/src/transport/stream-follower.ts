import { setTimeout as delay } from 'node:timers/promises';
import { ContractViolationError } from '@canopy/contracts';
import type { Checkpoint, EventStore, RecordedEvent } from '@canopy/event-store';
import type { ServiceLogger } from '@canopy/service-runtime';

export interface StreamFollowerOptions {
  readonly store: EventStore;
  /** The streams to follow, e.g. `task-`. */
  readonly streamPrefix: string;
  /** What the events are, for the logs: `task`, `node`, `schedule`. */
  readonly kind: string;
  readonly logger: ServiceLogger;
  /** Folds one event. An event it cannot read (it throws) is logged and skipped, never retried. */
  readonly apply: (recorded: RecordedEvent) => void;
  /** After each delivered batch has been applied. */
  readonly afterBatch?: () => void;
  /**
   * Called once, when the subscription has handed out (and `apply` taken) every event stored when it
   * started, whatever keeps coming after: the state is rebuilt in bounded time, even under steady
   * writes.
   */
  readonly onCaughtUp?: () => void;
  /** Wait before subscribing again after the subscription failed. */
  readonly retryMs: number;
}

/**
 * Follows every stream with a prefix from the beginning, then live, resuming after its last
 * checkpoint when the subscription fails: how the scheduler rebuilds its state after a restart and
 * hears about what other processes appended.
 */
export class StreamFollower {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private checkpoint: Checkpoint | undefined;
  private rebuilt = false;

  constructor(private readonly options: StreamFollowerOptions) {}

  /** Whether the history has been read (see `onCaughtUp`). */
  get caughtUp(): boolean {
    return this.rebuilt;
  }

  start(): void {
    this.running ??= this.follow();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async follow(): Promise<void> {
    const { signal } = this.stopping;
    const { store, streamPrefix, kind, logger } = this.options;
    while (!signal.aborted) {
      try {
        const batches = store.subscribeToAll({
          streamPrefix,
          signal,
          ...(this.checkpoint === undefined ? {} : { from: this.checkpoint }),
          onCaughtUp: () => this.reachedHead(),
        });
        for await (const batch of batches) {
          for (const recorded of batch) {
            try {
              this.options.apply(recorded);
            } catch (error) {
              const problem =
                error instanceof ContractViolationError ? error.message : String(error);
              logger.error(
                { streamId: recorded.streamId, version: recorded.streamVersion, problem },
                `skipped an unreadable ${kind} event`,
              );
            }
            this.checkpoint = recorded.checkpoint;
          }
          this.options.afterBatch?.();
        }
      } catch (error) {
        if (signal.aborted) return;
        logger.warn(
          { reason: String(error), retryMs: this.options.retryMs },
          `${kind} event subscription failed; subscribing again`,
        );
        await delay(this.options.retryMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // A resubscription after a failure says so again; the state was rebuilt by the first one.
  private reachedHead(): void {
    if (this.rebuilt) return;
    this.rebuilt = true;
    this.options.onCaughtUp?.();
  }
}
