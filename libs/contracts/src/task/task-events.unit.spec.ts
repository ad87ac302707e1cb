import { exampleTaskId, exampleTaskIssuedData, fieldRejected } from '../testing/index.js';
import { parseTaskEvent, taskEvent, taskEventTypes } from './task-events.js';
import type { TaskEvent } from './task-events.js';

const taskId = exampleTaskId;
const at = '2024-06-22T21:05:48Z';
const response = {
  status: 200,
  contentType: 'text/plain',
  headers: { 'x-run': '1' },
  body: 'aGk=',
};

const validEvents: TaskEvent[] = [
  taskEvent('TaskIssued', exampleTaskIssuedData({ issuedAt: at })),
  taskEvent('TaskAssigned', { taskId, nodeId: 'node-1', attempt: 1, assignedAt: at }),
  taskEvent('TaskUnassigned', {
    taskId,
    nodeId: 'node-1',
    attempt: 1,
    reason: 'START_DEADLINE_MISSED',
    at,
  }),
  taskEvent('TaskProgressed', { taskId, nodeId: 'node-1', attempt: 2, progress: 100, at }),
  taskEvent('TaskAttemptFailed', {
    taskId,
    nodeId: 'node-1',
    attempt: 2,
    status: 503,
    retryAt: '2024-06-22T21:05:50Z',
    at,
  }),
  taskEvent('TaskFinished', { taskId, nodeId: 'node-1', attempt: 2, response, finishedAt: at }),
  taskEvent('TaskFailed', {
    taskId,
    reason: 'CANCELLED',
    status: 499,
    message: 'cancelled by its owner',
    at,
  }),
];

const byType = (type: TaskEvent['type']): TaskEvent => {
  const found = validEvents.find((event) => event.type === type);
  if (found === undefined) throw new Error(`no sample ${type}`);
  return found;
};

