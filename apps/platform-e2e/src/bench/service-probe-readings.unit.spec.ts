import { roundTripsBetween, stallsBetween, worstStalls } from './service-probe-readings.js';
import type { ProbeReading } from './service-probe.js';

function reading(pid: number, fields: Partial<ProbeReading>): ProbeReading {
  return {
    name: 'scheduler',
    pid,
    queries: 0,
    statements: [],
    gcPauses: 0,
    gcPauseMs: 0,
    gcLongestPauseMs: 0,
    gcMajorPauses: 0,
    gcMajorPauseMs: 0,
    gcLongestMajorPauseMs: 0,
    loopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0 },
    readings: 1,
    ...fields,
  };
}

describe('what the probe read between two readings', () => {
  test('queries and each statement count from the earlier reading; a process started since from zero', () => {
    const before = new Map([
      [
        1,
        reading(1, {
          queries: 10,
          statements: [
            ['SELECT a', 6],
            ['begin', 4],
          ],
        }),
      ],
    ]);
    const after = new Map([
      [
        1,
        reading(1, {
          queries: 25,
          statements: [
            ['SELECT a', 16],
            ['begin', 4],
            ['commit', 5],
          ],
        }),
      ],
      [2, reading(2, { name: 'projector', queries: 3, statements: [['SELECT b', 3]] })],
    ]);
    expect(roundTripsBetween(before, after)).toEqual([
      {
        name: 'scheduler',
        queries: 15,
        statements: new Map([
          ['SELECT a', 10],
          ['commit', 5],
        ]),
      },
      { name: 'projector', queries: 3, statements: new Map([['SELECT b', 3]]) },
    ]);
  });

  test('stalls: pauses (and full collections) counted since the earlier reading, delays and the longest pause as the later one saw them', () => {
    const before = new Map([
      [
        1,
        reading(1, {
          gcPauses: 4,
          gcPauseMs: 20,
          gcLongestPauseMs: 9,
          gcMajorPauses: 1,
          gcMajorPauseMs: 9,
          gcLongestMajorPauseMs: 9,
        }),
      ],
    ]);
    const after = new Map([
      [
        1,
        reading(1, {
          gcPauses: 10,
          gcPauseMs: 50,
          gcLongestPauseMs: 7,
          gcMajorPauses: 3,
          gcMajorPauseMs: 21,
          gcLongestMajorPauseMs: 7,
          loopDelay: { p50Ms: 1, p99Ms: 12, maxMs: 30 },
        }),
      ],
    ]);
    expect(stallsBetween(before, after)).toEqual([
      {
        name: 'scheduler',
        loopDelay: { p50Ms: 1, p99Ms: 12, maxMs: 30 },
        gcPauses: 6,
        gcPauseMs: 30,
        gcLongestPauseMs: 7,
        gcMajorPauses: 2,
        gcMajorPauseMs: 12,
        gcLongestMajorPauseMs: 7,
      },
    ]);
  });

  test('several processes as one line: the worst delays, the pauses summed, the longest of them', () => {
    const stalls = (p99Ms: number, gcPauses: number, gcLongestPauseMs: number) => ({
      name: 'node-agent',
      loopDelay: { p50Ms: 1, p99Ms, maxMs: p99Ms * 2 },
      gcPauses,
      gcPauseMs: gcPauses * 2,
      gcLongestPauseMs,
      gcMajorPauses: 1,
      gcMajorPauseMs: gcLongestPauseMs,
      gcLongestMajorPauseMs: gcLongestPauseMs,
    });
    expect(worstStalls('node-agents', [stalls(5, 3, 8), stalls(9, 1, 4)])).toEqual({
      name: 'node-agents',
      loopDelay: { p50Ms: 1, p99Ms: 9, maxMs: 18 },
      gcPauses: 4,
      gcPauseMs: 8,
      gcLongestPauseMs: 8,
      gcMajorPauses: 2,
      gcMajorPauseMs: 12,
      gcLongestMajorPauseMs: 8,
    });
  });
});
