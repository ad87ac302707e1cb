import type { IBackoff } from 'cockatiel';
import { projectorRetryBackoff } from './retry-backoff.js';

/** The waits after `count` failures in a row. */
function waits(count: number): number[] {
  const durations: number[] = [];
  let backoff: IBackoff<unknown> | undefined;
  for (let failure = 0; failure < count; failure += 1) {
    backoff = (backoff ?? projectorRetryBackoff).next(undefined);
    durations.push(backoff.duration);
  }
  return durations;
}

describe('projectorRetryBackoff', () => {
  // Jitter makes every sequence different: look at many.
  const sequences = Array.from({ length: 200 }, () => waits(20));

  test('waits a moment at first, never less than 125 ms', () => {
    for (const sequence of sequences) {
      expect(sequence[0]).toBeGreaterThanOrEqual(125);
      expect(sequence[0]).toBeLessThanOrEqual(250);
      expect(Math.min(...sequence)).toBeGreaterThanOrEqual(125);
    }
  });

  test('waits longer the more failures there have been in a row', () => {
    for (const sequence of sequences) {
      // Each step doubles and the wait lies within its upper half, so two steps apart always grow.
      for (let index = 2; index < sequence.length; index += 1) {
        const earlier = sequence[index - 2] as number;
        const later = sequence[index] as number;
        expect(later >= earlier || later >= 15_000).toBe(true);
      }
      expect(sequence[8]).toBeGreaterThan(sequence[0] as number);
    }
  });

  test('never waits more than 30 s, however long the failures last', () => {
    for (const sequence of sequences) {
      expect(Math.max(...sequence)).toBeLessThanOrEqual(30_000);
      expect(sequence.at(-1)).toBeGreaterThanOrEqual(15_000);
    }
  });

  test('spreads the waits of projectors that fail together', () => {
    expect(new Set(sequences.map((sequence) => sequence[5])).size).toBeGreaterThan(1);
  });
});
