import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import {
  ApiAuthenticatedRouteErrors,
  ApiIdempotentCreation,
  ApiJsonBody,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiPageListOperation,
} from '../openapi/api-description.js';
import {
  createdScheduleSchema,
  newScheduleBodySchema,
  scheduleChangesBodySchema,
  scheduleJsonSchema,
  scheduleListSchema,
} from './schedule-api-schemas.js';

// The OpenAPI description of ScheduleController's operations (openapi/api-description.ts).

const scheduleExample = {
  id: '6677391a241c7178b29e4a4a',
  functionId: '6405848581b16f7a07cd4c48',
  cron: '0 9 * * 1-5',
  timeZone: 'Europe/Berlin',
  query: 'city=Berlin',
  body: '{"report":"daily"}',
  contentType: 'application/json',
  startAt: null,
  endAt: null,
  name: 'morning report',
  description: '',
  paused: false,
  nextTickAt: '1780038000',
  lastTickAt: '1779951600',
  lastTaskId: '3f9a1c27be40d6e5a8b1c2d3',
  createdAt: '1779900000',
};
const invalidField = {
  description:
    'a field is missing or invalid (`field` names it): `INVALID_CRON` (cron), `INVALID_TIME_ZONE` (timeZone), `INVALID_SCHEDULE_WINDOW` (endAt not after startAt), `INVALID_REQUEST` otherwise',
  codes: ['INVALID_REQUEST', 'INVALID_CRON', 'INVALID_TIME_ZONE', 'INVALID_SCHEDULE_WINDOW'],
  example: { error: 'INVALID_CRON', message: 'cron must have 5 fields …', field: 'cron' },
};
const scheduleNotFound = {
  description: "no such schedule in the caller's account, or it was deleted",
  codes: ['SCHEDULE_NOT_FOUND'],
};

const ApiScheduleIdParam = () =>
  ApiObjectIdParam('id', 'The schedule (`scheduleId`)', '6677391a241c7178b29e4a4a');

export const ApiCreateSchedule = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Create a schedule',
      description:
        "Issues a task of the function at every tick of the cron, in the time zone, with the query, body and content type given. Ticks never fire early; ticks missed while no scheduler ran (overdue by more than the scheduler's grace) fire only the latest, once. An account may have at most 100 schedules.",
    }),
    ApiJsonBody({
      description: 'The schedule',
      schema: newScheduleBodySchema,
      example: {
        functionId: '6405848581b16f7a07cd4c48',
        cron: '0 9 * * 1-5',
        timeZone: 'Europe/Berlin',
        query: 'city=Berlin',
        body: { report: 'daily' },
      },
    }),
    ApiIdempotentCreation('schedule', 201, {
      description: 'The schedule is recorded',
      schema: createdScheduleSchema,
      example: { id: '6677391a241c7178b29e4a4a' },
    }),
    ApiAuthenticatedRouteErrors({
      400: invalidField,
      404: {
        description: "no such function in the caller's account",
        codes: ['FUNCTION_NOT_FOUND'],
      },
      409: {
        description: 'the account has 100 schedules already',
        codes: ['SCHEDULE_LIMIT_REACHED'],
      },
    }),
  );

export const ApiListSchedules = () =>
  ApiPageListOperation({
    summary: 'List schedules',
    description:
      "The caller's schedules (not the deleted ones), newest first, in keyset pages. Read from the read models: a change shows once the projector has applied it.",
    page: {
      description: 'A page of schedules',
      schema: scheduleListSchema,
      example: [scheduleExample],
    },
  });

export const ApiGetSchedule = () =>
  applyDecorators(
    ApiOperation({ summary: 'Get a schedule' }),
    ApiScheduleIdParam(),
    ApiJsonResponse(200, {
      description: 'The schedule',
      schema: scheduleJsonSchema,
      example: scheduleExample,
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the schedule id is not 24 lower-case hex characters',
      404: scheduleNotFound,
    }),
  );

export const ApiChangeSchedule = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Pause, resume or change a schedule',
      description:
        'Fields left out stay as they are. `paused: true` pauses (no tick fires), `paused: false` resumes with the next tick (ticks that fell while paused do not fire). A new cron or zone starts from now.',
    }),
    ApiScheduleIdParam(),
    ApiJsonBody({
      description: 'The changes',
      schema: scheduleChangesBodySchema,
      example: { paused: true },
    }),
    ApiJsonResponse(200, {
      description: 'The schedule after the change',
      schema: scheduleJsonSchema,
      example: { ...scheduleExample, paused: true, nextTickAt: null },
    }),
    ApiAuthenticatedRouteErrors({
      400: invalidField,
      404: scheduleNotFound,
    }),
  );

export const ApiDeleteSchedule = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Delete a schedule',
      description: 'It never fires again, and answers 404 from now on.',
    }),
    ApiScheduleIdParam(),
    ApiResponse({ status: 204, description: 'Deleted' }),
    ApiAuthenticatedRouteErrors({
      400: 'the schedule id is not 24 lower-case hex characters',
      404: scheduleNotFound,
    }),
  );
