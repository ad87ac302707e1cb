// The rules every adapter applies, so that they answer alike: input checks, the expected-version
// check and the recognition of a retried append (idempotency by event id).
import type { AppendResult, ExpectedVersion, NewEvent } from './port/event-store.js';
import { EventIdConflictError, ExpectedVersionConflictError } from './port/errors.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Rejects what no store could append and returns the event ids in canonical (lower-case) form,
 * the form the stores keep and compare.
 */
export function checkAppendInput(
  streamId: string,
  events: readonly NewEvent[],
  expectedVersion: ExpectedVersion,
): string[] {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new TypeError('streamId must be a non-empty string');
  }
  if (
    expectedVersion !== 'any' &&
    expectedVersion !== 'no_stream' &&
    !(Number.isSafeInteger(expectedVersion) && expectedVersion >= 0)
  ) {
    throw new RangeError(
      `expectedVersion must be 'any', 'no_stream' or a non-negative integer, got ${String(expectedVersion)}`,
    );
  }
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (typeof event.id !== 'string' || !uuidPattern.test(event.id)) {
      throw new TypeError(`event id must be a UUID, got ${JSON.stringify(event.id)}`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`event ${event.id} needs a non-empty type`);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new EventIdConflictError(streamId, id);
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** The version the stream must be at, or undefined for `'any'`. */
export function requiredVersion(expectedVersion: ExpectedVersion): number | undefined {
  switch (expectedVersion) {
    case 'any':
      return undefined;
    case 'no_stream':
      return 0;
    default:
      return expectedVersion;
  }
}

export function checkExpectedVersion(
  streamId: string,
  expectedVersion: ExpectedVersion,
  actualVersion: number,
): void {
  const required = requiredVersion(expectedVersion);
  if (required !== undefined && required !== actualVersion) {
    throw new ExpectedVersionConflictError(streamId, expectedVersion, actualVersion);
  }
}

/** Where an already stored event sits. */
export interface StoredEventPlace {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly globalPosition: bigint;
}

/**
 * Recognises a retry: when the batch's ids are all stored in this stream, in batch order, at the
 * versions this append would have given them, the append already happened and its result is
 * returned. Returns undefined when none of the ids is stored (a fresh append).
 * @throws EventIdConflictError when some id is stored anywhere else (or only part of the batch is).
 */
export function findRepeatedAppend(
  streamId: string,
  eventIds: readonly string[],
  expectedVersion: ExpectedVersion,
  stored: ReadonlyMap<string, StoredEventPlace>,
): AppendResult | undefined {
  if (!eventIds.some((id) => stored.has(id))) return undefined;
  const required = requiredVersion(expectedVersion);
  const first = eventIds[0] === undefined ? undefined : stored.get(eventIds[0]);
  // With 'any' the retry may have landed at any version: the stored run must just be contiguous.
  const firstVersion = required === undefined ? first?.streamVersion : required + 1;
  let last: StoredEventPlace | undefined;
  for (const [index, id] of eventIds.entries()) {
    const place = stored.get(id);
    if (
      place === undefined ||
      firstVersion === undefined ||
      place.streamId !== streamId ||
      place.streamVersion !== firstVersion + index
    ) {
      throw new EventIdConflictError(streamId, firstStoredId(eventIds, stored, id));
    }
    last = place;
  }
  if (last === undefined) return undefined;
  return { nextExpectedVersion: last.streamVersion, lastGlobalPosition: last.globalPosition };
}

// For a partial repeat the id to name is one that is stored, not the missing one.
function firstStoredId(
  eventIds: readonly string[],
  stored: ReadonlyMap<string, StoredEventPlace>,
  offending: string,
): string {
  if (stored.has(offending)) return offending;
  return eventIds.find((id) => stored.has(id)) ?? offending;
}

/** The batch size a subscription asked for, or the adapter's default. */
export function checkBatchSize(batchSize: number | undefined, defaultSize: number): number {
  if (batchSize === undefined) return defaultSize;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  return batchSize;
}
