import {
  MAX_SCHEDULE_QUERY_LENGTH,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
} from '@canopy/contracts';
import { z } from 'zod';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { ScheduleJson } from './schedule-json.js';

// The schedule API's bodies as zod schemas, for the OpenAPI document. The request bodies are checked
// field by field in schedule-fields.ts (each 400 names its field); the types below fail to compile
// when the response schema and the type the controller returns drift apart.

const cronSchema = z.string().meta({
  description:
    'Cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field (`* * * * * *` is every second)',
  example: '0 9 * * 1-5',
});
const timeZoneSchema = z.string().meta({
  description: 'IANA time zone the cron is evaluated in, DST included',
  example: 'Europe/Berlin',
});
const queryFieldSchema = z.string().max(MAX_SCHEDULE_QUERY_LENGTH).meta({
  description: 'Query string passed to every task, without the leading `?`',
  example: 'city=Berlin&units=metric',
});
const contentTypeSchema = z.string().nullable().meta({
  description: 'Content type of the body every task receives; default `application/json`',
  example: 'application/json',
});
const windowTimeSchema = unixSecondsSchema.nullable();
const nameSchema = z
  .string()
  .max(200)
  .meta({ description: 'Free-form name', example: 'morning report' });
const descriptionSchema = z.string().max(2000).meta({ description: 'Free-form description' });

export const newScheduleBodySchema = z.object({
  functionId: functionIdSchema.meta({
    description: 'The function whose tasks the schedule issues',
  }),
  cron: cronSchema,
  timeZone: timeZoneSchema,
  query: queryFieldSchema.optional(),
  body: z.unknown().meta({
    description:
      'Body every task receives: a string as it is, any other JSON value as its JSON text; default empty. Checked as JSON when the content type is JSON',
  }),
  contentType: contentTypeSchema.optional(),
  startAt: windowTimeSchema.optional().meta({
    description: 'No tick before this time (unix seconds, inclusive); null or absent: none',
  }),
  endAt: windowTimeSchema.optional().meta({
    description:
      'No tick after this time (unix seconds, inclusive), after startAt; null or absent: none',
  }),
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

export const scheduleChangesBodySchema = newScheduleBodySchema
  .omit({ functionId: true })
  .partial()
  .extend({
    paused: z
      .boolean()
      .optional()
      .meta({ description: 'true pauses the schedule, false resumes it' }),
  });

export const createdScheduleSchema = z.object({
  id: scheduleIdSchema.meta({
    description: 'The new schedule',
    example: '6677391a241c7178b29e4a4a',
  }),
});

export const scheduleJsonSchema = z.object({
  id: scheduleIdSchema,
  functionId: functionIdSchema,
  cron: cronSchema,
  timeZone: timeZoneSchema,
  query: queryFieldSchema,
  body: z.string().meta({ description: 'The body every task receives, as text' }),
  contentType: contentTypeSchema,
  startAt: windowTimeSchema,
  endAt: windowTimeSchema,
  name: nameSchema,
  description: descriptionSchema,
  paused: z.boolean(),
  nextTickAt: unixSecondsSchema.nullable().meta({
    description: 'The next tick to fire; null when paused or when no tick is left before endAt',
  }),
  lastTickAt: unixSecondsSchema.nullable().meta({
    description: 'Due time of the last tick fired; null before the first',
  }),
  lastTaskId: taskIdSchema.nullable().meta({ description: 'The task the last tick issued' }),
  createdAt: unixSecondsSchema,
});

export const scheduleListSchema = z.array(scheduleJsonSchema);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type ScheduleSchemasMatchTheirTypes = [
  Holds<Same<z.output<typeof scheduleJsonSchema>, ScheduleJson>>,
];
