import { SeededRandom } from '../testing/seeded-random.js';
import { IndexedHeap } from './indexed-heap.js';

describe('IndexedHeap', () => {
  test('hands out the smallest value first and follows updates and deletions', () => {
    const heap = new IndexedHeap<string, number>((a, b) => a < b);
    heap.set('a', 5);
    heap.set('b', 3);
    heap.set('c', 8);
    expect(heap.peek()).toEqual({ key: 'b', value: 3 });
    heap.set('c', 1);
    expect(heap.peek()).toEqual({ key: 'c', value: 1 });
    heap.delete('c');
    heap.set('b', 9);
    expect(heap.peek()).toEqual({ key: 'a', value: 5 });
    expect(heap.size).toBe(2);
    expect(heap.delete('missing')).toBe(false);
  });

  test('agrees with a sorted list over many random operations', () => {
    const random = new SeededRandom(7);
    const heap = new IndexedHeap<number, number>((a, b) => a < b);
    const reference = new Map<number, number>();
    for (let step = 0; step < 2_000; step += 1) {
      const key = random.int(0, 60);
      if (random.chance(0.3)) {
        expect(heap.delete(key)).toBe(reference.delete(key));
      } else {
        const value = random.int(0, 1_000) * 100 + key; // unique values: one right answer
        heap.set(key, value);
        reference.set(key, value);
      }
      const smallest = [...reference.entries()].sort((a, b) => a[1] - b[1])[0];
      expect(heap.peek()).toEqual(
        smallest === undefined ? undefined : { key: smallest[0], value: smallest[1] },
      );
      expect(heap.size).toBe(reference.size);
    }
  });
});
