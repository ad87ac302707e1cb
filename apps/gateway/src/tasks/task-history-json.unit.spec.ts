import { taskEvent } from '@canopy/contracts';
import {
  exampleResponse,
  exampleTaskId,
  exampleTaskIssuedData,
  exampleTime,
} from '@canopy/contracts/testing';
import { sseFrame } from './task-event-streams.js';
import { endsTask, taskHistoryEntry } from './task-history-json.js';

const taskId = exampleTaskId;
const t = exampleTime;
const seconds = (time: string) => String(Date.parse(time) / 1000);

describe('a task history entry', () => {
  test('shows what the client may see of TaskIssued: never the request', () => {
    const issued = taskEvent(
      'TaskIssued',
      exampleTaskIssuedData({
        request: {
          query: 'secret=1',
          contentType: 'application/json',
          body: Buffer.from('{"password":"hunter2"}').toString('base64'),
        },
      }),
    );
    const entry = taskHistoryEntry(1, issued);
    expect(entry).toEqual({
      version: 1,
      type: 'TaskIssued',
      at: seconds(issued.data.issuedAt),
      data: {
        functionId: issued.data.functionId,
        scheduleId: null,
        timeout: issued.data.timeout,
        maxAttempts: issued.data.maxAttempts,
        capabilities: issued.data.requirements,
        priority: 5,
        notBefore: null,
      },
    });
    const text = JSON.stringify(entry);
    for (const hidden of ['secret', 'hunter2', issued.data.request.body, issued.data.accountId])
      expect(text).not.toContain(hidden);
  });

  test('shows the priority and delay of TaskIssued', () => {
    const issued = taskEvent(
      'TaskIssued',
      exampleTaskIssuedData({ priority: 8, notBefore: '2024-06-22T22:00:00.000Z' }),
    );
    expect(taskHistoryEntry(1, issued).data).toMatchObject({
      priority: 8,
      notBefore: seconds('2024-06-22T22:00:00.000Z'),
    });
  });

  test('shows the status and retryAt of a failed attempt, never its body', () => {
    const entry = taskHistoryEntry(
      3,
      taskEvent('TaskAttemptFailed', {
        taskId,
        nodeId: 'n1',
        attempt: 1,
        status: 503,
        retryAt: t(12),
        at: t(10),
      }),
    );
    expect(entry).toEqual({
      version: 3,
      type: 'TaskAttemptFailed',
      at: seconds(t(10)),
      data: { node: 'n1', attempt: 1, status: 503, retryAt: seconds(t(12)) },
    });
  });

  test('shows the status of TaskFinished, never the response', () => {
    const response = exampleResponse({
      status: 201,
      headers: { 'x-token': 'abc' },
      body: Buffer.from('private').toString('base64'),
    });
    const entry = taskHistoryEntry(
      4,
      taskEvent('TaskFinished', { taskId, nodeId: 'n1', attempt: 2, response, finishedAt: t(9) }),
    );
    expect(entry).toEqual({
      version: 4,
      type: 'TaskFinished',
      at: seconds(t(9)),
      data: { attempt: 2, status: 201 },
    });
    expect(JSON.stringify(entry)).not.toMatch(/x-token|abc|private|cHJpdmF0ZQ/);
  });

  test.each([
    [
      taskEvent('TaskAssigned', { taskId, nodeId: 'n1', attempt: 1, assignedAt: t(1) }),
      { node: 'n1', attempt: 1 },
    ],
    [
      taskEvent('TaskUnassigned', {
        taskId,
        nodeId: 'n1',
        attempt: 1,
        reason: 'NODE_LOST',
        at: t(2),
      }),
      { node: 'n1', attempt: 1, reason: 'NODE_LOST' },
    ],
    [
      taskEvent('TaskProgressed', { taskId, nodeId: 'n2', attempt: 2, progress: 40, at: t(3) }),
      { attempt: 2, progress: 40 },
    ],
    [
      taskEvent('TaskFailed', {
        taskId,
        reason: 'CANCELLED',
        status: 499,
        message: 'cancelled by its owner',
        at: t(4),
      }),
      { reason: 'CANCELLED', status: 499, message: 'cancelled by its owner' },
    ],
  ])('shows %j as %j', (event, data) => {
    expect(taskHistoryEntry(7, event).data).toEqual(data);
  });

  test('only TaskFinished and TaskFailed end a task', () => {
    expect(
      [
        'TaskIssued',
        'TaskAssigned',
        'TaskUnassigned',
        'TaskProgressed',
        'TaskFinished',
        'TaskFailed',
      ].filter((type) => endsTask(type as never)),
    ).toEqual(['TaskFinished', 'TaskFailed']);
  });

  test('an SSE frame is one event: id the version, event the type, data one line of JSON', () => {
    const entry = taskHistoryEntry(
      5,
      taskEvent('TaskFailed', {
        taskId,
        reason: 'TIMEOUT',
        status: 504,
        message: 'line one\nline two',
        at: t(5),
      }),
    );
    const frame = sseFrame(entry);
    const lines = frame.split('\n');
    expect(lines.slice(0, 2)).toEqual(['id: 5', 'event: TaskFailed']);
    expect(JSON.parse(lines[2]?.slice('data: '.length) ?? '')).toEqual(entry);
    expect(lines.slice(3)).toEqual(['', '']);
  });
});
