import { guessedContentType, nextCursor, queryString } from './request-input.js';

describe('command-line input', () => {
  test('--query pairs become one URL-encoded query string; a pair without a name is refused', () => {
    expect(queryString(['a=1', 'city=New York', 'empty=', 'eq=a=b'])).toBe(
      'a=1&city=New+York&empty=&eq=a%3Db',
    );
    expect(queryString([])).toBe('');
    expect(() => queryString(['novalue'])).toThrow('--query takes name=value');
    expect(() => queryString(['=1'])).toThrow('--query takes name=value');
  });

  test('a body without --content-type is JSON when it parses, else text, else bytes', () => {
    expect(guessedContentType(Buffer.from('{"a":1}'))).toBe('application/json');
    expect(guessedContentType(Buffer.from('hello'))).toBe('text/plain; charset=utf-8');
    expect(guessedContentType(Buffer.from([0xff, 0xfe, 0x00]))).toBe('application/octet-stream');
  });

  test("the next page's cursor is read from the Link header", () => {
    expect(nextCursor('</v1/task/list?limit=2&cursor=abc%3D>; rel="next"')).toBe('abc=');
    expect(nextCursor(null)).toBeUndefined();
    expect(nextCursor('</v1/task/list>; rel="prev"')).toBeUndefined();
  });
});
