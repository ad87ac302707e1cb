import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

/** How far a projector has read the event store, as stored with its read models. */
export interface ProjectionPosition {
  /** Where its subscription resumes; null before the first event. */
  readonly checkpoint: string | null;
  /** Events consumed from the start of the store: comparable, unlike checkpoints. */
  readonly eventsApplied: number;
  /** When the last consumed event was recorded; null before the first event. */
  readonly lastEventRecordedAt: Date | null;
}

export const startOfEventStore: ProjectionPosition = {
  checkpoint: null,
  eventsApplied: 0,
  lastEventRecordedAt: null,
};

/** The stored position of projector `name`, locking its row when `forUpdate` (inside a transaction). */
export async function readProjectionPosition(
  db: Kysely<ReadModelDatabase>,
  name: string,
  options: { readonly forUpdate?: boolean } = {},
): Promise<ProjectionPosition> {
  let query = db
    .selectFrom('api.projection_checkpoints')
    .select(['checkpoint', 'events_applied', 'last_event_recorded_at'])
    .where('projection', '=', name);
  if (options.forUpdate === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row === undefined) return startOfEventStore;
  return {
    checkpoint: row.checkpoint,
    eventsApplied: Number(row.events_applied),
    lastEventRecordedAt: row.last_event_recorded_at,
  };
}

export async function writeProjectionPosition(
  db: Kysely<ReadModelDatabase>,
  name: string,
  position: ProjectionPosition & { readonly checkpoint: string },
): Promise<void> {
  const values = {
    checkpoint: position.checkpoint,
    events_applied: position.eventsApplied,
    last_event_recorded_at: position.lastEventRecordedAt,
  };
  await db
    .insertInto('api.projection_checkpoints')
    .values({ projection: name, ...values })
    .onConflict((conflict) =>
      conflict.column('projection').doUpdateSet({ ...values, updated_at: sql`now()` }),
    )
    .execute();
}

export function samePosition(left: ProjectionPosition, right: ProjectionPosition): boolean {
  return left.checkpoint === right.checkpoint && left.eventsApplied === right.eventsApplied;
}

/**
 * The stored position is not the one the projector continued from: another process moved it (a
 * rebuild swapped fresh read models in, or a second projector instance ran). Nothing was written;
 * resume from the stored position.
 */
export class ProjectionPositionMovedError extends Error {
  readonly code = 'PROJECTION_POSITION_MOVED';

  constructor(
    readonly projector: string,
    readonly expected: ProjectionPosition,
    readonly stored: ProjectionPosition,
  ) {
    super(
      `projector ${projector} expected to continue after event ${expected.eventsApplied} ` +
        `(checkpoint ${String(expected.checkpoint)}) but its read models are after event ` +
        `${stored.eventsApplied} (checkpoint ${String(stored.checkpoint)})`,
    );
    this.name = 'ProjectionPositionMovedError';
  }
}
