import {
  MAX_CRON_LENGTH,
  MAX_SCHEDULE_QUERY_LENGTH,
  functionIdSchema,
  scheduleIdSchema,
  taskIdSchema,
} from '@canopy/contracts';
import type { TaskRequest } from '@canopy/contracts';
import type { ChangeSchedule } from '@canopy/schedule-domain';
import { z } from 'zod';
import {
  DECLARED_JSON_PROBLEM,
  breaksDeclaredJson,
  invalidDeclaredJson,
} from '../http/request-body.js';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { ScheduleJson } from './schedule-json.js';

// The schedule API's bodies as zod schemas: the request bodies the controller parses, shaped into the
// schedule decider's terms (times as ISO 8601 UTC, the tasks' body as base64 bytes), and what the
// OpenAPI document says the responses are. The cron and the zone are checked by the decider, which
// evaluates them. The types at the end fail to compile when the response schema and the type the
// controller returns drift apart.

/** The content type of the tasks' body when a new schedule does not give one. */
const DEFAULT_SCHEDULE_CONTENT_TYPE = 'application/json';

const NON_BLANK = /\S/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[^\s;]+(\s*;.*)?$/;
const UNIX_SECONDS = /^[0-9]{1,11}$/;
const UNIX_SECONDS_PROBLEM = 'must be unix seconds as a string, e.g. "1767225600", or null';

const cronDescription = {
  description:
    'Cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field (`* * * * * *` is every second)',
  example: '0 9 * * 1-5',
};
const timeZoneDescription = {
  description: 'IANA time zone the cron is evaluated in, DST included',
  example: 'Europe/Berlin',
};
const queryDescription = {
  description: 'Query string passed to every task, without the leading `?`',
  example: 'city=Berlin&units=metric',
};
const contentTypeDescription = {
  description: 'Content type of the body every task receives; default `application/json`',
  example: 'application/json',
};

const cronSchema = z.string().meta(cronDescription);
const timeZoneSchema = z.string().meta(timeZoneDescription);
const queryFieldSchema = z.string().max(MAX_SCHEDULE_QUERY_LENGTH).meta(queryDescription);
const contentTypeSchema = z.string().nullable().meta(contentTypeDescription);
const windowTimeSchema = unixSecondsSchema.nullable();
const nameSchema = z
  .string()
  .max(200)
  .meta({ description: 'Free-form name', example: 'morning report' });
const descriptionSchema = z.string().max(2000).meta({ description: 'Free-form description' });

// What a request may send for each field: the checks, and the field in the decider's terms.
const cronInput = z
  .string()
  .regex(NON_BLANK, 'must be a non-empty string')
  .max(MAX_CRON_LENGTH)
  .meta(cronDescription);
const timeZoneInput = z
  .string()
  .regex(NON_BLANK, 'must be a non-empty string')
  .meta(timeZoneDescription);
export const queryInput = z
  .string()
  .max(MAX_SCHEDULE_QUERY_LENGTH)
  .regex(/^(?!\?)/, 'must not start with "?"')
  .regex(/^[^\s#]*$/, 'must be a URL query string: no spaces, line breaks or "#"');
export const contentTypeInput = z
  .string()
  .regex(MEDIA_TYPE, 'must be a media type such as application/json, or null')
  .regex(/^[^\r\n]*$/, 'must be a media type on one line')
  .max(255)
  .nullable();
/** A string is sent as it is; any other JSON value (an object, say) as its JSON text. */
export const taskBodyInput = z
  .union(
    [z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())],
    { error: 'must be a string or a JSON value, not null' },
  )
  .transform((value) => (typeof value === 'string' ? value : JSON.stringify(value)));
/** Unix seconds as a string of digits, like the task API's times (a JSON integer is accepted too). */
const windowTimeInput = z
  .union(
    [
      z.string().regex(UNIX_SECONDS, UNIX_SECONDS_PROBLEM),
      z.int().min(0).max(99_999_999_999),
      z.null(),
    ],
    { error: UNIX_SECONDS_PROBLEM },
  )
  .transform((value) => (value === null ? null : new Date(Number(value) * 1000).toISOString()));

const taskBodyDescription = {
  description:
    'Body every task receives: a string as it is, any other JSON value as its JSON text; default empty. Checked as JSON when the content type is JSON',
};
const startAtDescription = {
  description: 'No tick before this time (unix seconds, inclusive); null or absent: none',
  example: '1767225600',
};
const endAtDescription = {
  description:
    'No tick after this time (unix seconds, inclusive), after startAt; null or absent: none',
  example: '1798761600',
};

/** POST /v1/schedule: every field of the new schedule, in the decider's terms. */
export const newScheduleBodySchema = z
  .strictObject({
    functionId: functionIdSchema.meta({
      description: 'The function whose tasks the schedule issues',
    }),
    cron: cronInput,
    timeZone: timeZoneInput,
    query: queryInput.default('').meta(queryDescription),
    body: taskBodyInput.default('').meta(taskBodyDescription),
    contentType: contentTypeInput
      .default(DEFAULT_SCHEDULE_CONTENT_TYPE)
      .meta(contentTypeDescription),
    startAt: windowTimeInput.default(null).meta(startAtDescription),
    endAt: windowTimeInput.default(null).meta(endAtDescription),
    name: nameSchema.default(''),
    description: descriptionSchema.default(''),
  })
  .superRefine((schedule, context) => {
    if (breaksDeclaredJson(Buffer.from(schedule.body, 'utf8'), schedule.contentType)) {
      context.addIssue({ code: 'custom', path: ['body'], message: DECLARED_JSON_PROBLEM });
    }
  })
  .transform(({ query, contentType, body, ...schedule }) => ({
    ...schedule,
    request: { query, contentType, body: Buffer.from(body, 'utf8').toString('base64') },
  }));
export type NewSchedule = z.output<typeof newScheduleBodySchema>;

/** PATCH /v1/schedule/:id: only the fields sent; `body` is still text (see scheduleChanges). */
export const scheduleChangesBodySchema = z.strictObject(
  {
    cron: cronInput.optional(),
    timeZone: timeZoneInput.optional(),
    query: queryInput.optional().meta(queryDescription),
    body: taskBodyInput.optional().meta(taskBodyDescription),
    contentType: contentTypeInput.optional().meta(contentTypeDescription),
    startAt: windowTimeInput.optional().meta(startAtDescription),
    endAt: windowTimeInput.optional().meta(endAtDescription),
    name: nameSchema.optional(),
    description: descriptionSchema.optional(),
    paused: z
      .boolean()
      .optional()
      .meta({ description: 'true pauses the schedule, false resumes it' }),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys[0] === 'functionId'
        ? 'cannot be changed; create another schedule'
        : undefined,
  },
);
export type ScheduleChangesBody = z.output<typeof scheduleChangesBodySchema>;

/**
 * The changes a PATCH body asks for, in the decider's terms. `current` is the schedule's request as
 * it stands: a new body is checked against the content type it will be sent with, and the other way
 * round.
 */
export function scheduleChanges(
  { body, ...changes }: ScheduleChangesBody,
  current: TaskRequest,
): ChangeSchedule['data']['changes'] {
  if (body !== undefined || changes.contentType !== undefined) {
    const bytes =
      body === undefined ? Buffer.from(current.body, 'base64') : Buffer.from(body, 'utf8');
    const contentType =
      changes.contentType === undefined ? current.contentType : changes.contentType;
    if (breaksDeclaredJson(bytes, contentType)) throw invalidDeclaredJson();
  }
  return body === undefined
    ? changes
    : { ...changes, body: Buffer.from(body, 'utf8').toString('base64') };
}

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