/** A copy of `value` with the field at the dotted `path` replaced, or removed when `replacement` is `REMOVED`. */
const REMOVED = Symbol('removed');
function changed(value: unknown, path: string, replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop() as string;
  const parent = keys.reduce<Record<string, unknown>>(
    (node, key) => node[key] as Record<string, unknown>,
    copy,
  );
  if (replacement === REMOVED) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

describe('task events', () => {
  test('every event type has a valid sample', () => {
    expect(validEvents.map((event) => event.type)).toEqual(taskEventTypes);
  });

  test.each(validEvents.map((event) => [event.type, event] as const))(
    'accepts a valid %s unchanged',
    (_type, event) => {
      expect(parseTaskEvent(structuredClone(event))).toEqual(event);
    },
  );

  test('a TaskIssued recorded before functions had versions was issued against version 1', () => {
    const issued = byType('TaskIssued');
    expect(parseTaskEvent(changed(issued, 'data.functionVersion', REMOVED))).toEqual(
      changed(issued, 'data.functionVersion', 1),
    );
  });

  test('events carry schemaVersion 1 in their metadata', () => {
    expect(validEvents.every((event) => event.metadata.schemaVersion === 1)).toBe(true);
  });

  test.each([
    ['TaskIssued', 'data.scheduleId', '6677391a241c7178b29e4a4a', null],
    ['TaskIssued', 'data.request.contentType', null, null],
    ['TaskIssued', 'data.request.body', '', null],
    ['TaskIssued', 'data.request.query', '', null],
    ['TaskIssued', 'data.requirements.networkLatency', 250, null],
    ['TaskIssued', 'data.requirements.privileged', true, null],
    ['TaskIssued', 'data.functionVersion', 7, null],
    ['TaskIssued', 'data.issuedAt', '2024-06-22T21:05:48.123456Z', null],
    ['TaskProgressed', 'data.progress', 0, null],
    ['TaskIssued', 'data.priority', 0, null],
    ['TaskIssued', 'data.priority', 9, null],
    ['TaskIssued', 'data.notBefore', '2024-06-22T22:00:00Z', null],
    [
      'TaskIssued',
      'data.retry',
      {
        maxAttempts: 3,
        backoff: { initialSeconds: 0.5, multiplier: 2, maxSeconds: 60 },
        on: ['5xx', 429],
      },
      null,
    ],
    ['TaskFinished', 'data.response.status', 599, null],
    ['TaskFinished', 'data.response.status', 100, null],
    ['TaskFinished', 'data.response.contentType', null, null],
    ['TaskFinished', 'data.response.headers', {}, null],
    ['TaskFailed', 'data.reason', 'TIMEOUT', 504],
    ['TaskFailed', 'data.reason', 'NO_RUNNER', 503],
    ['TaskFailed', 'data.reason', 'NODE_LOST', 502],
  ] as const)('accepts %s with %s = %j', (type, path, value, status: number | null) => {
    const event = changed(byType(type), path, value);
    const withStatus = status === null ? event : changed(event, 'data.status', status);
    expect(parseTaskEvent(withStatus)).toEqual(withStatus);
  });

  test.each([
    ['an unknown type', 'TaskAssigned', 'type', 'TaskStolen', 'type'],
    ['a missing type', 'TaskAssigned', 'type', REMOVED, 'type'],
    [
      'an unsupported schema version',
      'TaskAssigned',
      'metadata.schemaVersion',
      2,
      'metadata.schemaVersion',
    ],
    ['missing metadata', 'TaskAssigned', 'metadata', REMOVED, 'metadata'],
    ['missing data', 'TaskAssigned', 'data', REMOVED, 'data'],
    ['an upper-case task id', 'TaskIssued', 'data.taskId', taskId.toUpperCase(), 'data.taskId'],
    ['a short account id', 'TaskIssued', 'data.accountId', 'abc', 'data.accountId'],
    [
      'a function id that is not hex',
      'TaskIssued',
      'data.functionId',
      'zz05848581b16f7a07cd4c48',
      'data.functionId',
    ],
    ['a missing schedule id', 'TaskIssued', 'data.scheduleId', REMOVED, 'data.scheduleId'],
    [
      'a query that starts with "?"',
      'TaskIssued',
      'data.request.query',
      '?a=1',
      'data.request.query',
    ],
    [
      'an empty content type',
      'TaskIssued',
      'data.request.contentType',
      '',
      'data.request.contentType',
    ],
    [
      'a body that is not base64',
      'TaskIssued',
      'data.request.body',
      '{"a":1}',
      'data.request.body',
    ],
    [
      'a negative cpu count',
      'TaskIssued',
      'data.requirements.cpuCount',
      -1,
      'data.requirements.cpuCount',
    ],
    [
      'a fractional memory size',
      'TaskIssued',
      'data.requirements.memSize',
      0.5,
      'data.requirements.memSize',
    ],
    [
      'a negative latency',
      'TaskIssued',
      'data.requirements.networkLatency',
      -5,
      'data.requirements.networkLatency',
    ],
    [
      'privileged as a string',
      'TaskIssued',
      'data.requirements.privileged',
      'true',
      'data.requirements.privileged',
    ],
    ['a zero timeout', 'TaskIssued', 'data.timeout', 0, 'data.timeout'],
    ['function version zero', 'TaskIssued', 'data.functionVersion', 0, 'data.functionVersion'],
    [
      'a fractional function version',
      'TaskIssued',
      'data.functionVersion',
      1.5,
      'data.functionVersion',
    ],
    ['zero attempts', 'TaskIssued', 'data.maxAttempts', 0, 'data.maxAttempts'],
    ['a zero pending deadline', 'TaskIssued', 'data.pendingDeadline', 0, 'data.pendingDeadline'],
    ['a local time', 'TaskIssued', 'data.issuedAt', '2024-06-22T21:05:48', 'data.issuedAt'],
    [
      'a time with an offset',
      'TaskIssued',
      'data.issuedAt',
      '2024-06-22T23:05:48+02:00',
      'data.issuedAt',
    ],
    ['unix seconds as the time', 'TaskIssued', 'data.issuedAt', '1678087212', 'data.issuedAt'],
    ['a node id with a dot', 'TaskAssigned', 'data.nodeId', 'node.1', 'data.nodeId'],
    ['a node id with a wildcard', 'TaskAssigned', 'data.nodeId', 'node>', 'data.nodeId'],
    ['attempt zero', 'TaskAssigned', 'data.attempt', 0, 'data.attempt'],
    [
      'an impossible date',
      'TaskAssigned',
      'data.assignedAt',
      '2025-24-03T00:00:00Z',
      'data.assignedAt',
    ],
    ['an unknown unassign reason', 'TaskUnassigned', 'data.reason', 'TIMEOUT', 'data.reason'],
    ['progress above 100', 'TaskProgressed', 'data.progress', 101, 'data.progress'],
    ['negative progress', 'TaskProgressed', 'data.progress', -1, 'data.progress'],
    ['a status below 100', 'TaskFinished', 'data.response.status', 99, 'data.response.status'],
    ['a status above 599', 'TaskFinished', 'data.response.status', 600, 'data.response.status'],
    [
      'a header that is not a string',
      'TaskFinished',
      'data.response.headers.x-run',
      1,
      'data.response.headers.x-run',
    ],
    [
      'a response body that is not base64',
      'TaskFinished',
      'data.response.body',
      'hi!',
      'data.response.body',
    ],
    ['a priority above 9', 'TaskIssued', 'data.priority', 10, 'data.priority'],
    ['a fractional priority', 'TaskIssued', 'data.priority', 4.5, 'data.priority'],
    ['a local notBefore', 'TaskIssued', 'data.notBefore', '2024-06-22T22:00:00', 'data.notBefore'],
    [
      'a retry policy with 21 attempts',
      'TaskIssued',
      'data.retry',
      {
        maxAttempts: 21,
        backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 60 },
        on: ['5xx'],
      },
      'data.retry.maxAttempts',
    ],
    [
      'a retry of a 2xx status',
      'TaskIssued',
      'data.retry',
      { maxAttempts: 2, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 60 }, on: [200] },
      'data.retry.on.0',
    ],
    [
      'a failed attempt without retryAt',
      'TaskAttemptFailed',
      'data.retryAt',
      REMOVED,
      'data.retryAt',
    ],
    ['an unknown failure reason', 'TaskFailed', 'data.reason', 'CRASHED', 'data.reason'],
    ['a status that does not match the reason', 'TaskFailed', 'data.status', 500, 'data.status'],
    ['a missing message', 'TaskFailed', 'data.message', REMOVED, 'data.message'],
  ] as const)('rejects %s', (_case, type, path, value, field) => {
    expect(fieldRejected(parseTaskEvent, changed(byType(type), path, value))).toBe(field);
  });

  test.each([null, 'TaskIssued', [], 7])('rejects %j as a whole', (value) => {
    expect(fieldRejected(parseTaskEvent, value)).toBe('');
  });

  test('explains a mismatched failure status', () => {
    expect(() => parseTaskEvent(changed(byType('TaskFailed'), 'data.status', 504))).toThrow(
      'Invalid task event: data.status must be 499 for reason CANCELLED',
    );
  });
});
