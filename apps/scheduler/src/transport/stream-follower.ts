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
  /** Each time a {@link StreamFollower.resync} has caught up (the state is current again). */
  readonly onCurrent?: () => void;
  /** Wait before subscribing again after the subscription failed. */
  readonly retryMs: number;
}

/**
 * Follows every stream with a prefix from the beginning, then live, resuming after its last
 * checkpoint when the subscription fails: how the scheduler rebuilds its state after a restart and
 * hears about what other processes appended.
 *
 * A live subscription is a moment behind the store, and further behind after its database was away
 * (it subscribes again after `retryMs`). A replica about to act on what it has applied (it just
 * took the lease, or the store answers again after appends whose outcome it never learnt) calls
 * {@link resync}: the subscription starts again from its checkpoint, and {@link current} is false
 * until it has applied every event stored by then.
 */
export class StreamFollower {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private checkpoint: Checkpoint | undefined;
  private rebuilt = false;
  /** Ends the current subscription (or the wait before the next) when a resync asks for a new one. */
  private restarting = new AbortController();
  /** Bumped by every resync; a subscription that reaches the head says which one it served. */
  private resyncs = 0;
  private currentAsOf = -1;

  constructor(private readonly options: StreamFollowerOptions) {}

  /** Whether the history has been read (see `onCaughtUp`). */
  get caughtUp(): boolean {
    return this.rebuilt;
  }

  /** Whether every event stored before the last {@link resync} (or the start) has been applied. */
  get current(): boolean {
    return this.currentAsOf === this.resyncs;
  }

  /**
   * Reads what was stored up to now before {@link current} is true again: the subscription is
   * started over from the last event applied, and its catch-up ends at the store's head as of now.
   */
  resync(): void {
    this.resyncs += 1;
    this.restarting.abort();
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
      this.restarting = new AbortController();
      const serving = this.resyncs;
      const subscription = AbortSignal.any([signal, this.restarting.signal]);
      try {
        const batches = store.subscribeToAll({
          streamPrefix,
          signal: subscription,
          ...(this.checkpoint === undefined ? {} : { from: this.checkpoint }),
          onCaughtUp: () => this.reachedHead(serving),
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
        if (subscription.aborted) continue;
        logger.warn(
          { reason: String(error), retryMs: this.options.retryMs },
          `${kind} event subscription failed; subscribing again`,
        );
        await delay(this.options.retryMs, undefined, { signal: subscription }).catch(
          () => undefined,
        );
      }
    }
  }

  // Every subscription says so once; the state was rebuilt by the first, and is current again when
  // the one started by the latest resync says so.
  private reachedHead(serving: number): void {
    const wasCurrent = this.current;
    this.currentAsOf = Math.max(this.currentAsOf, serving);
    if (!this.rebuilt) {
      this.rebuilt = true;
      this.options.onCaughtUp?.();
    } else if (!wasCurrent && this.current) {
      this.options.onCurrent?.();
    }
  }
}
