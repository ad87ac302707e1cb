import {
  DeadlineExceededError,
  StreamNotFoundError,
  TimeoutError,
  WrongExpectedVersionError,
  convertToCommandError,
  isCommandError,
} from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../port/errors.js';
import { streamVersionOfCurrentRevision } from './stream-revision.js';

// Every error the EventStoreDB client throws is classified here once; the adapter decides what
// each kind means for the operation at hand and answers with the port's error vocabulary.

export type DriverFailure =
  /** The append's expected revision did not match; `actualVersion` is the stream's version. */
  | {
      readonly kind: 'wrong_expected_version';
      readonly actualVersion: number;
      readonly cause: Error;
    }
  /** A read found no stream. */
  | { readonly kind: 'stream_not_found'; readonly cause: Error }
  /** The server could not be reached, or answered with a failure we do not expect. */
  | { readonly kind: 'unavailable'; readonly cause: Error }
  /** Not the driver's: our own bug or bad configuration, passed on untouched. */
  | { readonly kind: 'foreign'; readonly cause: unknown };

// The client throws a plain Error when cluster discovery gives up (Client/discovery.js).
const DISCOVERY_GAVE_UP = /^Failed to discover after \d+ attempts/;

export function classifyDriverError(error: unknown): DriverFailure {
  if (!(error instanceof Error)) return { kind: 'foreign', cause: error };
  // Raw gRPC failures (a status code, no exception metadata) become the client's own errors.
  const converted = convertToCommandError(error);
  if (converted instanceof WrongExpectedVersionError) {
    return {
      kind: 'wrong_expected_version',
      actualVersion: streamVersionOfCurrentRevision(converted.actualVersion),
      cause: converted,
    };
  }
  if (converted instanceof StreamNotFoundError)
    return { kind: 'stream_not_found', cause: converted };
  if (isCommandError(converted)) return { kind: 'unavailable', cause: converted };
  if (DISCOVERY_GAVE_UP.test(converted.message)) return { kind: 'unavailable', cause: converted };
  return { kind: 'foreign', cause: error };
}

/**
 * Whether a failed write may still have happened: the server gave up waiting (it also drops a
 * repeat of an append that is not indexed yet and lets it time out), or the client's deadline
 * passed while the request was out.
 */
export function mayHaveBeenWritten(failure: DriverFailure): boolean {
  return (
    failure.kind === 'unavailable' &&
    (failure.cause instanceof TimeoutError || failure.cause instanceof DeadlineExceededError)
  );
}

/** A failure the server reported (as opposed to one of ours passing through the client). */
export type ServerFailure = Exclude<DriverFailure, { readonly kind: 'foreign' }>;

/** What the port calls a server failure that the operation at hand does not handle itself. */
export function unavailableErrorOf(
  failure: ServerFailure,
  operation: string,
): EventStoreUnavailableError {
  const message = `EventStoreDB failed to ${operation}: ${failure.cause.message}`;
  return new EventStoreUnavailableError(message, { cause: failure.cause });
}

/** The error to throw for a failure the operation does not handle: foreign errors pass untouched. */
export function storeErrorOf(failure: DriverFailure, operation: string): unknown {
  switch (failure.kind) {
    case 'wrong_expected_version':
    case 'stream_not_found':
    case 'unavailable':
      return unavailableErrorOf(failure, operation);
    case 'foreign':
      return failure.cause;
    default:
      return unreachable(failure);
  }
}

export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
