import { newObjectId } from './object-id.js';

describe('object ids', () => {
  test('are 24 lower-case hex characters starting with the unix seconds', () => {
    const id = newObjectId(new Date('2024-06-22T21:05:48.999Z'));
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(parseInt(id.slice(0, 8), 16)).toBe(Date.UTC(2024, 5, 22, 21, 5, 48) / 1000);
  });

  test('differ within the same second', () => {
    const now = new Date();
    const ids = new Set(Array.from({ length: 1000 }, () => newObjectId(now)));
    expect(ids.size).toBe(1000);
  });
});
