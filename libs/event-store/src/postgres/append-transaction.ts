// How an append transaction keeps the store gap-free and consistent. Reviewers: this is the
// technique, together with the fenced read in catch-up-reads.ts.
//
// 1. Per-stream serialisation. The transaction first takes pg_advisory_xact_lock(hashtext(stream_id))
//    for every stream it writes, sorted by lock key (so two transactions never wait on each other
//    in a cycle), BEFORE its first write. Advisory locks do not assign a transaction id; the xid
//    is assigned by the INSERT, after the locks are held. So a later writer of a stream always
//    gets a larger xid than the earlier one, which had its xid before it committed and released
//    the lock. Under the lock, max(stream_version) is stable: the current version is read once and
//    checked against each request's expected version in code.
// 2. Idempotency. The batch's event ids are looked up before writing. All of a request's ids
//    stored in its stream at the versions it would give them: a retry, answered with the stored
//    result and nothing written. Stored anywhere else: EventIdConflictError. A concurrent writer
//    of the same ids in another stream shows up as a unique violation (23505) on event_id; the
//    caller re-runs the request, and the re-check answers.
// 3. Global positions in xid order. A session advisory lock is taken by the statement just
//    before the INSERT and released by the one just after it, so the xid (assigned by the first
//    row's pg_current_xact_id() default) and the identity values of one transaction are handed
//    out together, never interleaved with another transaction's. Ordering by
//    (transaction_id, global_position), as readers do, then orders by global_position too: the
//    port promises positions that increase along a subscription. (Without this lock concurrent
//    multi-row INSERTs interleave their nextval calls, and the gap test sees positions go back.)
//    The lock is held for the INSERT only, not until commit, so commits still overlap and may
//    finish out of order; the readers' fence deals with that.
// 4. pg_notify('event_store') in the same transaction wakes live subscribers once it commits.
//
// Any failure leaves the connection unusable for the pool (aborted transaction, maybe the session
// lock still held): the caller discards it, and the server rolls back and releases every lock.
import type { PoolClient, QueryResult } from 'pg';
import {
  checkExpectedVersion,
  findRepeatedAppend,
  type StoredEventPlace,
} from '../append-rules.js';
import type { AppendResult, ExpectedVersion } from '../port/event-store.js';
import { EventStoreError } from '../port/errors.js';

export const notificationChannel = 'event_store';

/** One appendToStream call, serialised and checked, waiting for its transaction. */
export interface PendingAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly eventIds: readonly string[];
  readonly types: readonly string[];
  /** JSON text per event (see stored-json.ts). */
  readonly data: readonly string[];
  readonly metadata: readonly string[];
}

export type AppendOutcome =
  | { readonly kind: 'appended'; readonly result: AppendResult }
  | { readonly kind: 'repeated'; readonly result: AppendResult }
  | { readonly kind: 'rejected'; readonly error: EventStoreError }
  /** Shares an event id with an earlier request of the same transaction: retry in the next one. */
  | { readonly kind: 'deferred' };

// Round trips, not the statements' work, dominate an append, so a transaction takes two: BEGIN,
// the stream locks and the look-up travel as one simple-protocol message, the INSERT and (unless a
// beforeCommit hook must run in between) the COMMIT as another. Each statement of a message runs
// with its own snapshot, so the look-up sees every commit made before the locks were granted. A
// parameterised query carries a single statement, so values are inlined as literals, every one
// through escapeLiteral. (EXECUTE of statements prepared per connection measured slower: their
// generic plans did worse.)
function arrayLiteral(client: PoolClient, values: readonly string[], type: string): string {
  return `ARRAY[${values.map((value) => client.escapeLiteral(value)).join(', ')}]::${type}[]`;
}

// The look-up answers both facts the checks need: each stream's current version (rows without an
// event id) and where each of the batch's event ids is already stored, if anywhere.
function beginLockAndLookUp(
  client: PoolClient,
  streamIds: readonly string[],
  eventIds: readonly string[],
): string {
  const streams = arrayLiteral(client, streamIds, 'text');
  return `
    BEGIN;
    SELECT pg_advisory_xact_lock(lock_key)
    FROM (
      SELECT DISTINCT hashtext(stream_id) AS lock_key
      FROM unnest(${streams}) AS requested(stream_id)
      ORDER BY lock_key
    ) AS sorted_keys;
    SELECT requested.stream_id,
           NULL::text AS event_id,
           (SELECT max(e.stream_version) FROM event_store.events e
             WHERE e.stream_id = requested.stream_id)::text AS stream_version,
           NULL::text AS global_position
    FROM unnest(${streams}) AS requested(stream_id)
    UNION ALL
    SELECT e.stream_id, e.event_id::text, e.stream_version::text, e.global_position::text
    FROM event_store.events e
    WHERE e.event_id = ANY (${arrayLiteral(client, eventIds, 'uuid')});`;
}

