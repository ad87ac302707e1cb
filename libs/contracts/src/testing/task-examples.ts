import type { TaskIssued } from '../task/task-events.js';
import type { TaskResponse } from '../task/task-payloads.js';
import { exampleAccountId, exampleFunctionId } from './function-examples.js';

// Valid sample values for tests of anything that handles tasks (scheduler, projections, gateway).

export const exampleTaskId = '6405942c9956fae80d7e0e91';

/** `2024-06-22T21:00:00.000Z` plus `seconds`: readable, ordered times for scenarios. */
export function exampleTime(seconds: number): string {
  return new Date(Date.UTC(2024, 5, 22, 21, 0, seconds)).toISOString();
}

/** A task of the example function ({@link exampleFunctionId}). */
export function exampleTaskIssuedData(
  overrides: Partial<TaskIssued['data']> = {},
): TaskIssued['data'] {
  return {
    taskId: exampleTaskId,
    accountId: exampleAccountId,
    functionId: exampleFunctionId,
    functionVersion: 1,
    scheduleId: null,
    request: {
      query: 'myParam1=100&myParam2=Green',
      contentType: 'application/json',
      body: 'eyJhZ2UiOjMwfQ==',
    },
    requirements: { cpuCount: 1, memSize: 256, networkLatency: 0, privileged: false },
    timeout: 10,
    maxAttempts: 2,
    pendingDeadline: 60,
    issuedAt: exampleTime(0),
    ...overrides,
  };
}

export function exampleResponse(overrides: Partial<TaskResponse> = {}): TaskResponse {
  return {
    status: 200,
    contentType: 'text/plain',
    headers: { 'content-type': 'text/plain', 'x-duration-ms': '12' },
    body: 'SSBhbSBhIHN0b3JhZ2UgVGVzdCE=',
    ...overrides,
  };
}
