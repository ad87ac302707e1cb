import { randomUUID } from 'node:crypto';
import { taskEvent, type TaskEvent } from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import {
  exampleResponse,
  exampleTaskIssuedData,
  exampleTime as t,
} from '@canopy/contracts/testing';
import { taskNotificationsOf } from './task-notifications.js';

let position = 0n;
function recorded(
  event: TaskEvent | { type: string; data: unknown; metadata: unknown },
): RecordedEvent {
  position += 1n;
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: event.metadata as Record<string, unknown>,
    streamId: 'task-x',
    streamVersion: Number(position),
    globalPosition: position,
    checkpoint: `1:${position}`,
    recordedAt: new Date(),
  };
}

const a = '6405942c9956fae80d7e0e91';
const b = '6405942c9956fae80d7e0e92';
const issuedA = taskEvent('TaskIssued', exampleTaskIssuedData({ taskId: a }));
const halfwayA = taskEvent('TaskProgressed', {
  taskId: a,
  nodeId: 'n1',
  attempt: 1,
  progress: 50,
  at: t(2),
});

describe('taskNotificationsOf', () => {
  test('notifies each task that finished or failed in the batch, on its own subject', () => {
    const events = [
      recorded(issuedA),
      recorded(
        taskEvent('TaskAssigned', { taskId: a, nodeId: 'n1', attempt: 1, assignedAt: t(1) }),
      ),
      recorded(halfwayA),
      recorded(
        taskEvent('TaskFinished', {
          taskId: a,
          nodeId: 'n1',
          attempt: 1,
          response: exampleResponse(),
          finishedAt: t(3),
        }),
      ),
      recorded(
        taskEvent('TaskFailed', {
          taskId: b,
          reason: 'NO_RUNNER',
          status: 503,
          message: '',
          at: t(4),
        }),
      ),
      recorded({ type: 'FunctionRegistered', data: {}, metadata: { schemaVersion: 1 } }),
    ];
    expect(taskNotificationsOf(events)).toEqual([
      { subject: `canopy.notify.task.${a}`, notification: { taskId: a, state: 'FINISHED' } },
      { subject: `canopy.notify.task.${b}`, notification: { taskId: b, state: 'FAILED' } },
    ]);
  });

  test('says nothing for progress and other events', () => {
    const events = [recorded(issuedA), recorded(halfwayA)];
    expect(taskNotificationsOf(events)).toEqual([]);
  });
});
