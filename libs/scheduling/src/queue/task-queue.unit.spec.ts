import { taskEvent } from '@canopy/contracts';
import type {
  NodeCapabilities,
  TaskEvent,
  TaskRequirements,
  UnassignReason,
} from '@canopy/contracts';
import { NodeRegistry } from '../nodes/node-registry.js';
import { TaskQueue } from './task-queue.js';
import type { DueDeadline, TaskQueueOptions } from './task-queue.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const HEARTBEAT_TIMEOUT = 6_000;
const options: TaskQueueOptions = {
  offerTimeoutMs: 2_000,
  offerCooldownMs: 1_000,
  runTimeoutGraceMs: 500,
  deadlineRetryMs: 3_000,
};
const anyNode: TaskRequirements = { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false };
const plain: NodeCapabilities = {
  cpuCount: 4,
  memSize: 4096,
  networkLatency: 10,
  privileged: false,
};

const taskId = (n: number) => n.toString(16).padStart(24, '0');

function issued(
  n: number,
  {
    issuedAtMs = n,
    requirements = anyNode,
    timeout = 10,
    pendingDeadline = 60,
    maxAttempts = 3,
    priority,
    notBeforeMs,
  }: {
    issuedAtMs?: number;
    requirements?: TaskRequirements;
    timeout?: number;
    pendingDeadline?: number;
    maxAttempts?: number;
    priority?: number;
    notBeforeMs?: number;
  } = {},
): TaskEvent {
  return taskEvent('TaskIssued', {
    taskId: taskId(n),
    accountId: 'a'.repeat(24),
    functionId: 'f'.repeat(24),
    functionVersion: 1,
    scheduleId: null,
    request: { query: '', contentType: null, body: '' },
    requirements,
    timeout,
    maxAttempts,
    pendingDeadline,
    issuedAt: at(issuedAtMs),
    ...(priority === undefined ? {} : { priority }),
    ...(notBeforeMs === undefined ? {} : { notBefore: at(notBeforeMs) }),
  });
}

const assigned = (n: number, nodeId: string, attempt: number, atMs: number) =>
  taskEvent('TaskAssigned', { taskId: taskId(n), nodeId, attempt, assignedAt: at(atMs) });
const unassigned = (
  n: number,
  nodeId: string,
  attempt: number,
  atMs: number,
  reason: UnassignReason = 'NODE_LOST',
) =>
  taskEvent('TaskUnassigned', {
    taskId: taskId(n),
    nodeId,
    attempt,
    reason,
    at: at(atMs),
  });
const finished = (n: number, nodeId: string, attempt: number, atMs: number) =>
  taskEvent('TaskFinished', {
    taskId: taskId(n),
    nodeId,
    attempt,
    response: { status: 200, contentType: null, headers: {}, body: '' },
    finishedAt: at(atMs),
  });
const attemptFailed = (
  n: number,
  nodeId: string,
  attempt: number,
  atMs: number,
  retryAtMs: number,
) =>
  taskEvent('TaskAttemptFailed', {
    taskId: taskId(n),
    nodeId,
    attempt,
    status: 503,
    retryAt: at(retryAtMs),
    at: at(atMs),
  });
const failed = (n: number, atMs: number) =>
  taskEvent('TaskFailed', {
    taskId: taskId(n),
    reason: 'NO_RUNNER',
    status: 503,
    message: 'no node',
    at: at(atMs),
  });

function setUp() {
  const registry = new NodeRegistry({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT });
  const queue = new TaskQueue(registry, options);
  const announce = (nodeId: string, slots = 1, capabilities = plain, nowMs = 0) =>
    registry.announce({ nodeId, capabilities, slots, agent: 'test', runningTasks: [] }, T0 + nowMs);
  const offers = (nowMs: number, limit?: number) =>
    queue.nextOffers(T0 + nowMs, limit).map((offer) => [offer.taskId, offer.nodeId, offer.attempt]);
  const deadlines = (nowMs: number): DueDeadline[] => queue.deadlinesDue(T0 + nowMs);
  const apply = (event: TaskEvent, version: number, nowMs = 0) =>
    queue.apply(event, version, T0 + nowMs);
  return { registry, queue, announce, offers, deadlines, apply };
}

