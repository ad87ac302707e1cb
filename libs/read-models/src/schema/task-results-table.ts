import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { Timestamp } from './column-types.js';

export type ResultHeaders = Record<string, string>;

/** `api.task_results`: the HTTP response of a finished task's function. */
export interface TaskResultsTable {
  task_id: string;
  status: number;
  content_type: string | null;
  /** jsonb; node-postgres serialises an object parameter as JSON. */
  headers: ColumnType<ResultHeaders, ResultHeaders | string | undefined, ResultHeaders | string>;
  body: Buffer;
  finished_at: Timestamp;
}

export type TaskResultRow = Selectable<TaskResultsTable>;
export type NewTaskResultRow = Insertable<TaskResultsTable>;
