import { taskCommand, taskEvent } from '@canopy/contracts';
import type { TaskFailureReason, UnassignReason } from '@canopy/contracts';
import { DeciderSpecification } from '@canopy/decider-testing';
import {
  exampleResponse,
  exampleTaskId,
  exampleTaskIssuedData,
  exampleTime,
} from '@canopy/contracts/testing';
import { TaskRuleViolation } from './task-rule-violation.js';
import type { TaskRuleCode } from './task-rule-violation.js';
import { foldTask, taskDecider } from './task.js';

const given = DeciderSpecification.for(taskDecider);
const taskId = exampleTaskId;
const otherTaskId = '6405942c9956fae80d7e0e92';
const data = exampleTaskIssuedData(); // maxAttempts 2
const t = exampleTime;

// Events
const issued = taskEvent('TaskIssued', data);
const assigned = (nodeId: string, attempt: number, at = t(10)) =>
  taskEvent('TaskAssigned', { taskId, nodeId, attempt, assignedAt: at });
const unassigned = (
  nodeId: string,
  attempt: number,
  reason: UnassignReason = 'NODE_LOST',
  at = t(20),
) => taskEvent('TaskUnassigned', { taskId, nodeId, attempt, reason, at });
const progressed = (nodeId: string, attempt: number, progress: number, at = t(15)) =>
  taskEvent('TaskProgressed', { taskId, nodeId, attempt, progress, at });
const finished = (nodeId: string, attempt: number, response = exampleResponse(), at = t(30)) =>
  taskEvent('TaskFinished', { taskId, nodeId, attempt, response, finishedAt: at });
const failed = (reason: TaskFailureReason, status: number, message: string, at = t(40)) =>
  taskEvent('TaskFailed', { taskId, reason, status, message, at });

// Commands
const issue = (overrides = {}) => taskCommand('IssueTask', exampleTaskIssuedData(overrides));
const assign = (nodeId: string, attempt: number, now = t(10)) =>
  taskCommand('AssignTask', { taskId, nodeId, attempt, now });
const unassign = (
  nodeId: string,
  attempt: number,
  reason: UnassignReason = 'NODE_LOST',
  now = t(20),
) => taskCommand('UnassignTask', { taskId, nodeId, attempt, reason, now });
const recordProgress = (nodeId: string, attempt: number, progress: number, now = t(15)) =>
  taskCommand('RecordProgress', { taskId, nodeId, attempt, progress, now });
const finish = (nodeId: string, attempt: number, response = exampleResponse(), now = t(30)) =>
  taskCommand('FinishTask', { taskId, nodeId, attempt, response, now });
const fail = (reason: TaskFailureReason, message = `failed: ${reason}`, now = t(40)) =>
  taskCommand('FailTask', { taskId, reason, message, now });
const cancel = (accountId = data.accountId, now = t(40)) =>
  taskCommand('CancelTask', { taskId, accountId, now });

const violation = (code: TaskRuleCode) => (error: TaskRuleViolation) =>
  error.code === code && error.taskId === taskId;

// Histories in each phase.
const waiting = [issued];
const assignedToN1 = [issued, assigned('n1', 1)];
const waitingAfterN1 = [issued, assigned('n1', 1), unassigned('n1', 1)];
const assignedToN2 = [...waitingAfterN1, assigned('n2', 2)];
const finishedByN1 = [...assignedToN1, finished('n1', 1)];
const timedOut = [...assignedToN1, failed('TIMEOUT', 504, 'ran longer than 10 s')];
const cancelledWhileWaiting = [
  ...waitingAfterN1,
  failed('CANCELLED', 499, 'cancelled by its owner'),
];
// Ending attempt 2, the last, fails the task at once: NODE_LOST whatever the reason (but REJECTED).
const lastAttemptEnded = (reason: UnassignReason) => [
  unassigned('n2', 2, reason, t(50)),
  failed(
    'NODE_LOST',
    502,
    `attempt 2 ended on node n2 (${reason}) and all 2 attempts allowed were spent`,
    t(50),
  ),
];
const lostOnLastAttempt = [...assignedToN2, ...lastAttemptEnded('NODE_LOST')];
const terminalHistories = [
  ['finished', finishedByN1],
  ['timed out', timedOut],
  ['cancelled', cancelledWhileWaiting],
  ['failed on its last attempt', lostOnLastAttempt],
] as const;

