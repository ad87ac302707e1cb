import { newlyIssuedTask, type ProjectedTask } from './projected-task.js';
import { TaskCounterChanges, utcDay, type CountedTask } from './task-counters.js';

const accountId = 'a'.repeat(24);
const functionId = 'f'.repeat(24);

const assigned = (nodeId: string): ProjectedTask => ({
  ...newlyIssuedTask,
  state: 'assigned',
  nodeId,
  attempt: 1,
});
const finished = (nodeId: string): ProjectedTask => ({
  ...assigned(nodeId),
  state: 'finished',
  status: 200,
});
const failed = (nodeId: string | null): ProjectedTask => ({
  ...newlyIssuedTask,
  state: 'failed',
  status: 504,
  nodeId,
});

function counted(task: ProjectedTask, issuedAt = '2026-11-30T10:00:00Z'): CountedTask {
  return { accountId, functionId, issuedAt, task };
}

function changesOf(...steps: [ProjectedTask | null, ProjectedTask][]) {
  const changes = new TaskCounterChanges();
  for (const [before, after] of steps) changes.add(before, counted(after));
  return {
    accounts: Object.fromEntries(changes.accounts),
    functions: Object.fromEntries(changes.functions),
    accountDays: Object.fromEntries(changes.accountDays),
    functionDays: Object.fromEntries(changes.functionDays),
    nodes: Object.fromEntries(changes.nodes),
  };
}

describe('TaskCounterChanges', () => {
  test('a task issued in the batch counts as pending and issued on its UTC day', () => {
    expect(changesOf([null, newlyIssuedTask])).toEqual({
      accounts: { [accountId]: { pending: 1, completed: 0 } },
      functions: { [functionId]: { accountId, pending: 1, completed: 0 } },
      accountDays: { [`${accountId} 2026-11-30`]: 1 },
      functionDays: { [`${functionId} 2026-11-30`]: 1 },
      nodes: {},
    });
  });

  test('issued and failed in the same batch: rows at zero, so that they exist', () => {
    expect(changesOf([null, failed('n1')])).toMatchObject({
      accounts: { [accountId]: { pending: 0, completed: 0 } },
      functions: { [functionId]: { accountId, pending: 0, completed: 0 } },
      nodes: {},
    });
  });

  test('finishing an assigned task: one pending less, one completed more, the node runs one less', () => {
    expect(changesOf([assigned('n1'), finished('n1')])).toEqual({
      accounts: { [accountId]: { pending: -1, completed: 1 } },
      functions: { [functionId]: { accountId, pending: -1, completed: 1 } },
      accountDays: {},
      functionDays: {},
      nodes: { n1: -1 },
    });
  });

  test('a failure is terminal but not completed', () => {
    expect(changesOf([assigned('n2'), failed('n2')])).toMatchObject({
      accounts: { [accountId]: { pending: -1, completed: 0 } },
      nodes: { n2: -1 },
    });
  });

  test('an assignment or a change that leaves the counters alone writes no account row', () => {
    expect(changesOf([newlyIssuedTask, assigned('n1')])).toEqual({
      accounts: {},
      functions: {},
      accountDays: {},
      functionDays: {},
      nodes: { n1: 1 },
    });
    expect(changesOf([assigned('n1'), { ...assigned('n1'), progress: 50 }]).nodes).toEqual({});
  });

  test('moving from one node to another in a batch moves the running task', () => {
    expect(changesOf([assigned('n1'), assigned('n2')]).nodes).toEqual({ n1: -1, n2: 1 });
    expect(
      changesOf([assigned('n1'), newlyIssuedTask], [newlyIssuedTask, assigned('n1')]).nodes,
    ).toEqual({ n1: 0 });
  });

  test('utcDay takes the UTC calendar day, whatever the offset the time is written in', () => {
    expect(utcDay('2026-11-29T23:59:59.999Z')).toBe('2026-11-29');
    expect(utcDay('2026-11-30T01:30:00+02:00')).toBe('2026-11-29');
    expect(utcDay(new Date(Date.UTC(2026, 10, 30)))).toBe('2026-11-30');
  });
});
