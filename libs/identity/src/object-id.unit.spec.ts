import { consecutiveObjectIds, newObjectId } from './object-id.js';

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

describe('consecutiveObjectIds', () => {
  test('counts up in the random bytes from the first id, keeping its time', () => {
    expect(consecutiveObjectIds('6405942c00000000000000fe', 3)).toEqual([
      '6405942c00000000000000fe',
      '6405942c00000000000000ff',
      '6405942c0000000000000100',
    ]);
  });

  test('wraps around at the end of the 8 bytes', () => {
    expect(consecutiveObjectIds('6405942cffffffffffffffff', 2)).toEqual([
      '6405942cffffffffffffffff',
      '6405942c0000000000000000',
    ]);
  });

  test('the same first id gives the same ids', () => {
    const first = newObjectId();
    expect(consecutiveObjectIds(first, 1000)).toEqual(consecutiveObjectIds(first, 1000));
    expect(new Set(consecutiveObjectIds(first, 1000)).size).toBe(1000);
  });
});
