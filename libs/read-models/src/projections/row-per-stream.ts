import type { RecordedEvent } from '@canopy/event-store';
import type { RawBuilder, Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';
import {
  anyOf,
  columnNames,
  excludedColumns,
  unnestRows,
  type ColumnArrayType,
  type RowSetColumns,
} from './unnest-rows.js';

/** A row that remembers the version of the last event of its stream it holds. */
export interface StreamRow {
  readonly last_stream_version: number;
}

/** The table of a {@link RowPerStream}, and the columns of it the projection reads and writes. */
export interface StreamRowTable<Row extends StreamRow> {
  readonly table: keyof ReadModelDatabase & `api.${string}`;
  /** The row's key column: its stream's aggregate id. */
  readonly key: keyof Row & string;
  /** The key column's own type, which loading compares with (`bpchar` for a `char(n)` id). */
  readonly keyType: ColumnArrayType;
  /** The columns, in order; `int8` ones are read back as numbers. */
  readonly columns: RowSetColumns<Row>;
  /** Columns of the table outside the row that an update of a stored row sets too. */
  readonly alsoOnUpdate?: Record<string, RawBuilder<unknown>>;
}

/** A projection that keeps one row per stream of the events it handles (a node, a schedule). */
export interface RowPerStream<Type extends string, Event, Row extends StreamRow> {
  readonly name: string;
  readonly handles: readonly Type[];
  /** The event's contract parser. */
  readonly parse: (value: unknown) => Event;
  /** The key of the event's row: its stream's aggregate id. */
  readonly keyOf: (event: Event) => string;
  readonly rows: StreamRowTable<Row>;
  /**
   * The row after the event (at `version`); `row` itself, or undefined for a row that does not
   * exist, when the event changes nothing.
   */
  readonly evolve: (row: Row | undefined, event: Event, version: number) => Row | undefined;
}

/**
 * The projection of a {@link RowPerStream}. A batch reads the stored rows of its streams (one
 * SELECT), folds each stream's events onto its row in memory, skipping those at or below the row's
 * `last_stream_version`, and stores the rows it changed (one upsert that replaces only stored rows
 * at a lower `last_stream_version`): replaying an event changes nothing.
 */
export function rowPerStreamProjection<Type extends string, Event, Row extends StreamRow>(
  definition: RowPerStream<Type, Event, Row>,
): Projection<Type> {
  const { name, parse, keyOf, evolve, rows: table } = definition;
  const applyBatch = async (
    trx: Transaction<ReadModelDatabase>,
    recorded: readonly RecordedEvent[],
  ): Promise<void> => {
    const events = recorded.map((event) => ({
      version: event.streamVersion,
      event: parseRecordedEvent(name, event, parse),
    }));
    const rows = await loadRows(trx, table, [...new Set(events.map(({ event }) => keyOf(event)))]);
    const changed = new Set<string>();
    for (const { version, event } of events) {
      const key = keyOf(event);
      const stored = rows.get(key);
      if (stored !== undefined && version <= stored.last_stream_version) continue;
      const next = evolve(stored, event, version);
      if (next === undefined || next === stored) continue;
      rows.set(key, next);
      changed.add(key);
    }
    const changedRows = [...changed].flatMap((key) => rows.get(key) ?? []);
    if (changedRows.length > 0) await storeRows(trx, table, changedRows);
  };
  return {
    name,
    handles: definition.handles,
    apply: (trx, event) => applyBatch(trx, [event]),
    applyBatch,
  };
}

// Kysely types a query by its table's interface. These statements serve the table of any row-per-
// stream projection, so they see the transaction as one over tables of untyped columns; the row set
// is what types the rows they read and write.
type UntypedDatabase = Record<string, Record<string, unknown>>;

async function loadRows<Row extends StreamRow>(
  trx: Transaction<ReadModelDatabase>,
  { table, key, keyType, columns }: StreamRowTable<Row>,
  keys: readonly string[],
): Promise<Map<string, Row>> {
  const names: string[] = columnNames(columns);
  const keyColumn: string = key;
  const stored = await (trx as unknown as Transaction<UntypedDatabase>)
    .selectFrom(table)
    .select(names)
    .where(keyColumn, '=', anyOf(keys, keyType))
    .execute();
  // node-postgres reads int8 as a string.
  const numbers = columnNames(columns).filter((column) => columns[column] === 'int8');
  return new Map(
    stored.map((row) => {
      for (const column of numbers) row[column] = Number(row[column]);
      return [String(row[keyColumn]), row as unknown as Row];
    }),
  );
}

async function storeRows<Row extends StreamRow>(
  trx: Transaction<ReadModelDatabase>,
  { table, key, columns, alsoOnUpdate = {} }: StreamRowTable<Row>,
  rows: readonly Row[],
): Promise<void> {
  await (trx as unknown as Transaction<UntypedDatabase>)
    .insertInto(table)
    .columns(columnNames(columns))
    .expression(unnestRows(columns, rows))
    .onConflict((conflict) =>
      conflict
        .column(key)
        .doUpdateSet({ ...excludedColumns(columns, key), ...alsoOnUpdate })
        .whereRef(`${table}.last_stream_version`, '<', 'excluded.last_stream_version'),
    )
    .execute();
}
