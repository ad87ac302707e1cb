import { functionEvent, parseIssueTask } from '@canopy/contracts';
import type { IssueTaskRequest } from '@canopy/contracts';
import { isIssuedBy, issueTaskCommand } from './issue-task-command.js';

const accountId = '64057f3c9956fae80d7e0e84';
const registered = functionEvent('FunctionRegistered', {
  functionId: '6405848581b16f7a07cd4c48',
  accountId,
  name: 'hello',
  description: '',
  lang: 'sh',
  type: 'process',
  capabilities: { timeout: 15, cpuCount: 2, memSize: 256, networkLatency: 40, privileged: true },
  runtime: { kind: 'process', command: '/bin/echo' },
  registeredAt: '2026-11-29T10:00:00Z',
});
const request: IssueTaskRequest = {
  taskId: '6405942c9956fae80d7e0e91',
  accountId,
  functionId: registered.data.functionId,
  scheduleId: null,
  request: { query: 'a=1', contentType: 'text/plain', body: 'aGk=' },
  issuedAt: '2026-12-01T10:00:00.000Z',
};

const version1 = { ...registered.data, version: 1 };

describe('issuing a task', () => {
  test('requirements and timeout come from the function, attempts and deadline from the policy', () => {
    const command = issueTaskCommand(request, version1, {
      maxAttempts: 4,
      pendingDeadlineSeconds: 120,
    });
    expect(parseIssueTask(command)).toEqual(command);
    expect(command.data).toEqual({
      ...request,
      functionVersion: 1,
      requirements: { cpuCount: 2, memSize: 256, networkLatency: 40, privileged: true },
      timeout: 15,
      maxAttempts: 4,
      pendingDeadline: 120,
      priority: 5,
    });
  });

  test('the task records the version of the function it was issued against, and takes its capabilities', () => {
    const version3 = {
      version: 3,
      capabilities: { ...registered.data.capabilities, timeout: 60, cpuCount: 8 },
    };
    const { data } = issueTaskCommand(request, version3, {
      maxAttempts: 1,
      pendingDeadlineSeconds: 60,
    });
    expect({
      version: data.functionVersion,
      timeout: data.timeout,
      cpu: data.requirements.cpuCount,
    }).toEqual({ version: 3, timeout: 60, cpu: 8 });
  });

  test("the function's retry policy and priority go with the task; the request's priority wins", () => {
    const retry = {
      maxAttempts: 3,
      backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 30 },
      on: ['5xx' as const],
    };
    const fn = { ...version1, retry, priority: 2 };
    const policy = { maxAttempts: 3, pendingDeadlineSeconds: 300 };
    expect(issueTaskCommand(request, fn, policy).data).toMatchObject({ retry, priority: 2 });
    const urgent = { ...request, priority: 9, notBefore: '2026-12-01T11:00:00.000Z' };
    const { data } = issueTaskCommand(urgent, fn, policy);
    expect(data).toMatchObject({ priority: 9, notBefore: '2026-12-01T11:00:00.000Z' });
    expect(parseIssueTask(issueTaskCommand(urgent, fn, policy)).data).toEqual(data);
  });

  test('a retry names the same delay, and the same priority if it names one', () => {
    const policy = { maxAttempts: 3, pendingDeadlineSeconds: 300 };
    const delayed = { ...request, notBefore: '2026-12-01T11:00:00.000Z' };
    const { data } = issueTaskCommand(delayed, { ...version1, priority: 7 }, policy);
    expect(isIssuedBy(data, delayed)).toBe(true);
    expect(isIssuedBy(data, { ...delayed, priority: 7 })).toBe(true);
    expect(isIssuedBy(data, { ...delayed, priority: 8 })).toBe(false);
    expect(isIssuedBy(data, request)).toBe(false);
  });

  test('a retry is recognised by what the gateway sent, not by what was derived', () => {
    const { data } = issueTaskCommand(request, version1, {
      maxAttempts: 3,
      pendingDeadlineSeconds: 300,
    });
    expect(isIssuedBy({ ...data, maxAttempts: 9, timeout: 1, functionVersion: 2 }, request)).toBe(
      true,
    );
    expect(isIssuedBy(data, { ...request, request: { ...request.request, body: '' } })).toBe(false);
    expect(isIssuedBy(data, { ...request, issuedAt: '2026-12-01T10:00:01.000Z' })).toBe(false);
    expect(isIssuedBy(data, { ...request, accountId: 'b'.repeat(24) })).toBe(false);
  });
});
