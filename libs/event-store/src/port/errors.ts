import type { ExpectedVersion } from './event-store.js';

/** Base of the event store's error vocabulary; adapters translate driver errors into these. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** The stream's version was not the expected one: reload, decide again, retry. */
export class ExpectedVersionConflictError extends EventStoreError {
  readonly code = 'EXPECTED_VERSION_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
    this.name = 'ExpectedVersionConflictError';
  }
}

/** An event id was reused for a different event (another stream or another place in the stream). */
export class EventIdConflictError extends EventStoreError {
  readonly code = 'EVENT_ID_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`event ${eventId} is already stored elsewhere than stream ${streamId} at this version`);
    this.name = 'EventIdConflictError';
  }
}

/**
 * The append's fence failed: its lease has expired or is held at another epoch, so the caller no
 * longer leads. Nothing was written; deciding again will not help until it leads again.
 */
export class FencedAppendError extends EventStoreError {
  readonly code = 'FENCED_APPEND';
  constructor(
    readonly streamId: string,
    readonly fence: { readonly lease: string; readonly epoch: number },
  ) {
    super(
      `append to ${streamId} refused: lease ${fence.lease} is no longer held at epoch ${fence.epoch}`,
    );
    this.name = 'FencedAppendError';
  }
}

/** The store cannot be reached or answered with an unexpected failure. */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}
