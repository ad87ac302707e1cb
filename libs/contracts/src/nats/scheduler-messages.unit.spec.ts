import { fieldRejected } from '../testing/index.js';
import { parseAssignment, parseAssignmentReply, parseCancellation } from './assignment-messages.js';
import { parseIssueTaskReply } from './issue-task-messages.js';
import { parseCancelTaskReply, parseCancelTaskRequest } from './cancel-task-messages.js';
import {
  parseFunctionChangedNotice,
  parseFunctionChangedReply,
} from './function-change-messages.js';
import { parseTaskEventNotice } from './task-event-notice.js';
import { parseTaskNotification } from './task-notification.js';

const taskId = '6405942c9956fae80d7e0e91';
const assignment = {
  taskId,
  attempt: 1,
  functionId: '6405848581b16f7a07cd4c48',
  accountId: '6404b3da46551827c611ffe5',
  runtime: { image: 'ghcr.io/acme/fn:1', env: { MODE: 'fast' }, args: ['--x', 1, null, true] },
  request: { query: 'a=1', contentType: 'application/json', body: 'e30=' },
  timeout: 30,
  startBy: '2024-06-22T21:06:48Z',
  epoch: 3,
};

describe('gateway ↔ scheduler', () => {
  test('IssueTask replies', () => {
    expect(parseIssueTaskReply({ ok: true, taskId })).toEqual({ ok: true, taskId });
    const invalid = {
      ok: false,
      error: { code: 'CONTRACT_VIOLATION', message: 'bad body', field: 'request.body' },
    };
    expect(parseIssueTaskReply(invalid)).toEqual(invalid);
    expect(fieldRejected(parseIssueTaskReply, { ok: true })).toBe('taskId');
    expect(fieldRejected(parseIssueTaskReply, { ok: false, error: { code: 'X' } })).toBe(
      'error.message',
    );
  });
});

describe('FunctionChanged', () => {
  const functionId = '6405848581b16f7a07cd4c48';

  test('notices name the function and the version its stream is at', () => {
    expect(parseFunctionChangedNotice({ functionId, version: 2 })).toEqual({
      functionId,
      version: 2,
    });
    expect(fieldRejected(parseFunctionChangedNotice, { functionId })).toBe('version');
    expect(fieldRejected(parseFunctionChangedNotice, { functionId, version: 0 })).toBe('version');
    expect(fieldRejected(parseFunctionChangedNotice, { functionId, version: 1.5 })).toBe('version');
    expect(fieldRejected(parseFunctionChangedNotice, { functionId: 'f', version: 2 })).toBe(
      'functionId',
    );
  });

  test('replies say the version held, or why the leader could not act', () => {
    expect(parseFunctionChangedReply({ ok: true, version: 0 })).toEqual({ ok: true, version: 0 });
    const refused = { ok: false, error: { code: 'UNAVAILABLE', message: 'no store' } };
    expect(parseFunctionChangedReply(refused)).toEqual(refused);
    expect(fieldRejected(parseFunctionChangedReply, { ok: true })).toBe('version');
    expect(fieldRejected(parseFunctionChangedReply, { ok: true, version: -1 })).toBe('version');
  });
});

describe('CancelTask', () => {
  const accountId = '6404b3da46551827c611ffe5';
  const at = '2024-06-22T21:06:48Z';

  test('requests name the task and the account', () => {
    expect(parseCancelTaskRequest({ taskId, accountId })).toEqual({ taskId, accountId });
    expect(fieldRejected(parseCancelTaskRequest, { taskId })).toBe('accountId');
    expect(fieldRejected(parseCancelTaskRequest, { taskId: 'x', accountId })).toBe('taskId');
  });

  test.each([
    { kind: 'CANCELLED', at },
    { kind: 'FINISHED', status: 200, at },
    { kind: 'FAILED', reason: 'TIMEOUT', status: 504, at },
  ])('replies say how the task ended: %j', (ending) => {
    expect(parseCancelTaskReply({ ok: true, taskId, ending })).toEqual({
      ok: true,
      taskId,
      ending,
    });
  });

  test('a failure other than the cancellation names its reason', () => {
    expect(
      fieldRejected(parseCancelTaskReply, {
        ok: true,
        taskId,
        ending: { kind: 'FAILED', reason: 'CANCELLED', status: 499, at },
      }),
    ).toBe('ending.reason');
  });

  test('event notices carry a stream version', () => {
    expect(parseTaskEventNotice({ taskId, streamVersion: 3 })).toEqual({
      taskId,
      streamVersion: 3,
    });
    expect(fieldRejected(parseTaskEventNotice, { taskId, streamVersion: 0 })).toBe('streamVersion');
  });
});

