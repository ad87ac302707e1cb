// The one place where driver and server failures become the event store's error vocabulary.
import {
  EventIdConflictError,
  EventStoreError,
  EventStoreUnavailableError,
} from '../port/errors.js';

const eventIdConstraint = 'events_event_id_key';

interface ErrorWithCode {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly detail?: unknown;
  readonly message?: unknown;
}

function fields(error: unknown): ErrorWithCode {
  return typeof error === 'object' && error !== null ? (error as ErrorWithCode) : {};
}

/**
 * Failures that a concurrent writer in another transaction can cause and that a fresh attempt
 * resolves: a unique violation (someone stored the same event id or stream version first, the
 * re-check then answers), a deadlock or a serialisation failure.
 */
export function isRaceWithConcurrentWriter(error: unknown): boolean {
  const { code } = fields(error);
  return code === '23505' || code === '40P01' || code === '40001';
}

/** Turns anything thrown while talking to PostgreSQL into an event store error. */
export function toEventStoreError(error: unknown, streamId?: string): Error {
  if (error instanceof EventStoreError) return error;
  const { code, constraint, detail, message } = fields(error);
  if (code === '23505' && constraint === eventIdConstraint && streamId !== undefined) {
    const id = typeof detail === 'string' ? /=\(([0-9a-f-]{36})\)/i.exec(detail)?.[1] : undefined;
    return new EventIdConflictError(streamId, id ?? 'unknown');
  }
  const reason = typeof message === 'string' ? message : String(error);
  return new EventStoreUnavailableError(`PostgreSQL event store: ${reason}`, { cause: error });
}
