import { taskCommand, taskEvent, type TaskCommand, type TaskEvent } from '@canopy/contracts';
import { foldTask, taskView } from '@canopy/task-domain';
import {
  exampleResponse,
  exampleTaskId as taskId,
  exampleTaskIssuedData,
  exampleTime as t,
} from '@canopy/contracts/testing';
import { decidedTaskEvents, expectedTaskRow } from '../../testing/read-model-fold.js';
import {
  evolveProjectedTask,
  newlyIssuedTask,
  terminalStatus,
  type ProjectedTask,
} from './projected-task.js';

const issue = taskCommand('IssueTask', exampleTaskIssuedData({ maxAttempts: 2 }));
const retried = taskCommand(
  'IssueTask',
  exampleTaskIssuedData({
    maxAttempts: 2,
    retry: {
      maxAttempts: 3,
      backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 5 },
      on: ['5xx'],
    },
  }),
);
const assign = (nodeId: string, attempt: number, at: number) =>
  taskCommand('AssignTask', { taskId, nodeId, attempt, now: t(at) });
const unassign = (nodeId: string, attempt: number, at: number) =>
  taskCommand('UnassignTask', { taskId, nodeId, attempt, reason: 'NODE_LOST', now: t(at) });
const progress = (nodeId: string, attempt: number, value: number, at: number) =>
  taskCommand('RecordProgress', { taskId, nodeId, attempt, progress: value, now: t(at) });
const finish = (nodeId: string, attempt: number, at: number, status = 200) =>
  taskCommand('FinishTask', {
    taskId,
    nodeId,
    attempt,
    response: exampleResponse({ status }),
    now: t(at),
  });
const fail = (reason: 'TIMEOUT' | 'NO_RUNNER' | 'NODE_LOST' | 'CANCELLED', at: number) =>
  taskCommand('FailTask', { taskId, reason, message: reason.toLowerCase(), now: t(at) });

function project(events: readonly TaskEvent[]): ProjectedTask {
  const [first, ...later] = events;
  if (first?.type !== 'TaskIssued') throw new Error('a history starts with TaskIssued');
  return later.reduce(
    (task, event) => (event.type === 'TaskIssued' ? task : evolveProjectedTask(task, event)),
    newlyIssuedTask,
  );
}

/** The projected columns next to what the task domain's fold says they must be. */
function compare(events: readonly TaskEvent[]) {
  const view = taskView(foldTask(events));
  if (view === null) throw new Error('no view');
  const expected = expectedTaskRow(view);
  const task = project(events);
  const at = (time: string | null) => (time === null ? null : new Date(time));
  return {
    actual: {
      state: task.state,
      progress: task.progress,
      status: task.status,
      node_id: task.nodeId,
      attempt: task.attempt,
      assigned_at: at(task.assignedAt),
      finished_at: at(task.finishedAt),
      failure_reason: task.failureReason,
    },
    expected: {
      state: expected.state,
      progress: expected.progress,
      status: expected.status,
      node_id: expected.node_id,
      attempt: expected.attempt,
      assigned_at: expected.assigned_at,
      finished_at: expected.finished_at,
      failure_reason: expected.failure_reason,
    },
  };
}

/** A retried task whose first two attempts failed with retried statuses, on its third. */
const onTheLastOfThreeAttempts = [
  retried,
  assign('n1', 1, 5),
  finish('n1', 1, 9, 503),
  assign('n2', 2, 11),
  finish('n2', 2, 12, 500),
  assign('n1', 3, 16),
];

const histories: [string, TaskCommand[]][] = [
  ['issued only', [issue]],
  ['assigned with progress', [issue, assign('n1', 1, 5), progress('n1', 1, 40, 8)]],
  ['finished', [issue, assign('n1', 1, 5), progress('n1', 1, 40, 8), finish('n1', 1, 12)]],
  [
    'finished with an error status of the function',
    [issue, assign('n1', 1, 5), finish('n1', 1, 9, 500)],
  ],
  [
    'waiting again after its node was lost',
    [issue, assign('n1', 1, 5), progress('n1', 1, 30, 6), unassign('n1', 1, 9)],
  ],
  [
    'reassigned and finished by the second node',
    [
      issue,
      assign('n1', 1, 5),
      progress('n1', 1, 30, 6),
      unassign('n1', 1, 9),
      assign('n2', 2, 11),
      finish('n2', 2, 20, 404),
    ],
  ],
  [
    'failed when its last attempt was unassigned',
    [
      issue,
      assign('n1', 1, 5),
      unassign('n1', 1, 9),
      assign('n2', 2, 11),
      progress('n2', 2, 70, 12),
      unassign('n2', 2, 15),
    ],
  ],
  [
    'waiting after a failed attempt',
    [retried, assign('n1', 1, 5), progress('n1', 1, 30, 6), finish('n1', 1, 9, 503)],
  ],
  [
    'finished on the third attempt after two failed ones',
    [...onTheLastOfThreeAttempts, finish('n1', 3, 17, 200)],
  ],
  [
    'finished with the retried status when the attempts ran out',
    [...onTheLastOfThreeAttempts, finish('n1', 3, 17, 502)],
  ],
  ['timed out', [issue, assign('n1', 1, 5), fail('TIMEOUT', 15)]],
  ['no runner', [issue, fail('NO_RUNNER', 60)]],
  [
    'no runner after an attempt',
    [issue, assign('n1', 1, 5), unassign('n1', 1, 9), fail('NO_RUNNER', 60)],
  ],
  ['cancelled while assigned', [issue, assign('n1', 1, 5), fail('CANCELLED', 7)]],
  [
    'repeated commands',
    [
      issue,
      issue,
      assign('n1', 1, 5),
      assign('n1', 1, 5),
      progress('n1', 1, 40, 8),
      progress('n1', 1, 20, 9),
      finish('n1', 1, 12),
      finish('n1', 1, 12),
    ],
  ],
];