describe('IssueTask', () => {
  test('issues a new task', () => {
    given([]).when(issue()).then([issued]);
  });

  test.each([['waiting', waiting], ['assigned', assignedToN1], ...terminalHistories] as const)(
    'the same IssueTask again is ignored while %s',
    (_phase, history) => {
      given(history).when(issue()).thenNothing();
    },
  );

  test('the same task data in another key order is the same IssueTask', () => {
    const reordered = Object.fromEntries(Object.entries(data).reverse()) as typeof data;
    given([issued]).when(taskCommand('IssueTask', reordered)).thenNothing();
  });

  test.each([
    ['timeout', { timeout: 11 }],
    ['issue time', { issuedAt: t(1) }],
    ['request body', { request: { ...data.request, body: '' } }],
    ['requirements', { requirements: { ...data.requirements, privileged: true } }],
    ['schedule', { scheduleId: '6677391a241c7178b29e4a4a' }],
  ])('an IssueTask with another %s for an existing task is rejected', (_field, overrides) => {
    given([issued])
      .when(issue(overrides))
      .thenThrows(TaskRuleViolation, violation('TASK_ALREADY_ISSUED'));
    given(finishedByN1)
      .when(issue(overrides))
      .thenThrows(TaskRuleViolation, violation('TASK_ALREADY_ISSUED'));
  });

  test('an IssueTask for another task than the stream holds is rejected', () => {
    given([issued])
      .when(issue({ taskId: otherTaskId }))
      .thenThrows(TaskRuleViolation, (error) => error.code === 'WRONG_TASK');
  });
});

describe('commands before the task exists', () => {
  test.each([
    ['AssignTask', assign('n1', 1)],
    ['UnassignTask', unassign('n1', 1)],
    ['RecordProgress', recordProgress('n1', 1, 10)],
    ['FinishTask', finish('n1', 1)],
    ['FailTask', fail('CANCELLED')],
  ] as const)('%s is rejected as TASK_NOT_FOUND', (_type, command) => {
    given([]).when(command).thenThrows(TaskRuleViolation, violation('TASK_NOT_FOUND'));
  });

  test.each([
    [
      'AssignTask',
      taskCommand('AssignTask', { taskId: otherTaskId, nodeId: 'n1', attempt: 1, now: t(1) }),
    ],
    [
      'FailTask',
      taskCommand('FailTask', { taskId: otherTaskId, reason: 'CANCELLED', message: '', now: t(1) }),
    ],
  ] as const)('%s naming another task is rejected as WRONG_TASK', (_type, command) => {
    given([issued])
      .when(command)
      .thenThrows(TaskRuleViolation, (error) => error.code === 'WRONG_TASK');
  });
});

