import { MAX_REQUEST_ID_LENGTH, acceptRequestId, newRequestId } from './request-id.js';

describe('request ids', () => {
  test.each([
    '4bf92f35-77b3-4da6-a3ce-929d0e0e4736',
    '01J9ZK3V5W8Y7X6T4R2Q0P9N8M',
    'lb-7/req:42@edge=ok+1_a.b',
    'x'.repeat(MAX_REQUEST_ID_LENGTH),
  ])('a sane id is kept: %s', (id) => {
    expect(acceptRequestId(id)).toBe(id);
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
    ['with a space', 'a b'],
    ['with a newline (log injection)', 'abc\n{"level":60}'],
    ['with quotes', '"abc"'],
    ['non-ASCII', 'zażółć'],
    ['repeated header', ['a', 'b']],
  ])('%s is refused', (_what, value) => {
    expect(acceptRequestId(value)).toBeUndefined();
  });

  test('a new id is sane, and new each time', () => {
    const first = newRequestId();
    expect(acceptRequestId(first)).toBe(first);
    expect(newRequestId()).not.toBe(first);
  });
});
