// One append transaction: a group of appendToStream calls written together. Reviewers: the
// technique that keeps the store gap-free and consistent is the server-side function
// event_store.append_events (migrations/2026_12_05_07_00_00_create_append_events.ts, which lists
// its steps), together with the fenced read in catch-up-reads.ts. In short: per-stream advisory
// locks before the first write, so a later writer of a stream gets a larger transaction id; the
// checks under those locks; a short session lock around the INSERT, so global positions follow
// transaction ids; pg_notify for live subscribers.
//
// Round trips, not the statements' work, dominate an append, so the transaction is one: the
// function call on its own is the statement's implicit transaction, and commits as it returns.
// Values travel as bound parameters, so nothing is quoted into the SQL text: arrays for the
// requests and event ids, and the events' data and metadata as two JSON arrays, their JSON texts
// joined (an array of texts would escape every quote in them, and the server parse them twice).
// Only a beforeCommit hook (the contract suite's, to provoke out-of-order commits) wraps the call
// in BEGIN ... COMMIT so that the transaction stays open while the hook runs.
//
// Any failure leaves the connection suspect (an aborted transaction; a cancelled call may still hold
// the session lock): the caller discards it, and the server rolls back and releases every lock.
import type { PoolClient } from 'pg';
import { requiredVersion } from '../append-rules.js';
import type { AppendFence, AppendResult, ExpectedVersion } from '../port/event-store.js';
import type { EventStoreError } from '../port/errors.js';
import {
  EventIdConflictError,
  ExpectedVersionConflictError,
  FencedAppendError,
} from '../port/errors.js';

export const notificationChannel = 'event_store';

/** One appendToStream call, serialised and checked, waiting for its transaction. */
export interface PendingAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  /** At least one; no id twice within one transaction (see GroupCommit). */
  readonly eventIds: readonly string[];
  readonly types: readonly string[];
  /** JSON text per event (see stored-json.ts). */
  readonly data: readonly string[];
  readonly metadata: readonly string[];
  /** Every request of one transaction has the same fence, or none (see GroupCommit). */
  readonly fence?: AppendFence;
}

export type AppendOutcome =
  | { readonly kind: 'appended'; readonly result: AppendResult }
  | { readonly kind: 'repeated'; readonly result: AppendResult }
  | { readonly kind: 'rejected'; readonly error: EventStoreError };

const outcomeColumns = `
    request_outcome,
    request_version::text AS request_version,
    request_position::text AS request_position,
    conflicting_event_id::text AS conflicting_event_id`;

const appendEvents = {
  name: 'event_store.append_events',
  text: `
    SELECT ${outcomeColumns}
    FROM event_store.append_events($1::text[], $2::int8[], $3::int4[], $4::uuid[], $5::text[],
                                   $6::jsonb, $7::jsonb)`,
};

// The same call behind a fence, still one statement and one round trip: the lease's row is read
// and share-locked first (a new holder's UPDATE waits for this transaction's commit), and the
// function is called once per row found: never when the lease has expired or moved on to another
// epoch, which then answers no row at all. The function's first argument comes through the fence's
// row so that it is a lateral call PostgreSQL cannot evaluate before the fence.
const appendEventsFenced = {
  name: 'event_store.append_events_fenced',
  text: `
    SELECT ${outcomeColumns}
    FROM (SELECT $1::text[] AS request_streams
            FROM leadership.leases
           WHERE name = $8 AND epoch = $9 AND expires_at > clock_timestamp()
             FOR SHARE) AS fence
    CROSS JOIN LATERAL event_store.append_events(fence.request_streams, $2::int8[], $3::int4[],
                                                 $4::uuid[], $5::text[], $6::jsonb, $7::jsonb)`,
};

interface OutcomeRow {
  readonly request_outcome: 'appended' | 'repeated' | 'version_conflict' | 'event_id_conflict';
  readonly request_version: string | null;
  readonly request_position: string | null;
  readonly conflicting_event_id: string | null;
}

/**
 * Appends the requests in one transaction on `client`, each checked on its own in order: one that
 * fails its checks is rejected alone while the others are written. Throws only on unexpected
 * failures (then nothing was written and the connection must be discarded).
 */
export async function appendInOneTransaction(
  client: PoolClient,
  requests: readonly PendingAppend[],
  beforeCommit?: () => Promise<void>,
): Promise<AppendOutcome[]> {
  const fence = requests[0]?.fence;
  const call = {
    ...(fence === undefined ? appendEvents : appendEventsFenced),
    values: [
      requests.map((request) => request.streamId),
      requests.map((request) => requiredVersion(request.expectedVersion) ?? null),
      requests.map((request) => request.eventIds.length),
      requests.flatMap((request) => request.eventIds),
      requests.flatMap((request) => request.types),
      jsonArray(requests, (request) => request.data),
      jsonArray(requests, (request) => request.metadata),
      ...(fence === undefined ? [] : [fence.lease, fence.epoch]),
    ],
  };
  let rows: OutcomeRow[];
  if (beforeCommit === undefined) {
    ({ rows } = await client.query<OutcomeRow>(call));
  } else {
    await client.query('BEGIN');
    ({ rows } = await client.query<OutcomeRow>(call));
    if (rows.some((row) => row.request_outcome === 'appended')) await beforeCommit();
    await client.query('COMMIT');
  }
  if (fence !== undefined && rows.length === 0) {
    return requests.map((request) => ({
      kind: 'rejected',
      error: new FencedAppendError(request.streamId, fence),
    }));
  }
  if (rows.length !== requests.length) {
    throw new Error(`append_events answered ${rows.length} of ${requests.length} requests`);
  }
  return rows.map((row, index) => toOutcome(row, requests[index] as PendingAppend));
}

/** One JSON array of every event's JSON text, in request order. */
function jsonArray(
  requests: readonly PendingAppend[],
  texts: (request: PendingAppend) => readonly string[],
): string {
  return `[${requests.map((request) => texts(request).join(',')).join(',')}]`;
}

function toOutcome(row: OutcomeRow, request: PendingAppend): AppendOutcome {
  switch (row.request_outcome) {
    case 'appended':
    case 'repeated':
      return {
        kind: row.request_outcome,
        result: {
          nextExpectedVersion: Number(row.request_version),
          lastGlobalPosition: BigInt(row.request_position ?? 0),
        },
      };
    case 'version_conflict':
      return {
        kind: 'rejected',
        error: new ExpectedVersionConflictError(
          request.streamId,
          request.expectedVersion,
          Number(row.request_version),
        ),
      };
    case 'event_id_conflict':
      return {
        kind: 'rejected',
        error: new EventIdConflictError(request.streamId, row.conflicting_event_id ?? 'unknown'),
      };
    default: {
      const unexpected: never = row.request_outcome;
      throw new Error(`unknown append outcome ${String(unexpected)}`);
    }
  }
}
