import { memoryAtQuarters } from './memory-trace.js';
import type { MemorySample } from './memory-trace.js';

const sample = (completed: number): MemorySample => ({
  completed,
  rssBytes: new Map([['gateway', completed]]),
});

describe('memoryAtQuarters', () => {
  test('picks the first, the samples nearest each quarter and the last', () => {
    const samples = [0, 90, 260, 480, 520, 740, 990, 1000].map(sample);
    expect(memoryAtQuarters(samples, 1000).map((picked) => picked.completed)).toEqual([
      0, 260, 480, 740, 1000,
    ]);
  });

  test('never lists a sample twice, and gives nothing without samples', () => {
    expect(memoryAtQuarters([sample(0), sample(10)], 1000).map((s) => s.completed)).toEqual([
      0, 10,
    ]);
    expect(memoryAtQuarters([], 1000)).toEqual([]);
  });
});
