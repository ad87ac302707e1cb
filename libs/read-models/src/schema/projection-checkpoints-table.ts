import type { Insertable, Selectable } from 'kysely';
import type { DefaultedTimestamp } from './column-types.js';

/** `api.projection_checkpoints`: how far each projection has read the event store. */
export interface ProjectionCheckpointsTable {
  projection: string;
  /** Event store position, in the adapter's own text form. */
  checkpoint: string;
  updated_at: DefaultedTimestamp;
}

export type ProjectionCheckpointRow = Selectable<ProjectionCheckpointsTable>;
export type NewProjectionCheckpointRow = Insertable<ProjectionCheckpointsTable>;
