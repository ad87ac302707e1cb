import { ApiError } from './api-error.js';
import {
  booleanParameter,
  calendarDayParameter,
  integerParameter,
  issueTimeRange,
  singleParameter,
} from './query-parameters.js';

function rejection(run: () => unknown): { field: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400)
      return { field: error.options.field, message: error.message };
    throw error;
  }
  throw new Error('the value was accepted');
}

describe('query parameters', () => {
  test('a single parameter: absent or empty is undefined, repeated is refused', () => {
    expect(singleParameter({ a: '1' }, 'a')).toBe('1');
    expect(singleParameter({}, 'a')).toBeUndefined();
    expect(singleParameter({ a: '' }, 'a')).toBeUndefined();
    expect(rejection(() => singleParameter({ a: ['1', '2'] }, 'a'))).toEqual({
      field: 'a',
      message: 'a must be given once',
    });
  });

  test.each(['1', '250', '500'])('integer %s is accepted within bounds', (value) => {
    expect(integerParameter('limit', value, 1, 500)).toBe(Number(value));
  });

  test.each(['0', '501', '-1', '1.5', '1e2', ' 1', '0x10', 'ten', '99999999999'])(
    'integer %j is refused naming the parameter',
    (value) => {
      expect(rejection(() => integerParameter('limit', value, 1, 500))).toEqual({
        field: 'limit',
        message: 'limit must be an integer from 1 to 500',
      });
    },
  );

  test('booleans are true or false, nothing else', () => {
    expect(booleanParameter('showPlain', 'true')).toBe(true);
    expect(booleanParameter('showPlain', 'false')).toBe(false);
    for (const value of ['TRUE', '1', 'yes', 'no']) {
      expect(rejection(() => booleanParameter('showPlain', value)).field).toBe('showPlain');
    }
  });

  test('calendar days are UTC midnights of days that exist', () => {
    expect(calendarDayParameter('dateSince', '2024-06-22').toISOString()).toBe(
      '2024-06-22T00:00:00.000Z',
    );
    expect(calendarDayParameter('dateSince', '2024-02-29').toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
  });

  test.each([
    '2025-24-03',
    '2023-02-29',
    '2024-06-31',
    '2024-6-1',
    '20240622',
    '2024-06-22T00:00:00Z',
  ])('calendar day %j is refused naming the parameter', (value) => {
    expect(rejection(() => calendarDayParameter('dateUntil', value)).field).toBe('dateUntil');
  });

  describe('issue time ranges', () => {
    const since = (value?: string) => ({ name: 'since', value });
    const until = (value?: string) => ({ name: 'until', value });

    test('days are inclusive: until covers its whole day', () => {
      expect(issueTimeRange(since('2024-06-22'), until('2024-06-22'), false)).toEqual({
        issuedFrom: new Date('2024-06-22T00:00:00Z'),
        issuedBefore: new Date('2024-06-23T00:00:00Z'),
      });
    });

    test('unix seconds are inclusive too, where allowed', () => {
      expect(issueTimeRange(since('1719090348'), until('1719090348'), true)).toEqual({
        issuedFrom: new Date(1719090348_000),
        issuedBefore: new Date(1719090349_000),
      });
      expect(issueTimeRange(since('2024-06-22'), until(undefined), true)).toEqual({
        issuedFrom: new Date('2024-06-22T00:00:00Z'),
      });
      expect(
        rejection(() => issueTimeRange(since('1719090348'), until(undefined), false)).field,
      ).toBe('since');
    });

    test('either bound may be left out', () => {
      expect(issueTimeRange(since(undefined), until(undefined), true)).toEqual({});
      expect(issueTimeRange(since(undefined), until('2024-06-22'), false)).toEqual({
        issuedBefore: new Date('2024-06-23T00:00:00Z'),
      });
    });

    test('since after until is refused naming since', () => {
      expect(
        rejection(() => issueTimeRange(since('2024-06-23'), until('2024-06-22'), false)),
      ).toEqual({
        field: 'since',
        message: 'since must not be after until',
      });
    });

    test('a value of neither form is refused naming its parameter', () => {
      expect(rejection(() => issueTimeRange(since('yesterday'), until(undefined), true))).toEqual({
        field: 'since',
        message: 'since must be a date yyyy-mm-dd (UTC) or unix seconds',
      });
      expect(
        rejection(() => issueTimeRange(since(undefined), until('2025-24-03'), true)).field,
      ).toBe('until');
    });
  });
});
