import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import {
  accountIdSchema,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
  utcTimeSchema,
} from '../identifiers.js';
import { contractSchema, currentMetadata, taskRequestSchema } from '../task/task-payloads.js';

// The schedule aggregate, stream `schedule-<scheduleId>`: a cron expression that issues a task of one
// function at every tick. Event names and payload fields are read by analysts: change them only with
// a new schemaVersion.

/** Longest cron expression accepted; real ones are a few dozen characters. */
export const MAX_CRON_LENGTH = 200;
/** Longest query string a schedule passes to its tasks, without the leading '?'. */
export const MAX_SCHEDULE_QUERY_LENGTH = 8192;

/**
 * What a schedule issues and when. `cron` has 5 fields (minute precision) or 6 (a leading seconds
 * field), evaluated in the IANA zone `timeZone`; ticks before `startAt` or after `endAt` (both
 * inclusive bounds, null for none) are not fired. Its syntax and zone are checked by the schedule
 * decider, which evaluates them.
 */
export const scheduleDefinitionSchema = z.object({
  name: z.string().max(200),
  description: z.string().max(2000),
  cron: z.string().trim().min(1).max(MAX_CRON_LENGTH),
  timeZone: z.string().min(1).max(100),
  /** The request every task of the schedule carries, as TaskIssued stores it. */
  request: taskRequestSchema.extend({
    query: z
      .string()
      .max(MAX_SCHEDULE_QUERY_LENGTH)
      .refine((query) => !query.startsWith('?'), 'must not start with "?"'),
  }),
  startAt: utcTimeSchema.nullable(),
  endAt: utcTimeSchema.nullable(),
});
export type ScheduleDefinition = z.infer<typeof scheduleDefinitionSchema>;

export const scheduleCreatedDataSchema = scheduleDefinitionSchema.extend({
  scheduleId: scheduleIdSchema,
  accountId: accountIdSchema,
  functionId: functionIdSchema,
  createdAt: utcTimeSchema,
});

/** The whole definition after the change, so that a reader needs no earlier event to know it. */
export const scheduleChangedDataSchema = scheduleDefinitionSchema.extend({
  scheduleId: scheduleIdSchema,
  changedAt: utcTimeSchema,
});

export const schedulePausedDataSchema = z.object({
  scheduleId: scheduleIdSchema,
  pausedAt: utcTimeSchema,
});

export const scheduleResumedDataSchema = z.object({
  scheduleId: scheduleIdSchema,
  resumedAt: utcTimeSchema,
});

export const scheduleDeletedDataSchema = z.object({
  scheduleId: scheduleIdSchema,
  deletedAt: utcTimeSchema,
});

/** A tick was fired: `taskId` was issued for the tick due at `tick`, at `firedAt` (never before it). */
export const scheduleTickedDataSchema = z.object({
  scheduleId: scheduleIdSchema,
  tick: utcTimeSchema,
  taskId: taskIdSchema,
  firedAt: utcTimeSchema,
});

export const scheduleEventSchema = z.discriminatedUnion('type', [
  contractSchema('ScheduleCreated', scheduleCreatedDataSchema),
  contractSchema('ScheduleChanged', scheduleChangedDataSchema),
  contractSchema('SchedulePaused', schedulePausedDataSchema),
  contractSchema('ScheduleResumed', scheduleResumedDataSchema),
  contractSchema('ScheduleDeleted', scheduleDeletedDataSchema),
  contractSchema('ScheduleTicked', scheduleTickedDataSchema),
]);

export type ScheduleEvent = z.infer<typeof scheduleEventSchema>;
export type ScheduleEventType = ScheduleEvent['type'];
export type ScheduleEventOf<Type extends ScheduleEventType> = Extract<
  ScheduleEvent,
  { type: Type }
>;
export type ScheduleCreated = ScheduleEventOf<'ScheduleCreated'>;
export type ScheduleChanged = ScheduleEventOf<'ScheduleChanged'>;
export type ScheduleTicked = ScheduleEventOf<'ScheduleTicked'>;

export const scheduleEventTypes = [
  'ScheduleCreated',
  'ScheduleChanged',
  'SchedulePaused',
  'ScheduleResumed',
  'ScheduleDeleted',
  'ScheduleTicked',
] as const satisfies readonly ScheduleEventType[];

export function parseScheduleEvent(value: unknown): ScheduleEvent {
  return parseContract(scheduleEventSchema, 'schedule event', value);
}

/** Builds an event of the current schema version. */
export function scheduleEvent<Type extends ScheduleEventType>(
  type: Type,
  data: ScheduleEventOf<Type>['data'],
): ScheduleEventOf<Type> {
  return { type, data, metadata: currentMetadata() } as ScheduleEventOf<Type>;
}

/** Stream of one schedule. */
export function scheduleStreamId(scheduleId: string): string {
  return `schedule-${scheduleId}`;
}
