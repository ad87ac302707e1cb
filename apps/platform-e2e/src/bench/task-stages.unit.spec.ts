import { assignedWithIssue, joinTimelines, stageBreakdown, taskStages } from './task-stages.js';
import type { ClientTaskTimes, RecordedTaskTimes } from './task-stages.js';

const client = (start: number): ClientTaskTimes => ({
  postSent: start,
  createdReceived: start + 4,
  resultReceived: start + 20,
});

const recorded = (start: number): RecordedTaskTimes => ({
  issuedAt: start + 1,
  issuedRecorded: start + 3,
  assignedAt: start + 6,
  assignedRecorded: start + 7,
  finishedAt: start + 10,
  finishedRecorded: start + 12,
  projected: start + 15,
});

describe('joinTimelines', () => {
  test('keeps the tasks both the client and the stores know, in the client order', () => {
    const seen = new Map([
      ['b', client(100)],
      ['a', client(0)],
      ['c', client(200)],
    ]);
    const stored = new Map([
      ['a', recorded(0)],
      ['b', recorded(100)],
    ]);
    expect(joinTimelines(seen, stored).map((task) => task.postSent)).toEqual([100, 0]);
  });
});

describe('stageBreakdown', () => {
  test('gives each stage the difference between its two points', () => {
    const timelines = joinTimelines(new Map([['a', client(0)]]), new Map([['a', recorded(0)]]));
    const p50 = Object.fromEntries(
      stageBreakdown(timelines).map(({ stage, latency }) => [stage.label, latency.p50]),
    );
    expect(Object.values(p50)).toEqual([1, 2, 1, 3, 1, 3, 2, 3, 5, 20]);
  });

  test('the stages on the path to the result add up to the whole way', () => {
    const onPath = taskStages.filter((stage) => stage.aside !== true).slice(0, -1);
    for (const [index, stage] of onPath.entries()) {
      const next = onPath[index + 1];
      if (next !== undefined) expect(next.from).toBe(stage.to);
    }
    expect(onPath[0]?.from).toBe(taskStages.at(-1)?.from);
    expect(onPath.at(-1)?.to).toBe(taskStages.at(-1)?.to);
  });

  test('summarizes over every task', () => {
    const seen = new Map(Array.from({ length: 10 }, (_, index) => [`t${index}`, client(0)]));
    const stored = new Map(
      Array.from({ length: 10 }, (_, index) => [
        `t${index}`,
        { ...recorded(0), projected: 12 + index },
      ]),
    );
    const projection = stageBreakdown(joinTimelines(seen, stored)).find(
      ({ stage }) => stage.to === 'projected',
    );
    expect(projection?.latency).toEqual({ count: 10, p50: 4, p90: 8, p99: 9, max: 9 });
  });
});

describe('assignedWithIssue', () => {
  test('counts the tasks whose assignment was recorded in the transaction that issued them', () => {
    const withIssue = { ...recorded(100), assignedAt: 102, assignedRecorded: 103 };
    const timelines = joinTimelines(
      new Map([
        ['a', client(0)],
        ['b', client(100)],
      ]),
      new Map([
        ['a', recorded(0)],
        ['b', withIssue],
      ]),
    );
    expect(assignedWithIssue(timelines)).toBe(1);
  });
});