describe('the projected task agrees with the task domain fold', () => {
  test.each(histories)('%s', (_name, commands) => {
    const { actual, expected } = compare(decidedTaskEvents(commands));
    expect(actual).toEqual(expected);
  });

  // Streams the decider never writes, which evolve ignores: the projection must ignore them too.
  const issued = taskEvent('TaskIssued', exampleTaskIssuedData());
  const assigned = taskEvent('TaskAssigned', {
    taskId,
    nodeId: 'n1',
    attempt: 1,
    assignedAt: t(5),
  });
  const finished = taskEvent('TaskFinished', {
    taskId,
    nodeId: 'n1',
    attempt: 1,
    response: exampleResponse(),
    finishedAt: t(9),
  });
  test.each([
    [
      'an unassignment of another attempt',
      [
        issued,
        assigned,
        taskEvent('TaskUnassigned', {
          taskId,
          nodeId: 'n1',
          attempt: 2,
          reason: 'REJECTED',
          at: t(6),
        }),
      ],
    ],
    [
      'progress after the task finished',
      [
        issued,
        assigned,
        finished,
        taskEvent('TaskProgressed', { taskId, nodeId: 'n1', attempt: 1, progress: 50, at: t(10) }),
      ],
    ],
    [
      'a failure after the task finished',
      [
        issued,
        assigned,
        finished,
        taskEvent('TaskFailed', {
          taskId,
          reason: 'TIMEOUT',
          status: 504,
          message: 'late',
          at: t(11),
        }),
      ],
    ],
  ])('ignores %s', (_name, events) => {
    const { actual, expected } = compare(events);
    expect(actual).toEqual(expected);
  });
});

describe('terminalStatus', () => {
  test("is the function's status for a finished task, whatever it is", () => {
    for (const status of [200, 201, 404, 500]) {
      const finished = taskEvent('TaskFinished', {
        taskId,
        nodeId: 'n1',
        attempt: 1,
        response: exampleResponse({ status }),
        finishedAt: t(1),
      });
      expect(terminalStatus(finished)).toBe(status);
    }
  });

  test.each([
    ['TIMEOUT', 504],
    ['NO_RUNNER', 503],
    ['NODE_LOST', 502],
    ['CANCELLED', 499],
  ] as const)("is the platform's for a failure: %s → %i", (reason, status) => {
    const failed = taskEvent('TaskFailed', { taskId, reason, status, message: '', at: t(1) });
    expect(terminalStatus(failed)).toBe(status);
  });
});

describe('evolveProjectedTask', () => {
  test('records every attempt and when each ended', () => {
    const events = decidedTaskEvents([
      issue,
      assign('n1', 1, 5),
      unassign('n1', 1, 9),
      assign('n2', 2, 11),
    ]);
    expect(project(events).attempts).toEqual([
      {
        attempt: 1,
        nodeId: 'n1',
        assignedAt: t(5),
        unassigned: { reason: 'NODE_LOST', at: t(9) },
        failed: null,
      },
      { attempt: 2, nodeId: 'n2', assignedAt: t(11), unassigned: null, failed: null },
    ]);
  });

  test('returns the same task for an event it ignores, so nothing is written but the version', () => {
    const finished = project(decidedTaskEvents([issue, assign('n1', 1, 5), finish('n1', 1, 9)]));
    const late = taskEvent('TaskProgressed', {
      taskId,
      nodeId: 'n1',
      attempt: 1,
      progress: 10,
      at: t(10),
    });
    expect(evolveProjectedTask(finished, late)).toBe(finished);
  });
});
