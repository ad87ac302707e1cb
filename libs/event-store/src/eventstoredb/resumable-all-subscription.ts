import { setTimeout as delay } from 'node:timers/promises';
import type {
  AllStreamRecordedEvent,
  AllStreamResolvedEvent,
  AllStreamSubscription,
  Position,
  ReadPosition,
} from '@eventstore/db-client';
import { ExponentialBackoff, noJitterGenerator } from 'cockatiel';
import type { IBackoff, IBackoffFactory } from 'cockatiel';
import { EventStoreUnavailableError } from '../port/errors.js';
import type { RecordedEvent } from '../port/event-store.js';
import { classifyDriverError, unavailableErrorOf } from './driver-failure.js';
import { isSystemEvent, toRecordedEvent } from './stored-event-mapping.js';
import { subscriptionBatches } from './subscription-batches.js';

/**
 * How long a dropped subscription waits before it subscribes again: 100 ms, doubling with each drop
 * in a row, at most 5 s. The count starts over once a subscription delivers (or reports being
 * caught up), so a store that recovers is rejoined quickly, and one that stays down is asked at
 * most every 5 s.
 */
export const defaultResubscribeBackoff: IBackoffFactory<unknown> = new ExponentialBackoff({
  initialDelay: 100,
  maxDelay: 5_000,
  generator: noJitterGenerator,
});

/** What the adapter reports each time its $all subscription drops before it subscribes again. */
export interface SubscriptionDrop {
  /** Why it dropped, in the port's vocabulary (the driver's error is its `cause`). */
  readonly error: Error;
  /** Drops in a row without a delivery in between, 1 for the first. */
  readonly consecutiveFailures: number;
  readonly retryInMs: number;
}

export interface ResumableAllSubscriptionOptions {
  /** Opens a subscription to $all delivering the events after `from` (exclusive). */
  readonly open: (from: ReadPosition) => AllStreamSubscription;
  readonly from: ReadPosition;
  readonly batchSize: number;
  readonly signal: AbortSignal;
  readonly onDrop?: ((drop: SubscriptionDrop) => void) | undefined;
  /** Told once, on the server's first 'caughtUp' (servers 23.10+; older ones never say). */
  readonly onCaughtUp?: (() => void) | undefined;
  /** The waits before resubscribing; `defaultResubscribeBackoff` unless given. */
  readonly backoff?: IBackoffFactory<unknown>;
  /** Waits before resubscribing; returns early when `signal` aborts. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Batches of $all events from `from` on, for as long as `signal` is not aborted. When the
 * subscription drops it opens a new one after the last event it has handed out (or skipped as a
 * system event), so nothing is delivered twice and nothing is missed; the position only moves on
 * events, never on the server's filter checkpoints, which the client keeps to itself anyway.
 */
export async function* resumableAllSubscription(
  options: ResumableAllSubscriptionOptions,
): AsyncGenerator<RecordedEvent[], void, undefined> {
  const { signal, batchSize } = options;
  const wait = options.wait ?? waitUnlessAborted;
  const resubscribeBackoff = options.backoff ?? defaultResubscribeBackoff;
  let resumeFrom = options.from;
  let consecutiveFailures = 0;
  let backoff: IBackoff<unknown> | undefined;
  let caughtUp = false;

  while (!signal.aborted) {
    const subscription = options.open(resumeFrom);
    // 'caughtUp' (servers 23.10+) proves the subscription healthy even when nothing is written.
    const onCaughtUp = (): void => {
      consecutiveFailures = 0;
      if (caughtUp) return;
      caughtUp = true;
      options.onCaughtUp?.();
    };
    subscription.on('caughtUp', onCaughtUp);
    let drop: Error;
    try {
      for await (const received of subscriptionBatches<AllStreamResolvedEvent>(
        subscription,
        batchSize,
        signal,
      )) {
        consecutiveFailures = 0;
        const batch: RecordedEvent[] = [];
        for (const { event } of received) {
          if (event === undefined) continue;
          resumeFrom = positionOf(event);
          if (!isSystemEvent(event)) batch.push(toRecordedEvent(event));
        }
        if (batch.length > 0) yield batch;
      }
      drop = new EventStoreUnavailableError('EventStoreDB ended the subscription to $all');
    } catch (error) {
      const failure = classifyDriverError(error);
      if (failure.kind === 'foreign') throw failure.cause;
      drop = unavailableErrorOf(failure, 'keep the subscription to $all');
    } finally {
      subscription.off('caughtUp', onCaughtUp);
      await release(subscription);
    }
    if (signal.aborted) return;

    consecutiveFailures += 1;
    // The first drop after a delivery starts the backoff over.
    backoff = (
      consecutiveFailures === 1 || backoff === undefined ? resubscribeBackoff : backoff
    ).next(undefined);
    const retryInMs = backoff.duration;
    options.onDrop?.({ error: drop, consecutiveFailures, retryInMs });
    await wait(retryInMs, signal);
  }
}

function positionOf(event: AllStreamRecordedEvent): Position {
  // Typed as always there; without it a resubscription would start over from the beginning.
  const { position } = event as { position?: Position };
  if (position === undefined) {
    throw new Error(`EventStoreDB delivered event ${event.id} on $all without its position`);
  }
  return position;
}

async function release(subscription: AllStreamSubscription): Promise<void> {
  // The driver may still report the cancellation (or a late failure) after we stop listening;
  // an 'error' event without a listener would crash the process.
  subscription.on('error', ignoreLateError);
  try {
    await subscription.unsubscribe();
  } catch {
    // The subscription never got its gRPC call (for example the server was unreachable).
  }
  subscription.destroy();
}

function ignoreLateError(): void {
  // Nobody is listening any more: the subscription has been released.
}

async function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
