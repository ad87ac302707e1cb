import { ANY, NO_STREAM } from '@eventstore/db-client';
import type { AppendExpectedRevision, CurrentRevision } from '@eventstore/db-client';
import type { ExpectedVersion } from '../port/event-store.js';

// The port counts a stream's events (version N = N events, the first event is version 1);
// EventStoreDB indexes them (revision 0 is the first event). Every crossing goes through here.

/** The revision EventStoreDB must find at the end of the stream for an append to be accepted. */
export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  assertStreamVersion(expected, 'expectedVersion');
  return expected === 0 ? NO_STREAM : BigInt(expected - 1);
}

/** How many events the caller expects the stream to hold, when it expects anything at all. */
export function expectedEventCount(expected: Exclude<ExpectedVersion, 'any'>): number {
  return expected === 'no_stream' ? 0 : expected;
}

/** The 1-based stream version of the event stored at this revision. */
export function streamVersionOfRevision(revision: bigint): number {
  const version = revision + 1n;
  if (revision < 0n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`EventStoreDB revision ${revision} has no stream version`);
  }
  return Number(version);
}

/** The stream's version as EventStoreDB reports it in a wrong-expected-version answer. */
export function streamVersionOfCurrentRevision(current: CurrentRevision): number {
  return current === NO_STREAM ? 0 : streamVersionOfRevision(current);
}

/** The revision of the event that carries this 1-based stream version. */
export function revisionOfStreamVersion(version: number): bigint {
  assertStreamVersion(version, 'fromVersion');
  if (version < 1) throw new RangeError(`fromVersion must be 1 or more, got ${version}`);
  return BigInt(version - 1);
}

/** Versions and counts are non-negative safe integers; anything else is a caller's bug. */
export function assertStreamVersion(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}
