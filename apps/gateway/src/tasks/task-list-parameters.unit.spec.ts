import { encodeKeysetCursor } from '@canopy/read-models';
import { ApiError } from '../http/api-error.js';
import { parseTaskListParameters } from './task-list-parameters.js';

function rejectedField(query: Record<string, string | string[]>): string | undefined {
  try {
    parseTaskListParameters(query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return error.options.field;
    throw error;
  }
  throw new Error('the parameters were accepted');
}

const functionId = '6405848581b16f7a07cd4c48';

describe('task list parameters', () => {
  test('defaults: 50 newest tasks, no filter', () => {
    expect(parseTaskListParameters({})).toEqual({ limit: 50, after: null, filter: {} });
  });

  test('every parameter', () => {
    const key = { time: '2024-06-22T21:05:48.123456Z', id: '66773caefe3f89cf057bedcf' };
    expect(
      parseTaskListParameters({
        limit: '500',
        cursor: encodeKeysetCursor(key),
        functionId,
        status: '0',
        since: '2024-06-01',
        until: '1719090348',
        unknown: 'ignored',
      }),
    ).toEqual({
      limit: 500,
      after: key,
      filter: {
        functionId,
        status: 0,
        issuedFrom: new Date('2024-06-01T00:00:00Z'),
        issuedBefore: new Date(1719090349_000),
      },
    });
  });

  test.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ limit: 'all' }, 'limit'],
    [{ limit: ['1', '2'] }, 'limit'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
    [{ functionId: 'abc' }, 'functionId'],
    [{ status: '42' }, 'status'],
    [{ status: '600' }, 'status'],
    [{ status: 'done' }, 'status'],
    [{ since: '2025-24-03' }, 'since'],
    [{ until: 'tomorrow' }, 'until'],
    [{ since: '2024-06-02', until: '2024-06-01' }, 'since'],
  ])('%j is refused naming %s', (query, field) => {
    expect(rejectedField(query)).toBe(field);
  });
});
