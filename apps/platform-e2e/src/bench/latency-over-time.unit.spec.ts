import { latencyOverTime, MOST_PERIODS } from './latency-over-time.js';
import type { TimedTask } from './latency-over-time.js';

const at = (startedAt: number, created: number, result?: number): TimedTask => ({
  startedAt,
  createdReceived: startedAt + created,
  resultReceived: result === undefined ? undefined : startedAt + result,
});

describe('latencyOverTime', () => {
  test('groups tasks by the second they started in, from the first task', () => {
    const start = 1_700_000_000_000;
    const periods = latencyOverTime([
      at(start, 50, 90),
      at(start + 400, 60, 100),
      at(start + 999, 70, 110),
      at(start + 1000, 5, 10),
      at(start + 2500, 4, 8),
    ]);
    expect(
      periods.map(({ fromSeconds, toSeconds, tasks }) => [fromSeconds, toSeconds, tasks]),
    ).toEqual([
      [0, 1, 3],
      [1, 2, 1],
      [2, 3, 1],
    ]);
    expect(periods[0]?.toCreated.p50).toBe(60);
    expect(periods[0]?.toCreated.max).toBe(70);
    expect(periods[0]?.toResult.p99).toBe(110);
    expect(periods[1]?.toResult.max).toBe(10);
  });

  test('leaves out the answers a task did not get, but counts the task', () => {
    const [period] = latencyOverTime([
      at(0, 10, 20),
      { startedAt: 100, createdReceived: undefined, resultReceived: undefined },
      at(200, 30),
    ]);
    expect(period?.tasks).toBe(3);
    expect(period?.toCreated.count).toBe(2);
    expect(period?.toResult.count).toBe(1);
    expect(period?.toResult.max).toBe(20);
  });

  test('keeps a quiet second in its place, with no figures', () => {
    const periods = latencyOverTime([at(0, 1, 2), at(2100, 3, 4)]);
    expect(periods.map(({ tasks }) => tasks)).toEqual([1, 0, 1]);
    expect(periods[1]?.toResult.p50).toBeNaN();
  });

  test('lengthens the periods of a long run so that there are at most MOST_PERIODS', () => {
    const tasks = Array.from({ length: 100 }, (_, second) => at(second * 1000 + 10, 1, 2));
    const periods = latencyOverTime(tasks);
    expect(periods.length).toBeLessThanOrEqual(MOST_PERIODS);
    expect(periods[0]?.toSeconds).toBe(4);
    expect(periods.reduce((sum, { tasks: count }) => sum + count, 0)).toBe(100);
    expect(periods.at(-1)?.toSeconds).toBeGreaterThanOrEqual(100);
  });

  test('has no periods for no tasks', () => {
    expect(latencyOverTime([])).toEqual([]);
  });
});
