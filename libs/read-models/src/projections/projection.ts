import { ContractViolationError } from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

/**
 * A projection folds the events it handles into read-model tables. `apply` runs inside the
 * projector's batch transaction and must be idempotent under replay: each projection remembers the
 * stream version it last applied and ignores events at or below it. `trx` may point at another
 * schema than `api` (a rebuild writes into a fresh one); projections only name tables through it.
 */
export interface Projection<Type extends string = string> {
  readonly name: string;
  readonly handles: readonly Type[];
  apply(trx: Transaction<ReadModelDatabase>, event: RecordedEvent): Promise<void>;
  /**
   * Optional: applies several events (of the types it handles, in the store's order) with the same
   * effect as `apply` on each in turn, in fewer statements. Busy projections offer it.
   */
  applyBatch?(trx: Transaction<ReadModelDatabase>, events: readonly RecordedEvent[]): Promise<void>;
}

/**
 * A stored event that does not match its contract, or that a projection failed on. Never skipped:
 * the projector stops at it, saying where it is, and retries until someone fixes the cause.
 */
export class ProjectionFailedError extends Error {
  readonly code = 'PROJECTION_FAILED';

  constructor(
    readonly projection: string,
    /** The event it failed on; for a batch that failed as a whole, the batch's first event. */
    readonly event: Pick<
      RecordedEvent,
      'type' | 'streamId' | 'streamVersion' | 'checkpoint' | 'globalPosition'
    >,
    cause: unknown,
    /** How many events the failed batch held, from `event` on; 1 when it failed on `event` itself. */
    readonly batchSize = 1,
  ) {
    const where = batchSize === 1 ? 'on' : `on a batch of ${batchSize} events, the first being`;
    super(
      `projection ${projection} failed ${where} ${event.type} #${event.streamVersion} of ${event.streamId} ` +
        `(global position ${event.globalPosition}, checkpoint ${event.checkpoint}): ${describe(cause)}`,
      { cause },
    );
    this.name = 'ProjectionFailedError';
  }
}

/** Parses a stored event with its contract's parser, which sees it as `{ type, data, metadata }`. */
export function parseRecordedEvent<Event>(
  projection: string,
  event: RecordedEvent,
  parse: (value: unknown) => Event,
): Event {
  try {
    return parse({ type: event.type, data: event.data, metadata: event.metadata });
  } catch (error) {
    throw new ProjectionFailedError(projection, event, error);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof ContractViolationError) return cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}
