import {
  describeViolations,
  dispatchBackAt,
  judge,
  overbookedNodes,
  parseExecutionLog,
  staleEpochAssignments,
  type LoggedEvent,
} from './invariants.js';

let position = 0n;
function event(
  streamId: string,
  type: string,
  data: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
  recordedAt = 0,
): LoggedEvent {
  position += 1n;
  return { position, streamId, type, data, metadata, recordedAt };
}
const assigned = (taskId: string, nodeId: string, attempt: number, epoch = 1, at = 0) =>
  event(`task-${taskId}`, 'TaskAssigned', { taskId, nodeId, attempt }, { epoch }, at);
const finished = (taskId: string, nodeId: string, attempt: number) =>
  event(`task-${taskId}`, 'TaskFinished', { taskId, nodeId, attempt });
const issued = (taskId: string, at = 0) =>
  event(`task-${taskId}`, 'TaskIssued', { taskId }, {}, at);

describe('judging a fault', () => {
  test('a task acknowledged, finished with its body, run once is no violation', () => {
    const judgement = judge({
      acknowledged: [{ taskId: 'a', body: 'x', acknowledgedAt: 0, result: 'x' }],
      events: [issued('a'), assigned('a', 'n1', 1), finished('a', 'n1', 1)],
      executions: [{ taskId: 'a', attempt: 1 }],
      slotsByNode: new Map([['n1', 1]]),
      killedNodes: new Set(),
    });
    expect(judgement.count).toBe(0);
    expect(judgement.maxRunsPerTask).toBe(1);
    expect(describeViolations(judgement.violations)).toBe('none');
  });

  test('lost, unfinished, failed, wrong results and repeated runs are each counted', () => {
    const judgement = judge({
      acknowledged: [
        { taskId: 'lost', body: 'x', acknowledgedAt: 0, result: undefined },
        { taskId: 'open', body: 'x', acknowledgedAt: 0, result: undefined },
        { taskId: 'failed', body: 'x', acknowledgedAt: 0, result: undefined },
        { taskId: 'wrong', body: 'x', acknowledgedAt: 0, result: 'y' },
      ],
      events: [
        issued('open'),
        issued('failed'),
        event('task-failed', 'TaskFailed', { taskId: 'failed', reason: 'TIMEOUT' }),
        issued('wrong'),
        assigned('wrong', 'n1', 1),
        finished('wrong', 'n1', 1),
        event('node-n2', 'NodeLost', { nodeId: 'n2' }),
        event('node-n3', 'NodeLost', { nodeId: 'n3' }),
      ],
      executions: [
        { taskId: 'wrong', attempt: 1 },
        { taskId: 'wrong', attempt: 1 },
      ],
      slotsByNode: new Map(),
      killedNodes: new Set(['n3']),
    });
    expect(judgement.violations).toMatchObject({
      lost: ['lost'],
      unfinished: ['open'],
      failed: [{ taskId: 'failed', reason: 'TIMEOUT' }],
      wrongResult: ['wrong'],
      moreRunsThanAttempts: ['wrong'],
      attemptRanTwice: ['wrong attempt 1'],
      liveNodesLost: ['n2'],
    });
    expect(describeViolations(judgement.violations)).toBe(
      'lost 1; unfinished 1; failed 1 TIMEOUT; wrong result 1; runs > attempts 1; attempt ran twice 1; live nodes lost 1',
    );
  });
});

test('a node holding more attempts at once than its slots is overbooked; ends free a slot', () => {
  const events = [
    assigned('a', 'n1', 1),
    assigned('b', 'n1', 1),
    finished('a', 'n1', 1),
    assigned('c', 'n1', 1),
    event('task-b', 'TaskUnassigned', { taskId: 'b', nodeId: 'n1', attempt: 1 }),
    assigned('b', 'n1', 2),
  ];
  expect(overbookedNodes(events, new Map([['n1', 2]]))).toEqual([]);
  const refused = event('task-d', 'TaskUnassigned', {
    taskId: 'd',
    nodeId: 'n1',
    attempt: 1,
    reason: 'REJECTED',
  });
  expect(
    overbookedNodes(
      [...events, assigned('d', 'n1', 1), refused, finished('c', 'n1', 1)],
      new Map([['n1', 2]]),
    ),
  ).toEqual([
    {
      nodeId: 'n1',
      held: 3,
      attempts: ['c:1 TaskFinished', 'b:2 open', 'd:1 TaskUnassigned REJECTED'],
    },
  ]);
});

test('an assignment recorded under a lower epoch than an earlier one is stale', () => {
  expect(
    staleEpochAssignments([
      assigned('a', 'n1', 1, 1),
      assigned('b', 'n1', 1, 2),
      assigned('c', 'n1', 1, 2),
    ]),
  ).toEqual([]);
  expect(staleEpochAssignments([assigned('a', 'n1', 1, 2), assigned('b', 'n1', 1, 1)])).toEqual([
    expect.stringMatching(/^b attempt 1 \(epoch 1 at \d+ after 2\)$/),
  ]);
});

test('dispatching is back once the last task that waited long for a node got one', () => {
  const events = [
    issued('a', 1_000),
    assigned('a', 'n1', 1, 1, 1_100),
    issued('b', 2_000),
    assigned('b', 'n1', 1, 1, 6_000),
    issued('c', 3_000),
    assigned('c', 'n1', 1, 1, 6_500),
    issued('d', 7_000),
    assigned('d', 'n1', 1, 1, 7_050),
  ];
  expect(dispatchBackAt(events, 2_000)).toBe(6_500);
  expect(dispatchBackAt(events.slice(0, 2), 2_000)).toBeUndefined();
});

test('the execution log is one task id and attempt per line', () => {
  expect(parseExecutionLog('a 1\nb 2\n\nnot a line\n')).toEqual([
    { taskId: 'a', attempt: 1 },
    { taskId: 'b', attempt: 2 },
  ]);
});
