// Reading the store. The subscription read is fenced: readers order by
// (transaction_id, global_position) and only read rows with
// transaction_id < pg_snapshot_xmin(pg_current_snapshot()). Every transaction with a smaller xid
// has finished (committed or rolled back), and every transaction still to come gets a larger xid,
// so no row can ever appear before the fence after it has been read past: an event whose
// transaction commits late is held back, never skipped. The checkpoint is the pair, and a
// subscription resumes with a row comparison (transaction_id, global_position) > ($1, $2), which the
// index on (transaction_id, global_position) serves.
import type { Pool } from 'pg';
import type { EventMetadata, RecordedEvent } from '../port/event-store.js';
import { encodeCheckpoint, type LogPosition } from './checkpoint.js';
import { fromStoredValue } from './stored-json.js';

// Output names differ from the column names: an ORDER BY on a bare name would sort by the text.
// What a subscription needs to find its place (positions, stream id) comes as columns; the rest of
// the event as one JSON array, so that decoding it is one JSON.parse that builds data and metadata
// in place: fewer and shorter-lived strings than a column each, which is most of what decoding a
// window costs in Node. `selectedPayload` is the SQL that decides whether a row's payload is sent
// at all (see below).
const eventColumns = (selectedPayload: string) => `
  e.transaction_id::text AS transaction_text,
  e.global_position::text AS position_text,
  e.stream_id,
  CASE WHEN ${selectedPayload} THEN
    json_build_array(e.stream_version, e.event_id, e.type,
                     floor(date_part('epoch', e.recorded_at) * 1000)::int8, e.data, e.metadata)::text
  END AS payload`;

const eventColumnNames = [
  'transaction_text',
  'position_text',
  'stream_id',
  'payload',
] as const satisfies readonly (keyof EventRow)[];

const fence = `e.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))`;

const readAll = {
  name: 'event_store.read_all',
  text: `
    SELECT ${eventColumns('true')}
    FROM event_store.events e
    WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::int8)
      AND ${fence}
    ORDER BY e.transaction_id, e.global_position
    LIMIT $3`,
};

// With a stream prefix the read still walks the log a window at a time and returns every row of
// the window, the payload only for the streams that match. Filtering in the WHERE clause instead
// would make a subscription to a rare prefix scan from its position to the fence on every wake-up
// without ever moving its position; this way each read moves it to the end of the window.
const readAllWithPrefix = {
  name: 'event_store.read_all_with_prefix',
  text: `
    SELECT ${eventColumns('starts_with(e.stream_id, $4)')}
    FROM event_store.events e
    WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::int8)
      AND ${fence}
    ORDER BY e.transaction_id, e.global_position
    LIMIT $3`,
};

// The live tail's read (see live-tail.ts): the next window of every stream, and whether committed
// rows wait behind the fence, which it must know also when the window is empty. The flag is the
// outer row of a lateral join, evaluated under the same snapshot as the window. Written as max() so
// that it is one backward step on the index: an EXISTS over transaction_id >= fence is planned
// (generic plan) as a sequential scan, which reads the whole table when nothing matches.
const readTail = {
  name: 'event_store.read_tail',
  text: `
    SELECT ${eventColumnNames.map((name) => `w.${name}`).join(', ')}, h.held_back
    FROM (
      SELECT max(transaction_id) >= (SELECT pg_snapshot_xmin(pg_current_snapshot())) AS held_back
      FROM event_store.events
    ) AS h
    LEFT JOIN LATERAL (
      SELECT ${eventColumns('true')}, e.transaction_id, e.global_position
      FROM event_store.events e
      WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::int8)
        AND ${fence}
      ORDER BY e.transaction_id, e.global_position
      LIMIT $3
    ) AS w ON true
    ORDER BY w.transaction_id, w.global_position`,
};

// The last committed row of the log, fence or no fence: where a subscription that started now has
// handed out everything stored before it. One backward step on the log's index.
const readLogHead = {
  name: 'event_store.read_log_head',
  text: `
    SELECT e.transaction_id::text AS transaction_text, e.global_position::text AS position_text
    FROM event_store.events e
    ORDER BY e.transaction_id DESC, e.global_position DESC
    LIMIT 1`,
};

const readStream = {
  name: 'event_store.read_stream',
  text: `
    SELECT ${eventColumns('true')}
    FROM event_store.events e
    WHERE e.stream_id = $1 AND e.stream_version >= $2
    ORDER BY e.stream_version
    LIMIT $3`,
};

