import type { RecordedEvent } from '@canopy/event-store';
import type { Transaction } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';

/** A row that remembers the version of the last event of its stream it holds. */
export interface StreamRow {
  readonly last_stream_version: number;
}

/** A projection that keeps one row per stream of the events it handles (a node, a schedule). */
export interface RowPerStream<Type extends string, Event, Row extends StreamRow> {
  readonly name: string;
  readonly handles: readonly Type[];
  /** The event's contract parser. */
  readonly parse: (value: unknown) => Event;
  /** The key of the event's row: its stream's aggregate id. */
  readonly keyOf: (event: Event) => string;
  /** The stored rows of these keys. */
  readonly load: (
    trx: Transaction<ReadModelDatabase>,
    keys: readonly string[],
  ) => Promise<Map<string, Row>>;
  /**
   * The row after the event (at `version`); `row` itself, or undefined for a row that does not
   * exist, when the event changes nothing.
   */
  readonly evolve: (row: Row | undefined, event: Event, version: number) => Row | undefined;
  /** Upserts the changed rows, replacing only stored rows at a lower `last_stream_version`. */
  readonly store: (trx: Transaction<ReadModelDatabase>, rows: readonly Row[]) => Promise<void>;
}

/**
 * The projection of a {@link RowPerStream}. A batch reads the stored rows of its streams (one
 * SELECT), folds each stream's events onto its row in memory, skipping those at or below the row's
 * `last_stream_version`, and stores the rows it changed (one statement): replaying an event
 * changes nothing.
 */
export function rowPerStreamProjection<Type extends string, Event, Row extends StreamRow>(
  definition: RowPerStream<Type, Event, Row>,
): Projection<Type> {
  const { name, parse, keyOf, evolve } = definition;
  const applyBatch = async (
    trx: Transaction<ReadModelDatabase>,
    recorded: readonly RecordedEvent[],
  ): Promise<void> => {
    const events = recorded.map((event) => ({
      version: event.streamVersion,
      event: parseRecordedEvent(name, event, parse),
    }));
    const rows = await definition.load(trx, [...new Set(events.map(({ event }) => keyOf(event)))]);
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
    if (changedRows.length > 0) await definition.store(trx, changedRows);
  };
  return {
    name,
    handles: definition.handles,
    apply: (trx, event) => applyBatch(trx, [event]),
    applyBatch,
  };
}