describe('AssignTask', () => {
  test('assigns a waiting task its first attempt', () => {
    given(waiting)
      .when(assign('n1', 1, t(5)))
      .then([assigned('n1', 1, t(5))]);
  });

  test('assigns the next attempt after an unassignment, to any node', () => {
    given(waitingAfterN1)
      .when(assign('n2', 2))
      .then([assigned('n2', 2)]);
    given(waitingAfterN1)
      .when(assign('n1', 2))
      .then([assigned('n1', 2)]);
  });

  test('repeating the current assignment yields nothing, whatever its time', () => {
    given(assignedToN1)
      .when(assign('n1', 1, t(12)))
      .thenNothing();
  });

  test.each([
    ['skips an attempt', waiting, assign('n1', 2)],
    ['starts at attempt 0', waiting, assign('n1', 0)],
    ['reuses the attempt that ended', waitingAfterN1, assign('n2', 1)],
  ] as const)('an assignment that %s is rejected', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test('repeating an assignment that has since ended is rejected, not ignored', () => {
    given(waitingAfterN1)
      .when(assign('n1', 1))
      .thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test('an attempt beyond maxAttempts is rejected', () => {
    const oneAttempt = exampleTaskIssuedData({ maxAttempts: 1 });
    // A history decide would not produce (it fails the task with the last attempt) but evolve accepts.
    given([taskEvent('TaskIssued', oneAttempt), assigned('n1', 1), unassigned('n1', 1)])
      .when(assign('n2', 2))
      .thenThrows(TaskRuleViolation, violation('ATTEMPTS_EXHAUSTED'));
  });

  test.each([
    ['another node', assign('n2', 1)],
    ['the next attempt', assign('n1', 2)],
    ['another node and attempt', assign('n2', 2)],
  ] as const)('assigning %s while assigned is rejected', (_case, command) => {
    given(assignedToN1)
      .when(command)
      .thenThrows(TaskRuleViolation, violation('INVALID_TRANSITION'));
  });

  test.each(terminalHistories)('a %s task cannot be assigned', (_phase, history) => {
    given(history).when(assign('n3', 3)).thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('UnassignTask', () => {
  test.each(['NODE_LOST', 'REJECTED', 'START_DEADLINE_MISSED', 'NODE_DISABLED'] as const)(
    'ends the current attempt with %s and lets the task wait again',
    (reason) => {
      given(assignedToN1)
        .when(unassign('n1', 1, reason))
        .then([unassigned('n1', 1, reason)]);
    },
  );

  test('repeating an unassignment yields nothing, whatever its reason or time', () => {
    given(waitingAfterN1)
      .when(unassign('n1', 1, 'NODE_LOST', t(25)))
      .thenNothing();
    given(waitingAfterN1)
      .when(unassign('n1', 1, 'NODE_DISABLED'))
      .thenNothing();
    given(assignedToN2).when(unassign('n1', 1)).thenNothing();
  });

  test.each([
    ['another node', assignedToN1, unassign('n2', 1)],
    ['another attempt of the current node', assignedToN1, unassign('n1', 2)],
    ['a task that was never assigned', waiting, unassign('n1', 1)],
    ['the node of an ended attempt, with another attempt', assignedToN2, unassign('n1', 2)],
  ] as const)('unassigning %s is rejected', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test.each(['NODE_LOST', 'START_DEADLINE_MISSED', 'NODE_DISABLED'] as const)(
    'ending the last attempt with %s fails the task with NODE_LOST (502), instead of waiting forever',
    (reason) => {
      given(assignedToN2)
        .when(unassign('n2', 2, reason, t(50)))
        .then(lastAttemptEnded(reason));
    },
  );

  test('a single-attempt task fails as soon as its only attempt ends', () => {
    const oneAttempt = exampleTaskIssuedData({ maxAttempts: 1 });
    given([taskEvent('TaskIssued', oneAttempt), assigned('n1', 1)])
      .when(unassign('n1', 1, 'START_DEADLINE_MISSED', t(11)))
      .then([
        unassigned('n1', 1, 'START_DEADLINE_MISSED', t(11)),
        failed(
          'NODE_LOST',
          502,
          'attempt 1 ended on node n1 (START_DEADLINE_MISSED) and all 1 attempts allowed were spent',
          t(11),
        ),
      ]);
  });

  test('an attempt the node refused spends nothing: the task waits for its next attempt', () => {
    const oneAttempt = exampleTaskIssuedData({ maxAttempts: 1 });
    const refusedOnce = [
      taskEvent('TaskIssued', oneAttempt),
      assigned('n1', 1),
      unassigned('n1', 1, 'REJECTED', t(11)),
    ];
    given([taskEvent('TaskIssued', oneAttempt), assigned('n1', 1)])
      .when(unassign('n1', 1, 'REJECTED', t(11)))
      .then([unassigned('n1', 1, 'REJECTED', t(11))]);
    // Attempt numbers keep rising: each names one offer, and so one possible run.
    given(refusedOnce)
      .when(assign('n2', 2, t(12)))
      .then([assigned('n2', 2, t(12))]);
    given(refusedOnce)
      .when(assign('n2', 1, t(12)))
      .thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
    given([...refusedOnce, assigned('n2', 2, t(12))])
      .when(unassign('n2', 2, 'NODE_LOST', t(13)))
      .then([
        unassigned('n2', 2, 'NODE_LOST', t(13)),
        failed(
          'NODE_LOST',
          502,
          'attempt 2 ended on node n2 (NODE_LOST) and all 1 attempts allowed were spent',
          t(13),
        ),
      ]);
  });

  test('refusals on the last attempt leave the task waiting, however many', () => {
    given([...assignedToN2])
      .when(unassign('n2', 2, 'REJECTED', t(50)))
      .then([unassigned('n2', 2, 'REJECTED', t(50))]);
  });

  test('repeating the unassignment that failed the task yields nothing', () => {
    given(lostOnLastAttempt)
      .when(unassign('n2', 2, 'NODE_LOST', t(55)))
      .thenNothing();
  });

  test.each([
    ['finished', finishedByN1, unassign('n1', 1)],
    ['timed out', timedOut, unassign('n1', 1)],
    ['cancelled, for an attempt that ended before', cancelledWhileWaiting, unassign('n1', 1)],
    ['failed on its last attempt, for an earlier attempt', lostOnLastAttempt, unassign('n1', 1)],
  ] as const)('a %s task rejects unassignment', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('RecordProgress', () => {
  test('records progress of the current attempt', () => {
    given(assignedToN1)
      .when(recordProgress('n1', 1, 40))
      .then([progressed('n1', 1, 40)]);
    given([...assignedToN1, progressed('n1', 1, 40)])
      .when(recordProgress('n1', 1, 100))
      .then([progressed('n1', 1, 100)]);
  });

  test.each([
    ['a lower value', 30],
    ['the same value', 40],
  ])('%s yields nothing: progress never decreases', (_case, progress) => {
    given([...assignedToN1, progressed('n1', 1, 40)])
      .when(recordProgress('n1', 1, progress))
      .thenNothing();
  });

  test('0 on a fresh attempt yields nothing', () => {
    given(assignedToN1)
      .when(recordProgress('n1', 1, 0))
      .thenNothing();
  });

  test('a new attempt does not take progress back', () => {
    const history = [
      issued,
      assigned('n1', 1),
      progressed('n1', 1, 60),
      unassigned('n1', 1),
      assigned('n2', 2),
    ];
    given(history)
      .when(recordProgress('n2', 2, 30))
      .thenNothing();
    given(history)
      .when(recordProgress('n2', 2, 70))
      .then([progressed('n2', 2, 70)]);
  });

  test.each([
    ['another node', assignedToN1, recordProgress('n2', 1, 50)],
    ['another attempt', assignedToN1, recordProgress('n1', 2, 50)],
    ['the node of an ended attempt', assignedToN2, recordProgress('n1', 1, 50)],
    ['a node while the task waits', waitingAfterN1, recordProgress('n1', 1, 50)],
  ] as const)('progress from %s is rejected', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test.each([101, -1, 50.5])('progress %d is rejected', (progress) => {
    given(assignedToN1)
      .when(recordProgress('n1', 1, progress))
      .thenThrows(TaskRuleViolation, violation('INVALID_PROGRESS'));
  });

  test.each(terminalHistories)('a %s task rejects progress', (_phase, history) => {
    given(history)
      .when(recordProgress('n1', 1, 99))
      .thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('FinishTask', () => {
  test('the current attempt finishes the task with the function response', () => {
    given(assignedToN1)
      .when(finish('n1', 1))
      .then([finished('n1', 1)]);
    given(assignedToN2)
      .when(finish('n2', 2))
      .then([finished('n2', 2)]);
  });

  test("a failed function response still finishes the task: the status is the function's", () => {
    const response = exampleResponse({ status: 500, body: '' });
    given(assignedToN1)
      .when(finish('n1', 1, response))
      .then([finished('n1', 1, response)]);
  });

  test('repeating the finish yields nothing, whatever its time or header order', () => {
    const response = exampleResponse();
    const reordered = {
      ...response,
      headers: Object.fromEntries(Object.entries(response.headers).reverse()),
    };
    given(finishedByN1)
      .when(finish('n1', 1, reordered, t(35)))
      .thenNothing();
  });

  test('another response from the same attempt after the finish is rejected', () => {
    given(finishedByN1)
      .when(finish('n1', 1, exampleResponse({ status: 201 })))
      .thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });

  test.each([
    ['another node', assignedToN1, finish('n2', 1)],
    ['another attempt', assignedToN1, finish('n1', 2)],
    ['the node of an ended attempt', assignedToN2, finish('n1', 1)],
    ['a node while the task waits', waitingAfterN1, finish('n1', 1)],
  ] as const)('a result from %s is rejected', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test.each([
    ['finished by another node', [...assignedToN2, finished('n2', 2)], finish('n1', 2)],
    ['timed out', timedOut, finish('n1', 1)],
    ['cancelled', cancelledWhileWaiting, finish('n1', 1)],
  ] as const)('a late result for a task %s is rejected', (_case, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('FinishTask under a retry policy', () => {
  // Up to 3 attempts may answer; 5xx and 429 are failed attempts; waits 2 s, then 4 s (at most 5 s).
  const retry = {
    maxAttempts: 3,
    backoff: { initialSeconds: 2, multiplier: 2, maxSeconds: 5 },
    on: ['5xx' as const, 429],
  };
  const retried = taskEvent('TaskIssued', exampleTaskIssuedData({ retry }));
  const serverError = exampleResponse({ status: 503, body: '' });
  const attemptFailed = (
    nodeId: string,
    attempt: number,
    status: number,
    at: string,
    retryAt: string,
  ) => taskEvent('TaskAttemptFailed', { taskId, nodeId, attempt, status, retryAt, at });
  const firstFailed = [retried, assigned('n1', 1), attemptFailed('n1', 1, 503, t(30), t(32))];
  const secondFailed = [
    ...firstFailed,
    assigned('n2', 2, t(33)),
    attemptFailed('n2', 2, 503, t(40), t(44)),
  ];

  test('a retried status on the first attempt fails the attempt, to be retried after the backoff', () => {
    given([retried, assigned('n1', 1)])
      .when(finish('n1', 1, serverError))
      .then([attemptFailed('n1', 1, 503, t(30), t(32))]);
    expect(foldTask(firstFailed)).toMatchObject({
      phase: 'Waiting',
      attempts: [{ attempt: 1, failed: { status: 503, retryAt: t(32), at: t(30) } }],
    });
  });

  test('the backoff grows by the multiplier', () => {
    given([...firstFailed, assigned('n2', 2, t(33))])
      .when(finish('n2', 2, serverError, t(40)))
      .then([attemptFailed('n2', 2, 503, t(40), t(44))]);
  });

  test('the last attempt allowed finishes the task with its answer, retried status or not', () => {
    given([...secondFailed, assigned('n1', 3, t(45))])
      .when(finish('n1', 3, serverError, t(50)))
      .then([finished('n1', 3, serverError, t(50))]);
  });

  test('a success after failed attempts finishes the task', () => {
    given([...secondFailed, assigned('n1', 3, t(45))])
      .when(finish('n1', 3, exampleResponse(), t(50)))
      .then([finished('n1', 3, exampleResponse(), t(50))]);
  });

  test.each([
    ['a status not in `on`', 404],
    ['a success', 200],
  ])('%s finishes the task', (_case, status) => {
    const response = exampleResponse({ status });
    given([retried, assigned('n1', 1)])
      .when(finish('n1', 1, response))
      .then([finished('n1', 1, response)]);
  });

  test('a listed single status is retried', () => {
    given([retried, assigned('n1', 1)])
      .when(finish('n1', 1, exampleResponse({ status: 429 })))
      .then([attemptFailed('n1', 1, 429, t(30), t(32))]);
  });

  test('without a policy, every answer finishes the task', () => {
    given(assignedToN1)
      .when(finish('n1', 1, serverError))
      .then([finished('n1', 1, serverError)]);
  });

  test('the backoff never exceeds maxSeconds', () => {
    const patient = taskEvent(
      'TaskIssued',
      exampleTaskIssuedData({
        retry: {
          maxAttempts: 10,
          backoff: { initialSeconds: 2, multiplier: 10, maxSeconds: 5 },
          on: ['5xx'],
        },
      }),
    );
    given([
      patient,
      assigned('n1', 1),
      attemptFailed('n1', 1, 503, t(30), t(32)),
      assigned('n1', 2, t(33)),
    ])
      .when(finish('n1', 2, serverError, t(40)))
      .then([attemptFailed('n1', 2, 503, t(40), t(45))]);
  });

  test('repeating the report of a failed attempt yields nothing, also once the task moved on', () => {
    given(firstFailed)
      .when(finish('n1', 1, serverError, t(31)))
      .thenNothing();
    given([...firstFailed, assigned('n2', 2, t(33))])
      .when(finish('n1', 1, serverError))
      .thenNothing();
    given([...secondFailed, assigned('n1', 3, t(45)), finished('n1', 3, exampleResponse(), t(50))])
      .when(finish('n1', 1, serverError))
      .thenNothing();
  });

  test('another answer from a failed attempt is rejected: it is not the current one', () => {
    given(firstFailed)
      .when(finish('n1', 1, exampleResponse()))
      .thenThrows(TaskRuleViolation, violation('NOT_CURRENT_ATTEMPT'));
  });

  test("failed attempts spend nothing of the platform's attempts, nor lost ones of the policy's", () => {
    // data.maxAttempts is 2: two failed attempts and a lost one still leave a fourth to assign.
    const lostThird = [
      ...secondFailed,
      assigned('n1', 3, t(45)),
      unassigned('n1', 3, 'NODE_LOST', t(46)),
    ];
    given(lostThird)
      .when(assign('n2', 4, t(47)))
      .then([assigned('n2', 4, t(47))]);
    // ... and the fourth's answer is the third of the policy's: the last one, so it finishes.
    given([...lostThird, assigned('n2', 4, t(47))])
      .when(finish('n2', 4, serverError, t(50)))
      .then([finished('n2', 4, serverError, t(50))]);
  });

  test('losing the node after failed attempts still fails the task on the last platform attempt', () => {
    const lostThirdAndFourth = [
      ...secondFailed,
      assigned('n1', 3, t(45)),
      unassigned('n1', 3, 'NODE_LOST', t(46)),
      assigned('n2', 4, t(47)),
    ];
    given(lostThirdAndFourth)
      .when(unassign('n2', 4, 'NODE_LOST', t(50)))
      .then([
        unassigned('n2', 4, 'NODE_LOST', t(50)),
        failed(
          'NODE_LOST',
          502,
          'attempt 4 ended on node n2 (NODE_LOST) and all 2 attempts allowed were spent',
          t(50),
        ),
      ]);
  });

  test('evolve ignores a failed attempt that is not the current one', () => {
    const state = foldTask([retried, assigned('n1', 1)]);
    expect(taskDecider.evolve(state, attemptFailed('n1', 2, 503, t(30), t(32)))).toBe(state);
  });
});

describe('FailTask', () => {
  test('TIMEOUT fails an assigned task with 504', () => {
    given(assignedToN1)
      .when(fail('TIMEOUT', 'ran longer than 10 s'))
      .then([failed('TIMEOUT', 504, 'ran longer than 10 s')]);
  });

  test('TIMEOUT is rejected while the task waits', () => {
    given(waiting)
      .when(fail('TIMEOUT'))
      .thenThrows(TaskRuleViolation, violation('INVALID_TRANSITION'));
    given(waitingAfterN1)
      .when(fail('TIMEOUT'))
      .thenThrows(TaskRuleViolation, violation('INVALID_TRANSITION'));
  });

  test('NO_RUNNER fails a waiting task with 503', () => {
    given(waiting)
      .when(fail('NO_RUNNER', 'no node matched in 60 s'))
      .then([failed('NO_RUNNER', 503, 'no node matched in 60 s')]);
    given(waitingAfterN1)
      .when(fail('NO_RUNNER'))
      .then([failed('NO_RUNNER', 503, 'failed: NO_RUNNER')]);
  });

  test('NO_RUNNER is rejected while the task is assigned', () => {
    given(assignedToN1)
      .when(fail('NO_RUNNER'))
      .thenThrows(TaskRuleViolation, violation('INVALID_TRANSITION'));
  });

  test('NODE_LOST fails a task on its last attempt with 502', () => {
    given(assignedToN2)
      .when(fail('NODE_LOST', 'node n2 lost'))
      .then([failed('NODE_LOST', 502, 'node n2 lost')]);
  });

  test.each([
    ['an earlier attempt', assignedToN1],
    ['a waiting task', waitingAfterN1],
  ] as const)('NODE_LOST is rejected on %s: unassigning retries instead', (_case, history) => {
    given(history)
      .when(fail('NODE_LOST'))
      .thenThrows(TaskRuleViolation, violation('INVALID_TRANSITION'));
  });

  test.each([
    ['waiting', waiting],
    ['assigned', assignedToN1],
    ['waiting after an attempt', waitingAfterN1],
  ] as const)('CANCELLED fails a %s task with 499', (_phase, history) => {
    given(history)
      .when(fail('CANCELLED', 'cancelled by its owner'))
      .then([failed('CANCELLED', 499, 'cancelled by its owner')]);
  });

  test.each([
    ['timed out', timedOut, fail('TIMEOUT', 'another message', t(45))],
    ['cancelled', cancelledWhileWaiting, fail('CANCELLED')],
    ['failed on its last attempt', lostOnLastAttempt, fail('NODE_LOST')],
  ] as const)('repeating the failure of a %s task yields nothing', (_phase, history, command) => {
    given(history).when(command).thenNothing();
  });

  test.each([
    ['finished', finishedByN1, fail('CANCELLED')],
    ['finished', finishedByN1, fail('TIMEOUT')],
    ['timed out', timedOut, fail('CANCELLED')],
    ['cancelled', cancelledWhileWaiting, fail('NO_RUNNER')],
    ['failed on its last attempt', lostOnLastAttempt, fail('CANCELLED')],
  ] as const)('a %s task rejects %#', (_phase, history, command) => {
    given(history).when(command).thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('CancelTask', () => {
  test('fails a waiting task with CANCELLED, 499', () => {
    given(waiting)
      .when(cancel())
      .then([failed('CANCELLED', 499, 'cancelled by its owner while it waited for a node')]);
  });

  test('fails a waiting task that had an attempt before', () => {
    given(waitingAfterN1)
      .when(cancel())
      .then([failed('CANCELLED', 499, 'cancelled by its owner while it waited for a node')]);
  });

  test('fails a running task, naming the attempt that ran', () => {
    given(assignedToN2)
      .when(cancel())
      .then([failed('CANCELLED', 499, 'cancelled by its owner while attempt 2 ran')]);
  });

  test('after progress, the cancelled task keeps it', () => {
    const state = foldTask([
      ...assignedToN1,
      progressed('n1', 1, 40),
      failed('CANCELLED', 499, 'cancelled', t(41)),
    ]);
    expect(state).toMatchObject({ phase: 'Failed', progress: 40 });
  });

  test.each([
    ['a waiting', cancelledWhileWaiting],
    [
      'a running',
      [...assignedToN1, failed('CANCELLED', 499, 'cancelled by its owner while attempt 1 ran')],
    ],
  ] as const)('cancelling %s task again yields nothing, at any time', (_case, history) => {
    given(history)
      .when(cancel(data.accountId, t(99)))
      .thenNothing();
  });

  test.each([
    ['finished', finishedByN1],
    ['timed out', timedOut],
    ['failed on its last attempt', lostOnLastAttempt],
  ] as const)('a %s task stays as it ended: TASK_TERMINAL', (_case, history) => {
    given(history).when(cancel()).thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });

  test.each([['waiting', waiting], ['assigned', assignedToN1], ...terminalHistories] as const)(
    "another account's %s task is as unknown as a missing one",
    (_case, history) => {
      given(history)
        .when(cancel('6404b3da46551827c611ffe6'))
        .thenThrows(TaskRuleViolation, violation('TASK_NOT_FOUND'));
    },
  );

  test('a task never issued is not found', () => {
    given([]).when(cancel()).thenThrows(TaskRuleViolation, violation('TASK_NOT_FOUND'));
  });

  test('the result of the cancelled attempt is refused for good', () => {
    given([...assignedToN1, failed('CANCELLED', 499, 'cancelled')])
      .when(finish('n1', 1))
      .thenThrows(TaskRuleViolation, violation('TASK_TERMINAL'));
  });
});

describe('evolve', () => {
  test('folds a whole lifecycle', () => {
    const state = foldTask([...assignedToN2, progressed('n2', 2, 80), finished('n2', 2)]);
    expect(state).toEqual({
      phase: 'Finished',
      task: data,
      attempts: [
        {
          attempt: 1,
          nodeId: 'n1',
          assignedAt: t(10),
          unassigned: { reason: 'NODE_LOST', at: t(20) },
          failed: null,
        },
        { attempt: 2, nodeId: 'n2', assignedAt: t(10), unassigned: null, failed: null },
      ],
      progress: 80,
      finished: { nodeId: 'n2', attempt: 2, response: exampleResponse(), finishedAt: t(30) },
    });
  });

  test('nothing changes a terminal task', () => {
    const terminal = foldTask(finishedByN1);
    for (const late of [
      assigned('n2', 2),
      progressed('n1', 1, 99),
      failed('TIMEOUT', 504, 'late'),
      issued,
    ]) {
      expect(taskDecider.evolve(terminal, late)).toBe(terminal);
    }
  });

  test('a stored progress lower than the one reached does not take progress back', () => {
    expect(
      foldTask([...assignedToN1, progressed('n1', 1, 60), progressed('n1', 1, 20)]).phase,
    ).toBe('Assigned');
    expect(
      foldTask([...assignedToN1, progressed('n1', 1, 60), progressed('n1', 1, 20)]),
    ).toMatchObject({ progress: 60 });
  });

  test('events before TaskIssued are ignored', () => {
    expect(foldTask([assigned('n1', 1), issued])).toEqual(foldTask([issued]));
  });

  test('an unassignment of another attempt than the current one is ignored', () => {
    const state = foldTask(assignedToN1);
    expect(taskDecider.evolve(state, unassigned('n1', 2))).toBe(state);
  });
});
