import { ApiError } from '../http/api-error.js';
import { parseTaskCsvParameters } from './task-csv-parameters.js';

const functionId = '6405848581b16f7a07cd4c48';
const scheduleId = '6677391a241c7178b29e4a4a';

function rejectedField(query: Record<string, string | string[]>): string | undefined {
  try {
    parseTaskCsvParameters(functionId, query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return error.options.field;
    throw error;
  }
  throw new Error('the parameters were accepted');
}

describe('task CSV parameters', () => {
  test('defaults: bodies as base64, every task of the function', () => {
    expect(parseTaskCsvParameters(functionId, {})).toEqual({
      showPlain: false,
      filter: { functionId },
    });
  });

  test('the contract example, with a real date', () => {
    expect(
      parseTaskCsvParameters(functionId, {
        showPlain: 'true',
        functionId,
        scheduleId,
        dateSince: '2006-01-02',
        dateUntil: '2025-03-24',
      }),
    ).toEqual({
      showPlain: true,
      filter: {
        functionId,
        scheduleId,
        issuedFrom: new Date('2006-01-02T00:00:00Z'),
        issuedBefore: new Date('2025-03-25T00:00:00Z'),
      },
    });
  });

  test('the contract table spelling scheduledId is accepted', () => {
    expect(parseTaskCsvParameters(functionId, { scheduledId: scheduleId }).filter.scheduleId).toBe(
      scheduleId,
    );
    expect(
      parseTaskCsvParameters(functionId, { scheduledId: scheduleId, scheduleId }).filter.scheduleId,
    ).toBe(scheduleId);
  });

  test.each([
    [{ functionId: '6405848581b16f7a07cd4c49' }, 'functionId'],
    [{ functionId: 'nope' }, 'functionId'],
    [{ scheduleId: 'nope' }, 'scheduleId'],
    [{ scheduledId: 'nope' }, 'scheduledId'],
    [{ scheduleId, scheduledId: '6677391a241c7178b29e4a4b' }, 'scheduledId'],
    [{ dateSince: '2025-24-03' }, 'dateSince'],
    [{ dateUntil: '2025-24-03' }, 'dateUntil'],
    [{ dateUntil: '1719090348' }, 'dateUntil'],
    [{ dateSince: '2024-06-23', dateUntil: '2024-06-22' }, 'dateSince'],
    [{ showPlain: 'yes' }, 'showPlain'],
  ])('%j is refused naming %s', (query, field) => {
    expect(rejectedField(query)).toBe(field);
  });
});
