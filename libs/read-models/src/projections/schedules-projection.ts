import {
  parseScheduleEvent,
  scheduleEventTypes,
  type ScheduleDefinition,
  type ScheduleEventType,
} from '@canopy/contracts';
import { sql, type UpdateObject } from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { parseRecordedEvent, type Projection } from './projection.js';

const name = 'schedules';

/**
 * ScheduleCreated / Changed / Paused / Resumed / Deleted / Ticked → `api.schedules`, one row per
 * schedule (deleted ones stay, flagged). Every update is guarded by the stream version the row
 * reflects, so replaying an event changes nothing.
 */
export const schedulesProjection: Projection<ScheduleEventType> = {
  name,
  handles: scheduleEventTypes,
  async apply(trx, recorded) {
    const event = parseRecordedEvent(name, recorded, parseScheduleEvent);
    const version = recorded.streamVersion;
    const { scheduleId } = event.data;
    const update = (values: UpdateObject<ReadModelDatabase, 'api.schedules'>) =>
      trx
        .updateTable('api.schedules')
        .set(values)
        .set({ last_stream_version: version })
        .where('schedule_id', '=', scheduleId)
        .where('last_stream_version', '<', String(version))
        .execute();
    switch (event.type) {
      case 'ScheduleCreated': {
        const { data } = event;
        await trx
          .insertInto('api.schedules')
          .values({
            schedule_id: scheduleId,
            account_id: data.accountId,
            function_id: data.functionId,
            ...definitionColumns(data),
            paused: false,
            deleted: false,
            tick_count: 0,
            active_since: data.createdAt,
            created_at: data.createdAt,
            updated_at: data.createdAt,
            last_stream_version: version,
          })
          .onConflict((conflict) => conflict.column('schedule_id').doNothing())
          .execute();
        return;
      }
      case 'ScheduleChanged': {
        const { data } = event;
        // As the schedule decider: a new cron or zone starts afresh from the change.
        await update({
          ...definitionColumns(data),
          active_since: sql<Date>`CASE WHEN cron <> ${data.cron} OR time_zone <> ${data.timeZone}
                                   THEN ${data.changedAt}::timestamptz ELSE active_since END`,
          updated_at: data.changedAt,
        });
        return;
      }
      case 'SchedulePaused':
        await update({ paused: true, updated_at: event.data.pausedAt });
        return;
      case 'ScheduleResumed':
        await update({
          paused: false,
          active_since: event.data.resumedAt,
          updated_at: event.data.resumedAt,
        });
        return;
      case 'ScheduleDeleted':
        await update({
          deleted: true,
          deleted_at: event.data.deletedAt,
          updated_at: event.data.deletedAt,
        });
        return;
      case 'ScheduleTicked':
        await update({
          last_tick_at: event.data.tick,
          last_task_id: event.data.taskId,
          tick_count: sql<string>`tick_count + 1`,
        });
        return;
      default:
        return unknownEvent(event);
    }
  },
};

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
