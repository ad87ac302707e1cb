import { taskEvent } from '@canopy/contracts';
import { exampleTaskIssuedData } from '@canopy/contracts/testing';
import { NodeRegistry } from '@canopy/scheduling';
import { AccountCountingTaskQueue, AccountQuota } from './account-quota.js';

const accountA = '6404b3da46551827c611ffe5';
const accountB = '6404b3da46551827c611ffe6';
const at = '2026-11-30T02:00:00Z';
const taskIdOf = (index: number) => `6405942c9956fae80d7e${index.toString(16).padStart(4, '0')}`;

const issued = (index: number, accountId = accountA) =>
  taskEvent(
    'TaskIssued',
    exampleTaskIssuedData({ taskId: taskIdOf(index), accountId, issuedAt: at }),
  );
const failed = (index: number) =>
  taskEvent('TaskFailed', {
    taskId: taskIdOf(index),
    reason: 'CANCELLED',
    status: 499,
    message: 'cancelled',
    at,
  });

const newQueue = () =>
  new AccountCountingTaskQueue(new NodeRegistry({ heartbeatTimeoutMs: 5_000 }), {
    offerTimeoutMs: 1_000,
    offerCooldownMs: 1_000,
    runTimeoutGraceMs: 1_000,
    deadlineRetryMs: 1_000,
  });

describe('unfinished tasks per account', () => {
  test('a task counts from its TaskIssued until it finishes or fails, duplicates ignored', () => {
    const queue = newQueue();
    queue.apply(issued(1), 1, 0);
    queue.apply(issued(1), 1, 0);
    queue.apply(issued(2), 1, 0);
    queue.apply(issued(3, accountB), 1, 0);
    expect(queue.unfinishedTasksOf(accountA)).toBe(2);
    expect(queue.unfinishedTasksOf(accountB)).toBe(1);

    queue.apply(failed(1), 2, 0);
    queue.apply(failed(1), 2, 0);
    expect(queue.unfinishedTasksOf(accountA)).toBe(1);
    // A late copy of an ended task's TaskIssued does not count it again.
    queue.apply(issued(1), 1, 0);
    expect(queue.unfinishedTasksOf(accountA)).toBe(1);
    queue.apply(failed(2), 2, 0);
    expect(queue.unfinishedTasksOf(accountA)).toBe(0);
    expect(queue.unfinishedTasksOf(accountB)).toBe(1);
  });
});

describe('the quota', () => {
  test('admits up to the limit, counting reservations not yet appended', () => {
    const queue = newQueue();
    const quota = new AccountQuota(queue, 3);
    queue.apply(issued(1), 1, 0);
    const first = quota.reserve(accountA);
    const second = quota.reserve(accountA);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(quota.reserve(accountA)).toBeNull();
    expect(quota.reserve(accountB)).not.toBeNull();

    // The first reservation's task was appended (counted), the second's was not (released).
    queue.apply(issued(2), 1, 0);
    first?.release();
    first?.release();
    second?.release();
    expect(quota.reserve(accountA)).not.toBeNull();
    expect(quota.reserve(accountA)).toBeNull();
  });

  test('0 means no limit', () => {
    const queue = newQueue();
    const quota = new AccountQuota(queue, 0);
    for (let index = 1; index <= 50; index += 1) queue.apply(issued(index), 1, 0);
    expect(quota.reserve(accountA)).not.toBeNull();
  });
});
