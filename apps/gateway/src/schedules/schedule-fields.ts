import { MAX_SCHEDULE_QUERY_LENGTH, isObjectId } from '@canopy/contracts';
import type { TaskRequest } from '@canopy/contracts';
import { ApiError, invalidParameter } from '../http/api-error.js';
import { isJsonContentType, isJsonDocument } from '../http/request-body.js';

// The JSON bodies of POST /v1/schedule and PATCH /v1/schedule/:id, checked field by field so that
// every 400 names the field at fault. The cron and the zone are checked by the schedule decider,
// which evaluates them; everything else is shaped here into the decider's terms: times as ISO 8601
// UTC, the tasks' body as base64 bytes.

export const DEFAULT_SCHEDULE_CONTENT_TYPE = 'application/json';

/** POST: every field of a new schedule. */
export interface NewScheduleFields {
  readonly functionId: string;
  readonly cron: string;
  readonly timeZone: string;
  readonly name: string;
  readonly description: string;
  readonly request: TaskRequest;
  readonly startAt: string | null;
  readonly endAt: string | null;
}

/** PATCH: only what was sent. */
export interface ScheduleChanges {
  cron?: string;
  timeZone?: string;
  name?: string;
  description?: string;
  query?: string;
  contentType?: string | null;
  body?: string;
  startAt?: string | null;
  endAt?: string | null;
  paused?: boolean;
}

const creatable = [
  'functionId',
  'cron',
  'timeZone',
  'query',
  'body',
  'contentType',
  'startAt',
  'endAt',
  'name',
  'description',
] as const;
const changeable = [...creatable.filter((field) => field !== 'functionId'), 'paused'] as const;

export function newScheduleFields(body: Readonly<Record<string, unknown>>): NewScheduleFields {
  onlyKnownFields(body, creatable);
  const functionId = body['functionId'];
  if (functionId === undefined) throw invalidParameter('functionId', 'is required');
  if (typeof functionId !== 'string' || !isObjectId(functionId)) {
    throw invalidParameter('functionId', 'must be 24 lower-case hexadecimal characters');
  }
  const contentType =
    body['contentType'] === undefined
      ? DEFAULT_SCHEDULE_CONTENT_TYPE
      : contentTypeField(body['contentType']);
  const taskBody = body['body'] === undefined ? '' : bodyField(body['body']);
  checkBodyAgainstContentType(taskBody, contentType);
  const startAt = body['startAt'] === undefined ? null : timeField('startAt', body['startAt']);
  const endAt = body['endAt'] === undefined ? null : timeField('endAt', body['endAt']);
  return {
    functionId,
    cron: requiredText('cron', body['cron']),
    timeZone: requiredText('timeZone', body['timeZone']),
    name: body['name'] === undefined ? '' : textField('name', body['name'], 200),
    description:
      body['description'] === undefined ? '' : textField('description', body['description'], 2000),
    request: {
      query: body['query'] === undefined ? '' : queryField(body['query']),
      contentType,
      body: Buffer.from(taskBody, 'utf8').toString('base64'),
    },
    startAt,
    endAt,
  };
}

/**
 * The changes a PATCH body asks for. `current` is the schedule's request as it stands: a new body
 * is checked against the content type it will be sent with, and the other way round.
 */
export function scheduleChanges(
  body: Readonly<Record<string, unknown>>,
  current: TaskRequest,
): ScheduleChanges {
  if (body['functionId'] !== undefined) {
    throw invalidParameter('functionId', 'cannot be changed; create another schedule');
  }
  onlyKnownFields(body, changeable);
  const changes: ScheduleChanges = {};
  if (body['cron'] !== undefined) changes.cron = requiredText('cron', body['cron']);
  if (body['timeZone'] !== undefined) changes.timeZone = requiredText('timeZone', body['timeZone']);
  if (body['name'] !== undefined) changes.name = textField('name', body['name'], 200);
  if (body['description'] !== undefined)
    changes.description = textField('description', body['description'], 2000);
  if (body['query'] !== undefined) changes.query = queryField(body['query']);
  if (body['contentType'] !== undefined)
    changes.contentType = contentTypeField(body['contentType']);
  if (body['startAt'] !== undefined) changes.startAt = timeField('startAt', body['startAt']);
  if (body['endAt'] !== undefined) changes.endAt = timeField('endAt', body['endAt']);
  if (body['paused'] !== undefined) {
    if (typeof body['paused'] !== 'boolean') throw invalidParameter('paused', 'must be a boolean');
    changes.paused = body['paused'];
  }
  let text: string | undefined;
  if (body['body'] !== undefined) {
    text = bodyField(body['body']);
    changes.body = Buffer.from(text, 'utf8').toString('base64');
  }
  if (text !== undefined || changes.contentType !== undefined) {
    checkBodyAgainstContentType(
      text ?? Buffer.from(current.body, 'base64').toString('utf8'),
      changes.contentType === undefined ? current.contentType : changes.contentType,
    );
  }
  return changes;
}

function onlyKnownFields(body: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!known.includes(field)) {
      throw invalidParameter(field, `is not a schedule field (known: ${known.join(', ')})`);
    }
  }
}

function requiredText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidParameter(
      field,
      value === undefined ? 'is required' : 'must be a non-empty string',
    );
  }
  return value;
}

function textField(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw invalidParameter(field, 'must be a string');
  if (value.length > maxLength) {
    throw invalidParameter(field, `must have at most ${maxLength} characters`);
  }
  return value;
}

function queryField(value: unknown): string {
  const query = textField('query', value, MAX_SCHEDULE_QUERY_LENGTH);
  if (query.startsWith('?')) throw invalidParameter('query', 'must not start with "?"');
  if (/[\s#]/.test(query)) {
    throw invalidParameter('query', 'must be a URL query string: no spaces, line breaks or "#"');
  }
  return query;
}

/** A string is sent as it is; any other JSON value (an object, say) as its JSON text. */
function bodyField(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) throw invalidParameter('body', 'must be a string or a JSON value, not null');
  return JSON.stringify(value);
}

function contentTypeField(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[^\s;]+(\s*;.*)?$/.test(value)) {
    throw invalidParameter('contentType', 'must be a media type such as application/json, or null');
  }
  if (value.length > 255 || /[\r\n]/.test(value)) {
    throw invalidParameter('contentType', 'must be a media type of at most 255 characters');
  }
  return value;
}

function checkBodyAgainstContentType(text: string, contentType: string | null): void {
  if (text === '' || !isJsonContentType(contentType ?? undefined)) return;
  if (!isJsonDocument(Buffer.from(text, 'utf8'))) {
    throw new ApiError(400, 'INVALID_REQUEST', 'body is declared as JSON but is not valid JSON', {
      field: 'body',
    });
  }
}

/** Unix seconds, as a string of digits like the task API's times (a JSON integer is accepted too). */
function timeField(field: string, value: unknown): string | null {
  if (value === null) return null;
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,11}$/.test(text)) {
    throw invalidParameter(field, 'must be unix seconds as a string, e.g. "1767225600", or null');
  }
  return new Date(Number(text) * 1000).toISOString();
}
