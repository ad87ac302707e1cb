import { decodeKeysetCursor, encodeKeysetCursor } from './keyset.js';

const key = { time: '2024-06-22T21:05:48.123456Z', id: '66773caefe3f89cf057bedcf' };
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('keyset cursors', () => {
  test('decode what they encode', () => {
    const cursor = encodeKeysetCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeKeysetCursor(cursor)).toEqual(key);
  });

  test.each([
    ['an empty text', ''],
    ['text that is not base64url', 'abc$'],
    ['base64url of something else', cursorOf('hello')],
    ['a key without microseconds', cursorOf(`2024-06-22T21:05:48Z/${key.id}`)],
    ['an impossible time', cursorOf(`2024-13-45T21:05:48.000000Z/${key.id}`)],
    ['a malformed id', cursorOf(`${key.time}/XYZ`)],
    ['extra parts', cursorOf(`${key.time}/${key.id}/x`)],
    ['a very long text', 'a'.repeat(201)],
  ])('reject %s', (_name, cursor) => {
    expect(decodeKeysetCursor(cursor)).toBeNull();
  });
});