// The positions lock (see 3. above) is a session lock taken by the statement before the INSERT
// and released by the one after it, in the same message: nothing else runs in between.
function insertEvents(client: PoolClient, rows: EventRows, thenCommit: boolean): string {
  const [streamIds, versions, eventIds, types, data, metadata] = rows.columns();
  return `
    SELECT pg_advisory_lock(hashtext('event_store.global_position'), 0);
    INSERT INTO event_store.events (stream_id, stream_version, event_id, type, data, metadata)
    SELECT e.stream_id, e.stream_version, e.event_id, e.type, e.data::jsonb, e.metadata::jsonb
    FROM unnest(
           ${arrayLiteral(client, streamIds, 'text')},
           ${arrayLiteral(client, versions, 'int8')},
           ${arrayLiteral(client, eventIds, 'uuid')},
           ${arrayLiteral(client, types, 'text')},
           ${arrayLiteral(client, data, 'text')},
           ${arrayLiteral(client, metadata, 'text')}
         ) WITH ORDINALITY AS e(stream_id, stream_version, event_id, type, data, metadata, n)
    ORDER BY e.n
    RETURNING event_id::text AS event_id, global_position::text AS global_position;
    SELECT pg_advisory_unlock(hashtext('event_store.global_position'), 0),
           pg_notify('${notificationChannel}', '');
    ${thenCommit ? 'COMMIT;' : ''}`;
}

interface LookUpRow {
  readonly stream_id: string;
  readonly event_id: string | null;
  readonly stream_version: string | null;
  readonly global_position: string | null;
}

interface InsertedRow {
  readonly event_id: string;
  readonly global_position: string;
}

type Decision =
  | Exclude<AppendOutcome, { kind: 'appended' }>
  | { readonly kind: 'appended'; readonly lastEventId: string; readonly lastVersion: number };

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
  const streamIds = [...new Set(requests.map((request) => request.streamId))];
  const eventIds = requests.flatMap((request) => request.eventIds);

  // A message of several statements yields one result per statement; the look-up is the last.
  const results = (await client.query(
    beginLockAndLookUp(client, streamIds, eventIds),
  )) as unknown as QueryResult<LookUpRow>[];
  const rows = results.at(-1)?.rows ?? [];
  const versions = new Map<string, number>();
  const stored = new Map<string, StoredEventPlace>();
  for (const row of rows) {
    if (row.event_id === null) {
      versions.set(row.stream_id, Number(row.stream_version ?? 0));
    } else {
      stored.set(row.event_id, {
        streamId: row.stream_id,
        streamVersion: Number(row.stream_version),
        globalPosition: BigInt(row.global_position ?? 0),
      });
    }
  }

  const insert = new EventRows();
  const claimedIds = new Set<string>();
  const decisions = requests.map((request): Decision => {
    if (request.eventIds.some((id) => claimedIds.has(id))) return { kind: 'deferred' };
    let version: number;
    try {
      const repeated = findRepeatedAppend(
        request.streamId,
        request.eventIds,
        request.expectedVersion,
        stored,
      );
      if (repeated !== undefined) return { kind: 'repeated', result: repeated };
      version = versions.get(request.streamId) ?? 0;
      checkExpectedVersion(request.streamId, request.expectedVersion, version);
    } catch (error) {
      if (error instanceof EventStoreError) return { kind: 'rejected', error };
      throw error;
    }
    insert.add(request, version);
    for (const id of request.eventIds) claimedIds.add(id);
    const lastVersion = version + request.eventIds.length;
    versions.set(request.streamId, lastVersion);
    const lastEventId = request.eventIds.at(-1);
    // An empty append never reaches a transaction (see PostgresEventStore.appendToStream).
    if (lastEventId === undefined) throw new Error('empty append in a transaction');
    return { kind: 'appended', lastEventId, lastVersion };
  });

  const positions = new Map<string, bigint>();
  if (insert.size === 0) {
    await client.query('COMMIT');
  } else {
    const results = (await client.query(
      insertEvents(client, insert, beforeCommit === undefined),
    )) as unknown as QueryResult<InsertedRow>[];
    // Results per statement: the lock, the INSERT, the unlock (and the COMMIT).
    for (const row of results[1]?.rows ?? []) {
      positions.set(row.event_id, BigInt(row.global_position));
    }
    if (beforeCommit !== undefined) {
      await beforeCommit();
      await client.query('COMMIT');
    }
  }

  return decisions.map((decision): AppendOutcome => {
    switch (decision.kind) {
      case 'appended': {
        const lastGlobalPosition = positions.get(decision.lastEventId);
        if (lastGlobalPosition === undefined) {
          throw new Error(`event ${decision.lastEventId} was not returned by the insert`);
        }
        return {
          kind: 'appended',
          result: { nextExpectedVersion: decision.lastVersion, lastGlobalPosition },
        };
      }
      case 'repeated':
      case 'rejected':
      case 'deferred':
        return decision;
      default: {
        const unexpected: never = decision;
        throw new Error(`unknown decision ${String(unexpected)}`);
      }
    }
  });
}

/** The column arrays of one multi-row INSERT. */
class EventRows {
  private readonly streamIds: string[] = [];
  private readonly versions: string[] = [];
  private readonly eventIds: string[] = [];
  private readonly types: string[] = [];
  private readonly data: string[] = [];
  private readonly metadata: string[] = [];

  get size(): number {
    return this.eventIds.length;
  }

  add(request: PendingAppend, currentVersion: number): void {
    request.eventIds.forEach((id, index) => {
      this.streamIds.push(request.streamId);
      this.versions.push(String(currentVersion + index + 1));
      this.eventIds.push(id);
      this.types.push(request.types[index] ?? '');
      this.data.push(request.data[index] ?? 'null');
      this.metadata.push(request.metadata[index] ?? '{}');
    });
  }

  columns(): [string[], string[], string[], string[], string[], string[]] {
    return [this.streamIds, this.versions, this.eventIds, this.types, this.data, this.metadata];
  }
}
