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

describe('issuing a task', () => {
  test('requirements and timeout come from the function, attempts and deadline from the policy', () => {
    const command = issueTaskCommand(request, registered.data, {
      maxAttempts: 4,
      pendingDeadlineSeconds: 120,
    });
    expect(parseIssueTask(command)).toEqual(command);
    expect(command.data).toEqual({
      ...request,
      requirements: { cpuCount: 2, memSize: 256, networkLatency: 40, privileged: true },
      timeout: 15,
      maxAttempts: 4,
      pendingDeadline: 120,
    });
  });

  test('a retry is recognised by what the gateway sent, not by what was derived', () => {
    const { data } = issueTaskCommand(request, registered.data, {
      maxAttempts: 3,
      pendingDeadlineSeconds: 300,
    });
    expect(isIssuedBy({ ...data, maxAttempts: 9, timeout: 1 }, request)).toBe(true);
    expect(isIssuedBy(data, { ...request, request: { ...request.request, body: '' } })).toBe(false);
    expect(isIssuedBy(data, { ...request, issuedAt: '2026-12-01T10:00:01.000Z' })).toBe(false);
    expect(isIssuedBy(data, { ...request, accountId: 'b'.repeat(24) })).toBe(false);
  });
});