describe('scheduler → node', () => {
  test('accepts an assignment with any JSON runtime spec', () => {
    expect(parseAssignment(structuredClone(assignment))).toEqual(assignment);
    expect(parseAssignment({ ...assignment, runtime: 'wasm:fn' })).toEqual({
      ...assignment,
      runtime: 'wasm:fn',
    });
    expect(parseAssignment({ ...assignment, runtime: null })).toEqual({
      ...assignment,
      runtime: null,
    });
  });

  test('explains what is wrong with the runtime', () => {
    expect(() => parseAssignment({ ...assignment, runtime: undefined })).toThrow(
      'Invalid assignment: runtime is required',
    );
    expect(() => parseAssignment({ ...assignment, runtime: { run: () => 1 } })).toThrow(
      'Invalid assignment: runtime must be a JSON value',
    );
  });

  test('rejects a cyclic runtime instead of looping', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(fieldRejected(parseAssignment, { ...assignment, runtime: cyclic })).toBe('runtime');
  });

  test.each([
    ['a runtime that is not JSON', { ...assignment, runtime: undefined }, 'runtime'],
    ['a runtime holding a function', { ...assignment, runtime: { run: () => 1 } }, 'runtime'],
    ['a runtime holding NaN', { ...assignment, runtime: [1, Number.NaN] }, 'runtime'],
    ['a runtime holding a date', { ...assignment, runtime: { at: new Date(0) } }, 'runtime'],
    [
      'a request body that is not base64',
      { ...assignment, request: { ...assignment.request, body: '{}' } },
      'request.body',
    ],
    ['a start deadline that is not a UTC time', { ...assignment, startBy: 'soon' }, 'startBy'],
    ['a zero timeout', { ...assignment, timeout: 0 }, 'timeout'],
    ['a bad account id', { ...assignment, accountId: 'acme' }, 'accountId'],
  ])('rejects an assignment with %s', (_case, value, field) => {
    expect(fieldRejected(parseAssignment, value)).toBe(field);
  });

  test('assignment replies accept or reject with a reason', () => {
    expect(parseAssignmentReply({ accepted: true })).toEqual({ accepted: true });
    expect(parseAssignmentReply({ accepted: false, reason: 'no free slot' })).toEqual({
      accepted: false,
      reason: 'no free slot',
    });
    expect(fieldRejected(parseAssignmentReply, { accepted: false })).toBe('reason');
    expect(fieldRejected(parseAssignmentReply, {})).toBe('accepted');
  });

  test.each(['TIMEOUT', 'CANCELLED', 'NODE_LOST', 'START_DEADLINE_MISSED', 'NODE_DISABLED'])(
    'cancels for %s',
    (reason) => {
      expect(parseCancellation({ taskId, attempt: 2, reason })).toEqual({
        taskId,
        attempt: 2,
        reason,
      });
    },
  );

  test('rejects a cancellation with an unknown reason', () => {
    expect(fieldRejected(parseCancellation, { taskId, attempt: 2, reason: 'BORED' })).toBe(
      'reason',
    );
  });
});

describe('projector → gateways', () => {
  test('task notifications name a terminal state', () => {
    expect(parseTaskNotification({ taskId, state: 'FINISHED' })).toEqual({
      taskId,
      state: 'FINISHED',
    });
    expect(fieldRejected(parseTaskNotification, { taskId, state: 'RUNNING' })).toBe('state');
    expect(fieldRejected(parseTaskNotification, { taskId: 'abc', state: 'FAILED' })).toBe('taskId');
  });
});
