import { fromStoredValue, toStoredJson } from './stored-json.js';

describe('stored JSON', () => {
  test.each([
    ['an object', { a: 1, b: ['x', null, true] }],
    ['an array', [1, 'two']],
    ['a string', 'text'],
    ['null', null],
    ['a NUL character', { text: 'a\u0000b' }],
    ['unpaired surrogates', { text: 'a\ud800b\udc00c' }],
    ['a paired surrogate (emoji)', { text: '🚀' }],
    ['the wrapper key itself', { '$eventStore.base64Json': 'plain' }],
    ['the wrapper key deep inside', { nested: { '$eventStore.base64Json': 1 } }],
    ['a backslash before u0000', { text: '\\u0000' }],
  ])('%s round-trips', (_, value) => {
    expect(fromStoredValue(JSON.parse(toStoredJson(value)))).toEqual(value);
  });

  test('plain values are stored as their JSON text', () => {
    expect(toStoredJson({ a: 'é', b: [1] })).toBe('{"a":"é","b":[1]}');
  });

  test('what jsonb refuses is stored without the escapes it refuses', () => {
    for (const value of [{ text: 'a\u0000b' }, 'x\udfff']) {
      expect(toStoredJson(value)).not.toMatch(/\\u(0000|d[89a-f])/i);
    }
  });

  test('undefined is stored as null', () => {
    expect(toStoredJson(undefined)).toBe('null');
  });
});
