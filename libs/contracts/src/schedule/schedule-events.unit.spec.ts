import { ContractViolationError } from '../contract-violation.js';
import {
  MAX_SCHEDULE_QUERY_LENGTH,
  parseScheduleEvent,
  scheduleEvent,
  scheduleEventTypes,
  scheduleStreamId,
} from './schedule-events.js';

const scheduleId = '6677391a241c7178b29e4a4a';
const created = scheduleEvent('ScheduleCreated', {
  scheduleId,
  accountId: '64057f3c9956fae80d7e0e84',
  functionId: '6405848581b16f7a07cd4c48',
  name: 'daily',
  description: '',
  cron: '0 9 * * *',
  timeZone: 'Europe/Berlin',
  request: { query: 'a=1', contentType: 'application/json', body: 'e30=' },
  startAt: null,
  endAt: '2027-01-01T00:00:00Z',
  createdAt: '2026-11-30T10:00:00.000Z',
});

describe('schedule events', () => {
  test('round-trip through their parser', () => {
    const ticked = scheduleEvent('ScheduleTicked', {
      scheduleId,
      tick: '2026-11-30T09:00:00.000Z',
      taskId: 'a88bc6da15cb354c9114ff4b',
      firedAt: '2026-11-30T09:00:00.120Z',
    });
    for (const event of [created, ticked]) {
      expect(parseScheduleEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    }
  });

  test('every type is listed once', () => {
    expect(new Set(scheduleEventTypes).size).toBe(6);
  });

  test.each([
    ['a query starting with "?"', { query: '?a=1' }, 'data.request.query'],
    [
      'a query that is too long',
      { query: 'a'.repeat(MAX_SCHEDULE_QUERY_LENGTH + 1) },
      'data.request.query',
    ],
    ['a body that is not base64', { body: 'not base64!' }, 'data.request.body'],
  ])('refuse %s, naming the field', (_name, request, field) => {
    const event = {
      ...created,
      data: { ...created.data, request: { ...created.data.request, ...request } },
    };
    expect(() => parseScheduleEvent(event)).toThrow(
      expect.objectContaining({ field }) as ContractViolationError,
    );
  });

  test('refuse an unknown type and a time that is not UTC', () => {
    expect(() => parseScheduleEvent({ ...created, type: 'ScheduleExploded' })).toThrow(
      ContractViolationError,
    );
    expect(() =>
      parseScheduleEvent({ ...created, data: { ...created.data, createdAt: 'yesterday' } }),
    ).toThrow(expect.objectContaining({ field: 'data.createdAt' }) as ContractViolationError);
  });

  test('live in the stream schedule-<id>', () => {
    expect(scheduleStreamId(scheduleId)).toBe(`schedule-${scheduleId}`);
  });
});
