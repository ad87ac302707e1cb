import type { Insertable, Selectable } from 'kysely';
import type { DefaultedTimestamp, Int8, NullableTimestamp } from './column-types.js';

/** `api.projection_checkpoints`: how far each projector has read the event store. */
export interface ProjectionCheckpointsTable {
  /** The projector, e.g. `api`. */
  projection: string;
  /** Event store position, in the adapter's own text form. */
  checkpoint: string;
  /**
   * How many events the projector has consumed from the start of the store, handled or not: a
   * position that, unlike the checkpoint, can be compared.
   */
  events_applied: Int8;
  /** When the last consumed event was recorded in the event store. */
  last_event_recorded_at: NullableTimestamp;
  updated_at: DefaultedTimestamp;
}

export type ProjectionCheckpointRow = Selectable<ProjectionCheckpointsTable>;
export type NewProjectionCheckpointRow = Insertable<ProjectionCheckpointsTable>;
