import { encodeKeysetCursor } from '@canopy/read-models';
import { ApiError } from './api-error.js';
import { nextPageLink, parsePageParameters } from './page-parameters.js';

describe('page parameters', () => {
  const key = { time: '2024-06-22T21:05:48.123456Z', id: '66773caefe3f89cf057bedcf' };

  test('default to the first 50 rows', () => {
    expect(parsePageParameters({})).toEqual({ limit: 50, after: null });
  });

  test('read a limit and a cursor', () => {
    expect(parsePageParameters({ limit: '500', cursor: encodeKeysetCursor(key) })).toEqual({
      limit: 500,
      after: key,
    });
  });

  test.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ cursor: 'not-ours' }, 'cursor'],
    [{ cursor: ['a', 'b'] }, 'cursor'],
  ])('%j is refused naming %s', (query, field) => {
    try {
      parsePageParameters(query);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).options.field).toBe(field);
    }
  });

  test('the next page link keeps the query and replaces the cursor', () => {
    expect(nextPageLink('/v1/task/list?limit=2&status=200&cursor=old', 'new')).toBe(
      '</v1/task/list?limit=2&status=200&cursor=new>; rel="next"',
    );
    expect(nextPageLink('/v1/task/list', 'abc')).toBe('</v1/task/list?cursor=abc>; rel="next"');
  });
});
