import { describe, expect, test } from '@jest/globals';
import { RecentEntries } from './recent-entries.js';

describe('RecentEntries', () => {
  test('keeps the last entries set; setting one again makes it the newest', () => {
    const recent = new RecentEntries<number>(2);
    recent.set('a', 1);
    recent.set('b', 2);
    recent.set('a', 3);
    recent.set('c', 4);
    expect(recent.has('b')).toBe(false);
    expect([recent.get('a'), recent.get('c'), recent.size]).toEqual([3, 4, 2]);
  });

  test.each([0, -1, 1.5, Number.POSITIVE_INFINITY])('refuses a capacity of %s', (capacity) => {
    expect(() => new RecentEntries(capacity)).toThrow(RangeError);
  });
});
