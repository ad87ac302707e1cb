import {
  parseScheduleEvent,
  scheduleEventTypes,
  type ScheduleDefinition,
  type ScheduleEvent,
  type ScheduleEventType,
} from '@canopy/contracts';
import type { Projection } from './projection.js';
import { rowPerStreamProjection } from './row-per-stream.js';
import type { RowSetColumns } from './unnest-rows.js';

interface ScheduleRowSet {
  readonly schedule_id: string;
  readonly account_id: string;
  readonly function_id: string;
  readonly name: string;
  readonly description: string | null;
  readonly cron: string;
  readonly time_zone: string;
  readonly query: string;
  readonly content_type: string | null;
  readonly body: Buffer;
  readonly start_at: Date | string | null;
  readonly end_at: Date | string | null;
  readonly paused: boolean;
  readonly deleted: boolean;
  readonly deleted_at: Date | string | null;
  readonly active_since: Date | string;
  readonly last_tick_at: Date | string | null;
  readonly last_task_id: string | null;
  readonly tick_count: number;
  readonly created_at: Date | string;
  readonly updated_at: Date | string;
  readonly last_stream_version: number;
}

const scheduleColumns: RowSetColumns<ScheduleRowSet> = {
  schedule_id: 'text',
  account_id: 'text',
  function_id: 'text',
  name: 'text',
  description: 'text',
  cron: 'text',
  time_zone: 'text',
  query: 'text',
  content_type: 'text',
  body: 'bytea',
  start_at: 'timestamptz',
  end_at: 'timestamptz',
  paused: 'bool',
  deleted: 'bool',
  deleted_at: 'timestamptz',
  active_since: 'timestamptz',
  last_tick_at: 'timestamptz',
  last_task_id: 'text',
  tick_count: 'int8',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  last_stream_version: 'int8',
};

/**
 * ScheduleCreated / Changed / Paused / Resumed / Deleted / Ticked → `api.schedules`, one row per
 * schedule (row-per-stream.ts; deleted ones stay, flagged).
 */
export const schedulesProjection: Projection<ScheduleEventType> = rowPerStreamProjection({
  name: 'schedules',
  handles: scheduleEventTypes,
  parse: parseScheduleEvent,
  keyOf: (event: ScheduleEvent) => event.data.scheduleId,
  rows: {
    table: 'api.schedules',
    key: 'schedule_id',
    keyType: 'bpchar',
    columns: scheduleColumns,
  },
  evolve: evolveScheduleRow,
});

/**
 * The row after `event` (at `version`); undefined for an event about a schedule without a row,
 * which only its ScheduleCreated makes.
 */
function evolveScheduleRow(
  row: ScheduleRowSet | undefined,
  event: ScheduleEvent,
  version: number,
): ScheduleRowSet | undefined {
  if (event.type === 'ScheduleCreated') {
    if (row !== undefined) return row;
    const { data } = event;
    return {
      schedule_id: data.scheduleId,
      account_id: data.accountId,
      function_id: data.functionId,
      ...definitionColumns(data),
      paused: false,
      deleted: false,
      deleted_at: null,
      active_since: data.createdAt,
      last_tick_at: null,
      last_task_id: null,
      tick_count: 0,
      created_at: data.createdAt,
      updated_at: data.createdAt,
      last_stream_version: version,
    };
  }
  if (row === undefined) return undefined;
  const at = { last_stream_version: version };
  switch (event.type) {
    case 'ScheduleChanged': {
      const { data } = event;
      // As the schedule decider: a new cron or zone starts afresh from the change.
      const restarts = row.cron !== data.cron || row.time_zone !== data.timeZone;
      return {
        ...row,
        ...definitionColumns(data),
        active_since: restarts ? data.changedAt : row.active_since,
        updated_at: data.changedAt,
        ...at,
      };
    }
    case 'SchedulePaused':
      return { ...row, paused: true, updated_at: event.data.pausedAt, ...at };
    case 'ScheduleResumed':
      return {
        ...row,
        paused: false,
        active_since: event.data.resumedAt,
        updated_at: event.data.resumedAt,
        ...at,
      };
    case 'ScheduleDeleted':
      return {
        ...row,
        deleted: true,
        deleted_at: event.data.deletedAt,
        updated_at: event.data.deletedAt,
        ...at,
      };
    case 'ScheduleTicked':
      return {
        ...row,
        last_tick_at: event.data.tick,
        last_task_id: event.data.taskId,
        tick_count: row.tick_count + 1,
        ...at,
      };
    default:
      return unknownEvent(event);
  }
}

function definitionColumns(definition: ScheduleDefinition) {
  return {
    name: definition.name,
    description: definition.description,
    cron: definition.cron,
    time_zone: definition.timeZone,
    query: definition.request.query,
    content_type: definition.request.contentType,
    body: Buffer.from(definition.request.body, 'base64'),
    start_at: definition.startAt,
    end_at: definition.endAt,
  };
}

function unknownEvent(event: never): never {
  throw new Error(`Unhandled schedule event ${JSON.stringify(event)}`);
}