/** A stored event as the queries return it, before it is decoded. */
export interface EventRow {
  readonly transaction_text: string;
  readonly position_text: string;
  readonly stream_id: string;
  /**
   * `[stream_version, event_id, type, recorded_at_ms, data, metadata]` as JSON; null for a row
   * outside the subscription's stream prefix, which only moves the position.
   */
  readonly payload: string | null;
}

type Payload = [
  streamVersion: number,
  id: string,
  type: string,
  recordedAtMs: number,
  data: unknown,
  metadata: unknown,
];

/**
 * The next window of the log after `after`, in subscription order, up to the fence. With a
 * prefix, rows of other streams come without payload: they only move the position.
 */
export async function readCommittedRows(
  pool: Pool,
  after: LogPosition,
  limit: number,
  streamPrefix: string | undefined,
): Promise<EventRow[]> {
  const values: unknown[] = [after.transactionId, after.globalPosition, limit];
  const query =
    streamPrefix === undefined || streamPrefix === ''
      ? { ...readAll, values }
      : { ...readAllWithPrefix, values: [...values, streamPrefix] };
  const { rows } = await pool.query<EventRow>(query);
  return rows;
}

export function positionOfRow(row: EventRow): LogPosition {
  return { transactionId: row.transaction_text, globalPosition: row.position_text };
}

/**
 * The position of the last row committed so far, whether or not the fence lets readers past it
 * yet; undefined for an empty log.
 */
export async function readHeadPosition(pool: Pool): Promise<LogPosition | undefined> {
  const { rows } =
    await pool.query<Pick<EventRow, 'transaction_text' | 'position_text'>>(readLogHead);
  const [head] = rows;
  return head === undefined
    ? undefined
    : { transactionId: head.transaction_text, globalPosition: head.position_text };
}

/** Whether `position` is at or past `target` in subscription order. */
export function isAtOrPast(position: LogPosition, target: LogPosition): boolean {
  const transaction = BigInt(position.transactionId) - BigInt(target.transactionId);
  if (transaction !== 0n) return transaction > 0n;
  return BigInt(position.globalPosition) >= BigInt(target.globalPosition);
}

/**
 * Whether a row belongs to the subscription: the live tail's rows come with every payload, and the
 * subscription picks its prefix's streams itself.
 */
export function isSelected(row: EventRow, streamPrefix: string | undefined): boolean {
  return (
    row.payload !== null && (streamPrefix === undefined || row.stream_id.startsWith(streamPrefix))
  );
}

/** A window of the live tail: its rows, and whether later commits wait behind the fence. */
export interface TailWindow {
  readonly rows: EventRow[];
  readonly heldBack: boolean;
}

/** The next window of the log after `after`, every stream with payload, up to the fence. */
export async function readTailWindow(
  pool: Pool,
  after: LogPosition,
  limit: number,
): Promise<TailWindow> {
  const { rows } = await pool.query<TailRow>({
    ...readTail,
    values: [after.transactionId, after.globalPosition, limit],
  });
  return {
    // With an empty window the one row is the flag alone.
    rows: rows.filter((row): row is TailRow & EventRow => row.transaction_text !== null),
    heldBack: rows[0]?.held_back ?? false,
  };
}

type TailRow = { readonly held_back: boolean | null } & (
  EventRow | { readonly [Column in keyof EventRow]: null }
);

export async function readStreamEvents(
  pool: Pool,
  streamId: string,
  fromVersion: number,
  maxCount: number | undefined,
): Promise<RecordedEvent[]> {
  const { rows } = await pool.query<EventRow>({
    ...readStream,
    values: [streamId, fromVersion, maxCount ?? null],
  });
  return rows.map(toRecordedEvent);
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  if (row.payload === null) throw new Error(`event at ${row.position_text} read without payload`);
  const [streamVersion, id, type, recordedAtMs, data, metadata] = JSON.parse(
    row.payload,
  ) as Payload;
  return {
    id,
    type,
    data: fromStoredValue(data),
    metadata: fromStoredValue(metadata) as EventMetadata,
    streamId: row.stream_id,
    streamVersion,
    globalPosition: BigInt(row.position_text),
    checkpoint: encodeCheckpoint({
      transactionId: row.transaction_text,
      globalPosition: row.position_text,
    }),
    recordedAt: new Date(recordedAtMs),
  };
}