describe('TaskQueue', () => {
  test('knows which events it applied, and the tasks it holds or saw end', () => {
    const { queue, apply } = setUp();
    expect(queue.knows(taskId(1))).toBe(false);
    expect(queue.hasApplied(taskId(1), 1)).toBe(false);
    apply(issued(1), 1);
    expect(queue.knows(taskId(1))).toBe(true);
    expect(queue.hasApplied(taskId(1), 1)).toBe(true);
    expect(queue.hasApplied(taskId(1), 2)).toBe(false);
    apply(failed(1, 10), 2, 10);
    expect(queue.knows(taskId(1))).toBe(true);
    expect(queue.hasApplied(taskId(1), 3)).toBe(true);
  });

  test('a task that just ended is still seen as it was, with its account, for a while', () => {
    const { queue, announce, apply } = setUp();
    announce('n1', 1);
    apply(issued(1, { issuedAtMs: 5 }), 1);
    apply(assigned(1, 'n1', 1, 20), 2, 20);
    apply(finished(1, 'n1', 1, 30), 3, 30);

    expect(queue.get(taskId(1))).toBeUndefined();
    expect(queue.lastSeen(taskId(1))).toMatchObject({
      phase: 'assigned',
      nodeId: 'n1',
      issuedAtMs: T0 + 5,
      assignedAtMs: T0 + 20,
    });
    expect(queue.accountOf(taskId(1))).toBe('a'.repeat(24));

    // Only the last 1 024 tasks to end are kept.
    for (let n = 2; n <= 1_024; n += 1) {
      apply(issued(n), 1);
      apply(failed(n, 40), 2, 40);
    }
    expect(queue.lastSeen(taskId(1))).toBeDefined();
    apply(issued(1_025), 1);
    apply(failed(1_025, 40), 2, 40);
    expect(queue.lastSeen(taskId(1))).toBeUndefined();
    expect(queue.accountOf(taskId(1))).toBeUndefined();
    expect(queue.lastSeen(taskId(2))).toBeDefined();
  });

  test('offers waiting tasks in FIFO order of issue, each to a node with a free slot', () => {
    const { queue, announce, offers, apply } = setUp();
    apply(issued(2, { issuedAtMs: 20 }), 1);
    apply(issued(1, { issuedAtMs: 10 }), 1);
    apply(issued(3, { issuedAtMs: 30 }), 1);
    expect(offers(100)).toEqual([]);
    announce('n1', 2);
    expect(offers(100)).toEqual([
      [taskId(1), 'n1', 1],
      [taskId(2), 'n1', 1],
    ]);
    expect(queue.get(taskId(3))?.phase).toBe('waiting');
    expect(queue.get(taskId(1))).toMatchObject({ phase: 'offered', nodeId: 'n1', attempt: 1 });
  });

  test('never offers more than a node has slots, counting pending offers and assignments', () => {
    const { queue, registry, announce, offers, apply } = setUp();
    for (let n = 1; n <= 5; n += 1) apply(issued(n), 1);
    announce('n1', 2);
    announce('n2', 1);
    const first = queue.nextOffers(T0 + 10);
    expect(first).toHaveLength(3);
    const perNode = (nodeId: string) => first.filter((offer) => offer.nodeId === nodeId).length;
    expect(perNode('n1')).toBe(2);
    expect(perNode('n2')).toBe(1);
    expect(offers(20)).toEqual([]);
    // n1's first offer is accepted and recorded; still no room anywhere.
    const [onN1] = first.filter((offer) => offer.nodeId === 'n1');
    if (onN1 === undefined) throw new Error('no offer to n1');
    expect(queue.offerAccepted(onN1.taskId, onN1.offerId)).toBe(true);
    apply(assigned(Number.parseInt(onN1.taskId, 16), 'n1', 1, 30), 2, 30);
    expect(offers(40)).toEqual([]);
    expect(registry.get('n1')).toMatchObject({ held: 2, free: 0 });
    // It finishes: its slot takes the next task.
    apply(finished(Number.parseInt(onN1.taskId, 16), 'n1', 1, 50), 3, 50);
    expect(offers(60)).toEqual([[taskId(4), 'n1', 1]]);
  });

  test('a task no node can take waits without holding up the tasks behind it', () => {
    const { queue, announce, offers, apply } = setUp();
    apply(issued(1, { requirements: { ...anyNode, privileged: true } }), 1);
    apply(issued(2), 1);
    announce('n1', 1);
    expect(offers(10)).toEqual([[taskId(2), 'n1', 1]]);
    expect(queue.get(taskId(1))?.phase).toBe('waiting');
    announce('root', 1, { ...plain, privileged: true }, 20);
    expect(offers(30)).toEqual([[taskId(1), 'root', 1]]);
  });

  test('matches the requirements of each task', () => {
    const { announce, offers, apply } = setUp();
    announce('small', 4, { ...plain, cpuCount: 1, memSize: 512 });
    announce('big', 4, { ...plain, cpuCount: 16, memSize: 65_536, networkLatency: 80 });
    apply(issued(1, { requirements: { ...anyNode, memSize: 1024 } }), 1);
    apply(issued(2, { requirements: { ...anyNode, networkLatency: 50 } }), 1);
    apply(issued(3, { requirements: { ...anyNode, cpuCount: 32 } }), 1);
    expect(offers(10)).toEqual([
      [taskId(1), 'big', 1],
      [taskId(2), 'small', 1],
    ]);
  });

  test('a declined offer puts the task back first in line and pauses the node', () => {
    const { queue, registry, announce, offers, apply } = setUp();
    apply(issued(1), 1);
    apply(issued(2), 1);
    announce('n1', 1);
    announce('n2', 1);
    const [first, second] = queue.nextOffers(T0 + 10);
    if (first === undefined || second === undefined) throw new Error('expected two offers');
    queue.offerDeclined(first.taskId, first.offerId, T0 + 20);
    expect(queue.get(first.taskId)?.phase).toBe('waiting');
    expect(registry.get(first.nodeId)?.pausedUntilMs).toBe(T0 + 20 + options.offerCooldownMs);
    expect(offers(30)).toEqual([]); // the other node is busy with the second task
    registry.expire(T0 + 20 + options.offerCooldownMs);
    expect(offers(1_100)).toEqual([[first.taskId, first.nodeId, 1]]);
    // A stale answer for an offer that is not current changes nothing.
    queue.offerDeclined(first.taskId, first.offerId, T0 + 1_200);
    expect(queue.get(first.taskId)?.phase).toBe('offered');
    expect(queue.offerAccepted(first.taskId, first.offerId)).toBe(false);
  });

  test('an offer withdrawn after acceptance puts the task back without pausing the node', () => {
    const { queue, registry, announce, apply } = setUp();
    apply(issued(1), 1);
    announce('n1', 1);
    const [offer] = queue.nextOffers(T0);
    if (offer === undefined) throw new Error('no offer');
    queue.offerAccepted(offer.taskId, offer.offerId);
    queue.offerWithdrawn(offer.taskId, offer.offerId);
    expect(queue.get(offer.taskId)?.phase).toBe('waiting');
    expect(registry.get('n1')).toMatchObject({ pausedUntilMs: null, free: 1 });
  });

  test('an unanswered offer expires: the task waits again and the node is paused', () => {
    const { queue, registry, announce, deadlines, apply } = setUp();
    apply(issued(1), 1);
    announce('n1', 1);
    const [offer] = queue.nextOffers(T0);
    if (offer === undefined) throw new Error('no offer');
    expect(deadlines(options.offerTimeoutMs - 1)).toEqual([]);
    expect(deadlines(options.offerTimeoutMs)).toEqual([
      { kind: 'OfferExpired', taskId: taskId(1), nodeId: 'n1', attempt: 1 },
    ]);
    expect(queue.get(taskId(1))?.phase).toBe('waiting');
    expect(registry.get('n1')?.pausedUntilMs).toBe(
      T0 + options.offerTimeoutMs + options.offerCooldownMs,
    );
  });

  test('an accepted offer does not expire while its assignment is being recorded', () => {
    const { queue, announce, deadlines, apply } = setUp();
    apply(issued(1), 1);
    announce('n1', 1);
    const [offer] = queue.nextOffers(T0);
    if (offer === undefined) throw new Error('no offer');
    queue.offerAccepted(offer.taskId, offer.offerId);
    expect(deadlines(options.offerTimeoutMs * 10)).toEqual([]);
  });

  test('pending deadline: a task nobody took is due for NO_RUNNER, counted from its issue', () => {
    const { queue, announce, offers, deadlines, apply } = setUp();
    apply(issued(1, { issuedAtMs: 0, pendingDeadline: 5 }), 1);
    expect(deadlines(4_999)).toEqual([]);
    expect(deadlines(5_000)).toEqual([
      { kind: 'PendingDeadline', taskId: taskId(1), waitingSinceMs: T0 },
    ]);
    // While the failure is being recorded it is not offered, and not handed out again at once.
    announce('n1', 1, plain, 5_001);
    expect(offers(5_001)).toEqual([]);
    expect(deadlines(5_002)).toEqual([]);
    // Nothing happened: handed out again after the retry delay.
    expect(deadlines(5_000 + options.deadlineRetryMs)).toHaveLength(1);
    apply(failed(1, 5_100), 2);
    expect(queue.get(taskId(1))).toBeUndefined();
    expect(deadlines(60_000)).toEqual([]);
  });

  test('pending deadline: a requeued task waits from the end of its last attempt', () => {
    const { deadlines, apply } = setUp();
    apply(issued(1, { issuedAtMs: 0, pendingDeadline: 5 }), 1);
    apply(assigned(1, 'n1', 1, 1_000), 2, 1_000);
    apply(unassigned(1, 'n1', 1, 20_000), 3, 20_000);
    expect(deadlines(24_999)).toEqual([]);
    expect(deadlines(25_000)).toEqual([
      { kind: 'PendingDeadline', taskId: taskId(1), waitingSinceMs: T0 + 20_000 },
    ]);
  });

  test('run timeout: due from the assignment, after the timeout and the grace', () => {
    const { deadlines, apply } = setUp();
    apply(issued(1, { timeout: 10 }), 1);
    apply(assigned(1, 'n1', 1, 1_000), 2, 1_000);
    const due = 1_000 + 10_000 + options.runTimeoutGraceMs;
    expect(deadlines(due - 1)).toEqual([]);
    expect(deadlines(due)).toEqual([
      { kind: 'RunTimeout', taskId: taskId(1), nodeId: 'n1', attempt: 1 },
    ]);
    expect(deadlines(due + 1)).toEqual([]);
    apply(
      taskEvent('TaskFailed', {
        taskId: taskId(1),
        reason: 'TIMEOUT',
        status: 504,
        message: 't',
        at: at(due),
      }),
      3,
    );
    expect(deadlines(due + options.deadlineRetryMs)).toEqual([]);
  });

  test('a lost node: each attempt assigned to it is due to be unassigned, then requeued', () => {
    const { queue, registry, announce, offers, deadlines, apply } = setUp();
    announce('n1', 2);
    announce('n2', 2);
    apply(issued(1), 1);
    apply(issued(2), 1);
    apply(assigned(1, 'n1', 1, 10), 2, 10);
    apply(assigned(2, 'n2', 1, 10), 2, 10);
    registry.heartbeat(
      'n2',
      { freeSlots: 1, runningTasks: [{ taskId: taskId(2), attempt: 1 }] },
      T0 + 5_000,
    );
    const lost = registry.expire(T0 + HEARTBEAT_TIMEOUT);
    expect(lost.map((node) => node.nodeId)).toEqual(['n1']);
    queue.nodeGone('n1', T0 + HEARTBEAT_TIMEOUT);
    expect(deadlines(HEARTBEAT_TIMEOUT)).toEqual([
      { kind: 'EndAttempt', taskId: taskId(1), nodeId: 'n1', attempt: 1, reason: undefined },
    ]);
    apply(unassigned(1, 'n1', 1, HEARTBEAT_TIMEOUT + 10), 3);
    expect(queue.get(taskId(1))).toMatchObject({ phase: 'waiting', attempt: 2 });
    expect(offers(HEARTBEAT_TIMEOUT + 20)).toEqual([[taskId(1), 'n2', 2]]);
  });

  test('a node that announces without an attempt we assigned to it: the attempt is due to go', () => {
    const { queue, announce, deadlines, apply } = setUp();
    apply(issued(1), 1);
    apply(issued(2), 1);
    apply(assigned(1, 'n1', 1, 10), 2, 10);
    apply(assigned(2, 'n1', 1, 10), 2, 10);
    announce('n1', 2, plain, 100);
    queue.nodeRunning('n1', [{ taskId: taskId(2), attempt: 1 }], T0 + 100);
    expect(deadlines(100)).toEqual([
      { kind: 'EndAttempt', taskId: taskId(1), nodeId: 'n1', attempt: 1, reason: 'NODE_LOST' },
    ]);
    expect(queue.assignedTo('n1')).toEqual([
      { taskId: taskId(1), attempt: 1 },
      { taskId: taskId(2), attempt: 1 },
    ]);
  });

  test('rebuilt from events, an attempt on a node that never comes back is lost', () => {
    const { queue, registry, deadlines, apply } = setUp();
    apply(issued(1), 1, 0);
    apply(assigned(1, 'gone', 1, 10), 2, 0);
    expect(registry.isRegistered('gone')).toBe(false);
    const lost = registry.expire(T0 + HEARTBEAT_TIMEOUT);
    expect(lost).toEqual([{ nodeId: 'gone', lastSeenMs: null, taskIds: [taskId(1)] }]);
    queue.nodeGone('gone', T0 + HEARTBEAT_TIMEOUT);
    expect(deadlines(HEARTBEAT_TIMEOUT)).toEqual([
      { kind: 'EndAttempt', taskId: taskId(1), nodeId: 'gone', attempt: 1, reason: undefined },
    ]);
  });

  test('a heartbeat takes back only the attempts assigned before its cut-off that the node does not run', () => {
    const { queue, announce, deadlines, apply } = setUp();
    announce('n1', 3);
    for (const n of [1, 2, 3]) apply(issued(n), 1);
    apply(assigned(1, 'n1', 1, 10), 2, 10);
    apply(assigned(2, 'n1', 1, 10), 2, 10);
    apply(assigned(3, 'n1', 1, 900), 2, 900);
    // Task 2 runs; task 1 never reached the node; task 3 may still be on its way to it.
    queue.nodeRunning('n1', [{ taskId: taskId(2), attempt: 1 }], T0 + 1_000, T0 + 500);
    expect(deadlines(1_000)).toEqual([
      { kind: 'EndAttempt', taskId: taskId(1), nodeId: 'n1', attempt: 1, reason: 'NODE_LOST' },
    ]);
  });

  test('a refused attempt: due to be unassigned at once, the node paused, the waiting time kept', () => {
    const { queue, registry, announce, deadlines, apply, offers } = setUp();
    announce('n1', 1);
    announce('n2', 1);
    apply(issued(1, { issuedAtMs: 0, pendingDeadline: 60 }), 1);
    apply(assigned(1, 'n1', 1, 5_000), 2, 5_000);
    queue.attemptNotTaken(taskId(1), 1, 'REJECTED', T0 + 5_100);
    expect(deadlines(5_100)).toEqual([
      { kind: 'EndAttempt', taskId: taskId(1), nodeId: 'n1', attempt: 1, reason: 'REJECTED' },
    ]);
    expect(registry.get('n1')?.pausedUntilMs).toBe(T0 + 5_100 + options.offerCooldownMs);
    apply(unassigned(1, 'n1', 1, 5_200, 'REJECTED'), 3, 5_200);
    expect(offers(5_300)).toEqual([[taskId(1), 'n2', 2]]);
    // The pending deadline still runs from the issue: a refusal did not start the wait over.
    expect(queue.deadlinesDue(T0 + 59_999).map((due) => due.kind)).toEqual(['OfferExpired']);
    expect(queue.deadlinesDue(T0 + 60_000).map((due) => due.kind)).toEqual(['PendingDeadline']);
  });

  test('an outage of the platform does not count against deadlines, which leave a grace after it', () => {
    const { queue, announce, apply, offers } = setUp();
    announce('n1', 1);
    apply(
      issued(1, {
        issuedAtMs: 0,
        pendingDeadline: 10,
        requirements: { ...anyNode, privileged: true },
      }),
      1,
    );
    apply(issued(2, { issuedAtMs: 0, timeout: 10 }), 1);
    apply(assigned(2, 'n1', 1, 1_000), 2, 1_000);
    // Ten seconds of outage, noticed at 12 s: both deadlines passed meanwhile.
    queue.forgiveOutage(10_000, T0 + 12_000, 5_000);
    expect(queue.deadlinesDue(T0 + 16_900)).toEqual([]);
    const due = queue.deadlinesDue(T0 + 21_600).map((deadline) => deadline.kind);
    expect(due).toEqual(['PendingDeadline', 'RunTimeout']);
    expect(offers(21_600)).toEqual([]);
  });

  test('applies each stream version once and in order; late copies change nothing', () => {
    const { queue, apply } = setUp();
    const history = [issued(1), assigned(1, 'n1', 1, 10), unassigned(1, 'n1', 1, 20)];
    history.forEach((event, index) => apply(event, index + 1));
    // The subscription delivers the same events again.
    history.forEach((event, index) => apply(event, index + 1));
    expect(queue.get(taskId(1))).toMatchObject({ phase: 'waiting', attempt: 2, streamVersion: 3 });
    // An event that skips a version waits for its predecessors.
    apply(finished(1, 'n1', 2, 40), 5);
    expect(queue.get(taskId(1))?.phase).toBe('waiting');
    apply(assigned(1, 'n1', 2, 30), 4);
    apply(finished(1, 'n1', 2, 40), 5);
    expect(queue.get(taskId(1))).toBeUndefined();
    // A late TaskIssued of an ended task does not bring it back.
    apply(issued(1), 1);
    expect(queue.get(taskId(1))).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  test('an assignment recorded elsewhere replaces our offer and frees its slot', () => {
    const { queue, registry, announce, apply } = setUp();
    apply(issued(1), 1);
    announce('n1', 1);
    announce('n2', 1);
    const [offer] = queue.nextOffers(T0);
    if (offer === undefined) throw new Error('no offer');
    const other = offer.nodeId === 'n1' ? 'n2' : 'n1';
    apply(assigned(1, other, 1, 10), 2, 10);
    expect(queue.get(taskId(1))).toMatchObject({ phase: 'assigned', nodeId: other });
    expect(registry.get(offer.nodeId)).toMatchObject({ held: 0, free: 1 });
    expect(queue.offerAccepted(offer.taskId, offer.offerId)).toBe(false);
    expect(queue.isAssigned(taskId(1), other, 1)).toBe(true);
  });

  test('an attempt is over once its task moved on to a later attempt or ended, not before', () => {
    const { queue, apply } = setUp();
    // Not known: its events may still be on their way.
    expect(queue.attemptIsOver(taskId(1), 1)).toBe(false);
    apply(issued(1), 1);
    apply(assigned(1, 'n1', 1, 10), 2);
    expect(queue.attemptIsOver(taskId(1), 1)).toBe(false);
    apply(unassigned(1, 'n1', 1, 20), 3);
    expect(queue.attemptIsOver(taskId(1), 1)).toBe(true);
    expect(queue.attemptIsOver(taskId(1), 2)).toBe(false);
    apply(assigned(1, 'n2', 2, 30), 4);
    expect(queue.attemptIsOver(taskId(1), 2)).toBe(false);
    apply(finished(1, 'n2', 2, 40), 5);
    expect(queue.attemptIsOver(taskId(1), 2)).toBe(true);
  });

  test('an ended task is remembered with how it ended: the reason it failed, or the attempt that finished it', () => {
    const { queue, apply } = setUp();
    apply(issued(1), 1);
    expect(queue.endingOf(taskId(1))).toBeUndefined();
    apply(assigned(1, 'n1', 1, 10), 2);
    apply(unassigned(1, 'n1', 1, 20), 3);
    apply(assigned(1, 'n2', 2, 30), 4);
    apply(finished(1, 'n2', 2, 40), 5);
    expect(queue.endingOf(taskId(1))).toEqual({ kind: 'finished', attempt: 2 });
    apply(issued(2), 1);
    apply(failed(2, 50), 2);
    expect(queue.endingOf(taskId(2))).toEqual({ kind: 'failed', reason: 'NO_RUNNER' });
  });

  test('does no work when nothing changed since the last pass', () => {
    const { queue, announce, apply } = setUp();
    for (let n = 1; n <= 3; n += 1)
      apply(issued(n, { requirements: { ...anyNode, cpuCount: 99 } }), 1);
    announce('n1', 4);
    expect(queue.nextOffers(T0)).toEqual([]);
    apply(issued(4), 1);
    expect(queue.nextOffers(T0)).toHaveLength(1);
    expect(queue.waitingCount).toBe(3);
  });

  test('honours a limit on offers per pass and continues on the next', () => {
    const { announce, offers, apply } = setUp();
    for (let n = 1; n <= 3; n += 1) apply(issued(n), 1);
    announce('n1', 3);
    expect(offers(0, 2)).toHaveLength(2);
    expect(offers(0, 2)).toEqual([[taskId(3), 'n1', 1]]);
  });

  describe('priority', () => {
    const AGING = 60_000; // the default: one level per minute waited

    test('a higher priority is offered first; one priority keeps the order of issue', () => {
      const { announce, offers, apply } = setUp();
      apply(issued(1, { issuedAtMs: 10, priority: 5 }), 1);
      apply(issued(2, { issuedAtMs: 20, priority: 9 }), 1);
      apply(issued(3, { issuedAtMs: 30, priority: 5 }), 1);
      apply(issued(4, { issuedAtMs: 40, priority: 0 }), 1);
      apply(issued(5, { issuedAtMs: 50, priority: 9 }), 1);
      announce('n1', 5);
      expect(offers(100).map(([id]) => id)).toEqual([2, 5, 1, 3, 4].map(taskId));
    });

    test('a task without a recorded priority ranks as priority 5', () => {
      const { announce, offers, apply } = setUp();
      apply(issued(1, { issuedAtMs: 10, priority: 4 }), 1);
      apply(issued(2, { issuedAtMs: 20 }), 1);
      apply(issued(3, { issuedAtMs: 30, priority: 6 }), 1);
      announce('n1', 3);
      expect(offers(100).map(([id]) => id)).toEqual([3, 2, 1].map(taskId));
    });

    test('aging: waiting one minute longer is worth one level, so a low priority is not starved', () => {
      const { announce, offers, apply } = setUp();
      // Priority 0 at t=0 ranks like priority 9 issued 9 minutes later.
      const pendingDeadline = 3_600;
      apply(issued(1, { issuedAtMs: 0, priority: 0, pendingDeadline }), 1);
      apply(issued(2, { issuedAtMs: 9 * AGING - 1, priority: 9, pendingDeadline }), 1);
      apply(issued(3, { issuedAtMs: 9 * AGING + 1, priority: 9, pendingDeadline }), 1);
      apply(issued(4, { issuedAtMs: 2 * AGING, priority: 1, pendingDeadline }), 1);
      announce('n1', 4, plain, 10 * AGING);
      expect(offers(10 * AGING).map(([id]) => id)).toEqual([2, 1, 3, 4].map(taskId));
    });

    test('the aging step is configurable', () => {
      const registry = new NodeRegistry({ heartbeatTimeoutMs: HEARTBEAT_TIMEOUT });
      const queue = new TaskQueue(registry, { ...options, priorityAgingMs: 1_000 });
      queue.apply(issued(1, { issuedAtMs: 0, priority: 0 }), 1, T0);
      queue.apply(issued(2, { issuedAtMs: 5_000, priority: 4 }), 1, T0);
      queue.apply(issued(3, { issuedAtMs: 5_000, priority: 6 }), 1, T0);
      registry.announce(
        { nodeId: 'n1', capabilities: plain, slots: 3, agent: 'test', runningTasks: [] },
        T0,
      );
      expect(queue.nextOffers(T0 + 6_000).map((offer) => offer.taskId)).toEqual(
        [3, 1, 2].map(taskId),
      );
    });

    test('a requeued task keeps its rank: it goes before lower-ranked tasks issued since', () => {
      const { queue, announce, offers, apply } = setUp();
      apply(issued(1, { issuedAtMs: 0, priority: 5 }), 1);
      announce('n1', 1);
      expect(offers(10)).toEqual([[taskId(1), 'n1', 1]]);
      apply(assigned(1, 'n1', 1, 20), 2, 20);
      apply(issued(2, { issuedAtMs: 30, priority: 5 }), 1, 30);
      apply(issued(3, { issuedAtMs: 40, priority: 9 }), 1, 40);
      apply(unassigned(1, 'n1', 1, 50), 3, 50);
      expect(queue.waitingCount).toBe(3);
      expect(offers(60)).toEqual([[taskId(3), 'n1', 1]]);
      apply(assigned(3, 'n1', 1, 70), 2, 70);
      apply(finished(3, 'n1', 1, 80), 3, 80);
      expect(offers(90)).toEqual([[taskId(1), 'n1', 2]]);
    });
  });

  describe('delays', () => {
    test('a task is not offered before its notBefore, then in its rank', () => {
      const { queue, announce, offers, deadlines, apply } = setUp();
      announce('n1', 2);
      apply(issued(1, { issuedAtMs: 0, notBeforeMs: 5_000 }), 1);
      apply(issued(2, { issuedAtMs: 10 }), 1);
      expect(queue.waitingCount).toBe(1);
      expect(offers(100)).toEqual([[taskId(2), 'n1', 1]]);
      apply(assigned(2, 'n1', 1, 200), 2, 200);
      expect(deadlines(4_999)).toEqual([]);
      expect(offers(4_999)).toEqual([]);
      expect(queue.get(taskId(1))?.phase).toBe('waiting');
      // The due time is a deadline of the queue's own: nothing for the app to act on.
      expect(deadlines(5_000)).toEqual([]);
      expect(queue.waitingCount).toBe(1);
      expect(offers(5_000)).toEqual([[taskId(1), 'n1', 1]]);
    });

    test('a notBefore already past when the task is applied (a restart) holds nothing', () => {
      const { announce, offers, apply } = setUp();
      announce('n1', 1);
      apply(issued(1, { issuedAtMs: 0, notBeforeMs: 1_000 }), 1, 2_000);
      expect(offers(2_000)).toEqual([[taskId(1), 'n1', 1]]);
    });

    test('the pending deadline runs from notBefore, not from the issue', () => {
      const { deadlines, apply } = setUp();
      apply(issued(1, { issuedAtMs: 0, notBeforeMs: 100_000, pendingDeadline: 60 }), 1);
      expect(deadlines(100_000)).toEqual([]);
      expect(deadlines(159_999)).toEqual([]);
      expect(deadlines(160_000)).toEqual([
        { kind: 'PendingDeadline', taskId: taskId(1), waitingSinceMs: T0 + 100_000 },
      ]);
    });

    test('a delayed task is ranked from its notBefore', () => {
      const { announce, offers, deadlines, apply } = setUp();
      apply(issued(1, { issuedAtMs: 0, notBeforeMs: 1_000 }), 1);
      apply(issued(2, { issuedAtMs: 500 }), 1);
      apply(issued(3, { issuedAtMs: 1_500 }), 1);
      deadlines(2_000);
      announce('n1', 3, plain, 2_000);
      expect(offers(2_000).map(([id]) => id)).toEqual([2, 1, 3].map(taskId));
    });

    test('an outage does not push the due time of a delayed task', () => {
      const { queue, announce, offers, deadlines, apply } = setUp();
      announce('n1', 1);
      apply(issued(1, { issuedAtMs: 0, notBeforeMs: 5_000 }), 1);
      queue.forgiveOutage(3_000, T0 + 4_000, 30_000);
      deadlines(5_000);
      expect(offers(5_000)).toEqual([[taskId(1), 'n1', 1]]);
    });

    test('after a failed attempt the task waits until its retryAt, then goes in its rank', () => {
      const { queue, registry, announce, offers, deadlines, apply } = setUp();
      announce('n1', 1);
      apply(issued(1, { issuedAtMs: 0 }), 1);
      apply(issued(2, { issuedAtMs: 10 }), 1);
      expect(offers(20)).toEqual([[taskId(1), 'n1', 1]]);
      apply(assigned(1, 'n1', 1, 30), 2, 30);
      apply(attemptFailed(1, 'n1', 1, 100, 2_100), 3, 100);
      expect(registry.get('n1')).toMatchObject({ held: 0, free: 1 });
      expect(queue.get(taskId(1))).toMatchObject({ phase: 'waiting', attempt: 2 });
      expect(offers(200)).toEqual([[taskId(2), 'n1', 1]]);
      apply(assigned(2, 'n1', 1, 300), 2, 300);
      apply(finished(2, 'n1', 1, 400), 3, 400);
      expect(offers(2_099)).toEqual([]);
      deadlines(2_100);
      expect(offers(2_100)).toEqual([[taskId(1), 'n1', 2]]);
    });

    test('a failed attempt of another attempt than the current one changes nothing', () => {
      const { queue, announce, offers, apply } = setUp();
      announce('n1', 1);
      apply(issued(1), 1);
      offers(10);
      apply(assigned(1, 'n1', 1, 30), 2, 30);
      apply(attemptFailed(1, 'n1', 2, 100, 2_100), 3, 100);
      expect(queue.get(taskId(1))).toMatchObject({ phase: 'assigned', attempt: 1 });
    });
  });
});

describe('TaskQueue, a slot claimed for a task being issued', () => {
  const privileged = { ...anyNode, privileged: true };

  test('takes the best free node when nothing waits, and holds its slot', () => {
    const { queue, registry, announce, offers, apply } = setUp();
    announce('n1', 1);
    expect(queue.claimForNewTask(taskId(1), anyNode, T0)).toBe('n1');
    expect(registry.totalFreeSlots).toBe(0);
    // The slot stays taken while the task's events are on their way: a waiting task gets no offer.
    apply(issued(2), 1);
    expect(offers(0)).toEqual([]);
    expect(queue.claimForNewTask(taskId(3), anyNode, T0)).toBeUndefined();
    // Its issue and assignment, applied together, keep the slot; its end frees it.
    apply(issued(1), 1);
    apply(assigned(1, 'n1', 1, 0), 2);
    queue.releaseClaim(taskId(1), 'n1');
    expect(queue.get(taskId(1))).toMatchObject({ phase: 'assigned', nodeId: 'n1', attempt: 1 });
    expect(registry.totalFreeSlots).toBe(0);
    apply(finished(1, 'n1', 1, 10), 3, 10);
    expect(offers(10)).toEqual([[taskId(2), 'n1', 1]]);
  });

  test('a released claim frees its slot for the waiting tasks', () => {
    const { queue, registry, announce, offers, apply } = setUp();
    announce('n1', 1);
    expect(queue.claimForNewTask(taskId(1), anyNode, T0)).toBe('n1');
    queue.releaseClaim(taskId(1), 'n1');
    expect(registry.totalFreeSlots).toBe(1);
    apply(issued(2), 1);
    expect(offers(0)).toEqual([[taskId(2), 'n1', 1]]);
  });

  test('never goes before a waiting task that a freed slot could serve', () => {
    const { queue, announce, offers, apply } = setUp();
    announce('n1', 1);
    apply(issued(1), 1);
    apply(issued(2), 1);
    expect(offers(0)).toEqual([[taskId(1), 'n1', 1]]);
    apply(assigned(1, 'n1', 1, 0), 2);
    // Task 2 waits for n1. Once task 1 ends, the slot is task 2's, not a newcomer's.
    apply(finished(1, 'n1', 1, 10), 3, 10);
    expect(queue.claimForNewTask(taskId(3), anyNode, T0 + 10)).toBeUndefined();
    expect(offers(10)).toEqual([[taskId(2), 'n1', 1]]);
  });

  test('does not wait for tasks no free node can take, once a pass has matched the rest', () => {
    const { queue, announce, offers, apply } = setUp();
    announce('n1', 1);
    apply(issued(1, { requirements: privileged }), 1);
    // Not before a pass has looked at the waiting task...
    expect(queue.claimForNewTask(taskId(2), anyNode, T0)).toBeUndefined();
    expect(offers(0)).toEqual([]);
    // ...after which it holds up nobody; a node it could use would be worth another pass.
    expect(queue.claimForNewTask(taskId(2), anyNode, T0)).toBe('n1');
    announce('n2', 1, { ...plain, privileged: true });
    expect(queue.claimForNewTask(taskId(3), anyNode, T0)).toBeUndefined();
    expect(offers(0)).toEqual([[taskId(1), 'n2', 1]]);
  });

  test('nothing for a task it knows, or one no node can take', () => {
    const { queue, announce, apply } = setUp();
    announce('n1', 2);
    apply(issued(1), 1);
    apply(failed(1, 5), 2, 5);
    expect(queue.claimForNewTask(taskId(1), anyNode, T0)).toBeUndefined();
    expect(queue.claimForNewTask(taskId(2), privileged, T0)).toBeUndefined();
  });
});

describe('TaskQueue, read for metrics', () => {
  test('counts the waiting tasks by a class of their requirements; offered ones do not count', () => {
    const { queue, announce, offers, apply } = setUp();
    const privileged = { ...anyNode, privileged: true };
    apply(issued(1), 1);
    apply(issued(2, { requirements: privileged }), 1);
    apply(issued(3), 1);
    const byClass = () =>
      Object.fromEntries(queue.countWaiting((r) => (r.privileged ? 'privileged' : 'standard')));
    expect(byClass()).toEqual({ standard: 2, privileged: 1 });
    announce('n1', 1);
    expect(offers(100)).toEqual([[taskId(1), 'n1', 1]]);
    expect(byClass()).toEqual({ standard: 1, privileged: 1 });
  });

  test('tells when a task was issued and when its current attempt was assigned', () => {
    const { queue, apply } = setUp();
    apply(issued(1, { issuedAtMs: 10 }), 1);
    expect(queue.get(taskId(1))).toMatchObject({ issuedAtMs: T0 + 10, assignedAtMs: null });
    apply(assigned(1, 'n1', 1, 250), 2, 250);
    expect(queue.get(taskId(1))).toMatchObject({ issuedAtMs: T0 + 10, assignedAtMs: T0 + 250 });
  });
});
