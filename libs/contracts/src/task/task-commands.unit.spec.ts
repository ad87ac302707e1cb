import { ContractViolationError } from '../contract-violation.js';
import { fieldRejected } from '../testing/index.js';
import {
  parseIssueTask,
  parseTaskCommand,
  taskCommand,
  taskCommandTypes,
} from './task-commands.js';
import type { TaskCommand } from './task-commands.js';

const taskId = '6405942c9956fae80d7e0e91';
const now = '2024-06-22T21:05:48.000Z';

const validCommands: TaskCommand[] = [
  taskCommand('IssueTask', {
    taskId,
    accountId: '6404b3da46551827c611ffe5',
    functionId: '6405848581b16f7a07cd4c48',
    functionVersion: 1,
    scheduleId: '6677391a241c7178b29e4a4a',
    request: { query: '', contentType: null, body: '' },
    requirements: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
    timeout: 1,
    maxAttempts: 1,
    pendingDeadline: 1,
    issuedAt: now,
  }),
  taskCommand('AssignTask', { taskId, nodeId: 'n1', attempt: 1, now }),
  taskCommand('UnassignTask', { taskId, nodeId: 'n1', attempt: 1, reason: 'NODE_LOST', now }),
  taskCommand('RecordProgress', { taskId, nodeId: 'n1', attempt: 1, progress: 40, now }),
  taskCommand('FinishTask', {
    taskId,
    nodeId: 'n1',
    attempt: 1,
    response: { status: 204, contentType: null, headers: {}, body: '' },
    now,
  }),
  taskCommand('FailTask', { taskId, reason: 'TIMEOUT', message: 'ran longer than 1 s', now }),
  taskCommand('CancelTask', { taskId, accountId: '6404b3da46551827c611ffe5', now }),
];

/** A fresh copy of the valid sample, loosely typed so that tests can break it. */
const sample = (
  type: TaskCommand['type'],
): { type: string; data: Record<string, unknown>; metadata: unknown } => {
  const found = validCommands.find((command) => command.type === type);
  if (found === undefined) throw new Error(`no sample ${type}`);
  return structuredClone(found);
};

describe('task commands', () => {
  test('every command type has a valid sample', () => {
    expect(validCommands.map((command) => command.type)).toEqual(taskCommandTypes);
  });

  test.each(validCommands.map((command) => [command.type, command] as const))(
    'accepts a valid %s unchanged',
    (_type, command) => {
      expect(parseTaskCommand(structuredClone(command))).toEqual(command);
    },
  );

  test('parseIssueTask accepts only IssueTask', () => {
    expect(parseIssueTask(sample('IssueTask'))).toEqual(sample('IssueTask'));
    expect(() => parseIssueTask(sample('AssignTask'))).toThrow(ContractViolationError);
  });

  test.each([
    ['AssignTask', 'nodeId', 'a b'],
    ['AssignTask', 'attempt', 0],
    ['AssignTask', 'now', 'yesterday'],
    ['AssignTask', 'now', undefined],
    ['UnassignTask', 'reason', 'CANCELLED'],
    ['RecordProgress', 'progress', 100.5],
    ['RecordProgress', 'taskId', '6405942c9956fae80d7e0e9'],
    ['FinishTask', 'response', { status: 200, contentType: null, headers: {} }],
    ['FailTask', 'reason', 'REJECTED'],
    ['FailTask', 'message', null],
    ['IssueTask', 'maxAttempts', -1],
    ['CancelTask', 'accountId', 'someone'],
    ['CancelTask', 'now', undefined],
  ] as const)('rejects %s with an invalid %s', (type, key, value) => {
    const command = sample(type);
    command.data[key] = value;
    expect(fieldRejected(parseTaskCommand, command)).toMatch(new RegExp(`^data\\.${key}`));
  });

  test('FailTask takes no status: the domain derives it from the reason', () => {
    const command = sample('FailTask');
    command.data['status'] = 418;
    expect(parseTaskCommand(command)).toEqual(sample('FailTask'));
  });

  test('rejects an unknown command type and an unsupported schema version', () => {
    expect(fieldRejected(parseTaskCommand, { ...sample('AssignTask'), type: 'StealTask' })).toBe(
      'type',
    );
    expect(
      fieldRejected(parseTaskCommand, { ...sample('AssignTask'), metadata: { schemaVersion: 2 } }),
    ).toBe('metadata.schemaVersion');
  });
});
