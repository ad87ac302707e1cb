import { eventually } from '@canopy/async-testing';
import {
  CANCEL_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_AGAIN_SUBJECT,
  MAX_NOTIFIED_BODY_BASE64,
  TASK_NOTIFICATION_PATTERN,
  decodeJson,
  nodeReportAgainSubject,
  parseTaskNotification,
} from '@canopy/contracts';
import { createInbox } from '@nats-io/transport-node';
import type { TaskNotification } from '@canopy/contracts';
import { randomUUID } from 'node:crypto';
import { objectId } from './testing/scheduler-fixture.js';
import type { SchedulerFixture } from './testing/scheduler-fixture.js';
import { runOneTask, schedulerTestBed, uniqueNodeId } from './testing/scheduler-test-bed.js';
import { okResponse } from './testing/scripted-node.js';

// The scheduler against real PostgreSQL and NATS, with worker nodes scripted over a plain NATS client.
// Each test gets its own scheduler and database; the file has its own nats-server (schedulerTestBed).

const { scheduler, startNode } = schedulerTestBed();

/** Publishes `body` on `subject`, as a request every replica hears, and collects `count` replies. */
async function askReplicas(
  s: SchedulerFixture,
  subject: string,
  body: unknown,
  count: number,
): Promise<unknown[]> {
  const inbox = createInbox();
  const replies: unknown[] = [];
  const subscription = s.client.subscribe(inbox, {
    callback: (_error, message) => {
      replies.push(decodeJson(message.data, 'reply'));
    },
  });
  try {
    s.client.publish(subject, JSON.stringify(body), { reply: inbox });
    return await eventually(() => {
      expect(replies).toHaveLength(count);
      return replies;
    });
  } finally {
    subscription.unsubscribe();
  }
}

describe('the scheduler', () => {
  test('issues a task, assigns it to the matching node, records its progress and result', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({ cpuCount: 2, memSize: 1024, timeout: 20 });
    const small = await startNode({
      nodeId: uniqueNodeId('small'),
      capabilities: { cpuCount: 2, memSize: 512 },
    });
    const big = await startNode({
      nodeId: uniqueNodeId('big'),
      capabilities: { cpuCount: 4, memSize: 4096 },
    });
    const request = s.issueRequest(fn);

    expect(await s.issue(request)).toEqual({ ok: true, taskId: request.taskId });
    expect(await s.taskEventTypes(request.taskId)).toContain('TaskIssued');

    const assignment = await eventually(() => {
      const [first] = big.assignments;
      if (first === undefined) throw new Error('no assignment yet');
      return first;
    });
    expect(assignment).toMatchObject({
      taskId: request.taskId,
      attempt: 1,
      functionId: fn.functionId,
      accountId: fn.accountId,
      runtime: fn.runtime,
      request: request.request,
      timeout: 20,
    });
    await eventually(async () =>
      expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
    );

    expect(await big.progress(request.taskId, 1, 40)).toEqual({ ok: true });
    expect(await big.result(request.taskId, 1)).toEqual({ ok: true });
    const events = await s.taskEvents(request.taskId);
    expect(events.map((event) => event.type)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskProgressed',
      'TaskFinished',
    ]);
    expect(events[0]?.data).toMatchObject({
      requirements: { cpuCount: 2, memSize: 1024, networkLatency: 0, privileged: false },
      timeout: 20,
      maxAttempts: 3,
      pendingDeadline: 300,
    });
    expect(events[1]?.data).toMatchObject({ nodeId: big.nodeId, attempt: 1 });
    expect(events[3]?.data).toMatchObject({ nodeId: big.nodeId, response: okResponse });
    expect(small.assignments).toEqual([]);
    // The nodes' streams say they joined.
    expect((await s.nodeEvents(big.nodeId)).map((event) => event.type)).toEqual(['NodeAnnounced']);
  });

  test('records a new task assigned with its issue when a node is free, and queues it when none is', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('direct'), slots: 1 });
    await runOneTask(s, fn, node);

    const direct = s.issueRequest(fn);
    expect(await s.issue(direct)).toEqual({ ok: true, taskId: direct.taskId });
    // The reply comes after the append, which held both events.
    const [issued, assigned] = await s.taskEvents(direct.taskId);
    expect(issued?.type).toBe('TaskIssued');
    expect(issued?.metadata).not.toHaveProperty('epoch');
    // Under the leader's epoch, as any assignment.
    expect(assigned).toMatchObject({
      type: 'TaskAssigned',
      data: { nodeId: node.nodeId, attempt: 1 },
      metadata: { epoch: expect.any(Number) },
    });
    await eventually(() => node.runningTasks.some(({ taskId }) => taskId === direct.taskId));

    // The node's only slot is taken: the next task is recorded waiting, and runs once it frees.
    const queued = s.issueRequest(fn);
    expect((await s.issue(queued)).ok).toBe(true);
    expect(await s.taskEventTypes(queued.taskId)).toEqual(['TaskIssued']);
    expect(await node.result(direct.taskId, 1)).toEqual({ ok: true });
    await eventually(() => node.runningTasks.some(({ taskId }) => taskId === queued.taskId));
    expect(await s.taskEventTypes(queued.taskId)).toEqual(['TaskIssued', 'TaskAssigned']);
    expect(node.overbooked).toBe(0);
  });

  test('a delayed task is not assigned at issue, though a node is free: it runs once due', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('delayed'), slots: 2 });
    await runOneTask(s, fn, node);

    const notBefore = new Date(Date.now() + 2_000).toISOString();
    const delayed = s.issueRequest(fn, { notBefore });
    expect((await s.issue(delayed)).ok).toBe(true);
    expect(await s.taskEventTypes(delayed.taskId)).toEqual(['TaskIssued']);
    await eventually(() => node.runningTasks.some(({ taskId }) => taskId === delayed.taskId));
    const [, assigned] = await s.taskEvents(delayed.taskId);
    if (assigned?.type !== 'TaskAssigned') throw new Error('the task was not assigned');
    expect(Date.parse(assigned.data.assignedAt)).toBeGreaterThanOrEqual(Date.parse(notBefore));
  });

  test('a batch takes the free slots in its order; the rest of it waits its turn', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('batch-direct'), slots: 2 });
    await runOneTask(s, fn, node);

    const tasks = Array.from({ length: 3 }, () => {
      const { taskId, request } = s.issueRequest(fn);
      return { taskId, request };
    });
    const reply = await s.issueBatch({
      accountId: fn.accountId,
      functionId: fn.functionId,
      issuedAt: new Date().toISOString(),
      tasks,
    });
    expect(reply.ok && reply.outcomes.every((outcome) => outcome.ok)).toBe(true);
    const types = await Promise.all(tasks.map(({ taskId }) => s.taskEventTypes(taskId)));
    expect(types).toEqual([
      ['TaskIssued', 'TaskAssigned'],
      ['TaskIssued', 'TaskAssigned'],
      ['TaskIssued'],
    ]);

    const [one, , last] = tasks;
    if (one === undefined || last === undefined) throw new Error('three tasks expected');
    await eventually(() => node.runningTasks.some(({ taskId }) => taskId === one.taskId));
    expect(await node.result(one.taskId, 1)).toEqual({ ok: true });
    await eventually(() => node.runningTasks.some(({ taskId }) => taskId === last.taskId));
    expect(node.overbooked).toBe(0);
  });

  test("tells the gateways of an outcome as it is recorded, with the task's account and the outcome unless its body is large", async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('notifying'), slots: 2 });
    const heard: TaskNotification[] = [];
    const subscription = s.client.subscribe(TASK_NOTIFICATION_PATTERN, {
      callback: (error, message) => {
        if (error === null) heard.push(parseTaskNotification(message.json()));
      },
    });
    try {
      const small = s.issueRequest(fn);
      const large = s.issueRequest(fn);
      await s.issue(small);
      await s.issue(large);
      await eventually(() => expect(node.assignments).toHaveLength(2));
      const largeBody = Buffer.alloc(MAX_NOTIFIED_BODY_BASE64).toString('base64');
      expect(await node.result(small.taskId, 1)).toEqual({ ok: true });
      expect(await node.result(large.taskId, 1, { ...okResponse, body: largeBody })).toEqual({
        ok: true,
      });
      await eventually(() => expect(heard).toHaveLength(2));
      // Recorded before it was told.
      expect(await s.taskEventTypes(small.taskId)).toContain('TaskFinished');
      expect(heard.find((notification) => notification.taskId === small.taskId)).toEqual({
        taskId: small.taskId,
        state: 'FINISHED',
        accountId: fn.accountId,
        response: okResponse,
      });
      expect(heard.find((notification) => notification.taskId === large.taskId)).toEqual({
        taskId: large.taskId,
        state: 'FINISHED',
        accountId: fn.accountId,
      });
    } finally {
      subscription.unsubscribe();
    }
  });

  test("an unknown function, or another account's, is FUNCTION_NOT_FOUND and records nothing", async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const unknown = s.issueRequest({ functionId: objectId(), accountId: fn.accountId });
    const foreign = s.issueRequest({ functionId: fn.functionId, accountId: objectId() });

    for (const request of [unknown, foreign]) {
      const reply = await s.issue(request);
      expect(reply).toMatchObject({ ok: false, error: { code: 'FUNCTION_NOT_FOUND' } });
      expect(await s.taskEventTypes(request.taskId)).toEqual([]);
    }
  });

  test('a repeated IssueTask request records one TaskIssued; another task under its id is refused', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const request = s.issueRequest(fn);

    const replies = await Promise.all([s.issue(request), s.issue(request), s.issue(request)]);
    expect(replies).toEqual(Array(3).fill({ ok: true, taskId: request.taskId }));
    expect(await s.issue(request)).toEqual({ ok: true, taskId: request.taskId });
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued']);

    const different = { ...request, request: { ...request.request, query: 'name=other' } };
    expect(await s.issue(different)).toMatchObject({
      ok: false,
      error: { code: 'TASK_ALREADY_ISSUED' },
    });
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued']);
  });

  test('a request asked again reaches every replica: each answers, and it is recorded once', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    await s.startReplica();
    const askEveryone = (subject: string, body: unknown) => askReplicas(s, subject, body, 2);
    const request = s.issueRequest(fn);

    const issued = { ok: true, taskId: request.taskId };
    expect(await askEveryone(ISSUE_TASK_AGAIN_SUBJECT, request)).toEqual([issued, issued]);
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued']);
    const cancel = { taskId: request.taskId, accountId: fn.accountId };
    const [first, second] = await askEveryone(CANCEL_TASK_AGAIN_SUBJECT, cancel);
    expect(first).toMatchObject({ ok: true });
    expect(second).toEqual(first);
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskFailed']);
  });

  test('a result asked again reaches every replica: each acknowledges it, and it is recorded once', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    await s.startReplica();
    // Started after the replica, so that both hear it announce.
    const node = await startNode({ nodeId: uniqueNodeId('again') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await eventually(() => node.running.has(request.taskId));

    const report = { reportId: randomUUID(), taskId: request.taskId, attempt: 1 };
    const progress = nodeReportAgainSubject(node.nodeId, 'progress');
    const result = nodeReportAgainSubject(node.nodeId, 'result');
    expect(await askReplicas(s, progress, { ...report, progress: 50 }, 2)).toEqual([
      { ok: true },
      { ok: true },
    ]);
    const finished = { ...report, reportId: randomUUID(), response: okResponse };
    expect(await askReplicas(s, result, finished, 2)).toEqual([{ ok: true }, { ok: true }]);
    expect(await s.taskEventTypes(request.taskId)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskProgressed',
      'TaskFinished',
    ]);
  });

  test('a privileged task waits, without holding up others, until a privileged node announces', async () => {
    const s = await scheduler();
    const privilegedFn = await s.registerFunction({ privileged: true });
    const plainFn = await s.registerFunction({}, privilegedFn.accountId);
    const plain = await startNode({ nodeId: uniqueNodeId('plain'), slots: 2 });
    const privilegedTask = s.issueRequest(privilegedFn);
    const plainTask = s.issueRequest(plainFn, {
      issuedAt: new Date(Date.parse(privilegedTask.issuedAt) + 1).toISOString(),
    });

    expect((await s.issue(privilegedTask)).ok).toBe(true);
    expect((await s.issue(plainTask)).ok).toBe(true);
    // The task behind it was matched, so matching ran and passed the privileged one over.
    await eventually(() =>
      expect(plain.assignments.map((a) => a.taskId)).toEqual([plainTask.taskId]),
    );
    expect(await s.taskEventTypes(privilegedTask.taskId)).toEqual(['TaskIssued']);

    const root = await startNode({
      nodeId: uniqueNodeId('root'),
      capabilities: { privileged: true },
    });
    await eventually(() =>
      expect(root.assignments.map((a) => a.taskId)).toEqual([privilegedTask.taskId]),
    );
    await eventually(async () =>
      expect(await s.taskEventTypes(privilegedTask.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
    );
    expect(plain.assignments.map((a) => a.taskId)).toEqual([plainTask.taskId]);
  });

  test('never gives a node more tasks than its slots', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const first = await startNode({ nodeId: uniqueNodeId('one-slot'), slots: 1 });
    const second = await startNode({ nodeId: uniqueNodeId('two-slots'), slots: 2 });
    const requests = Array.from({ length: 7 }, () => s.issueRequest(fn));
    for (const request of requests) expect((await s.issue(request)).ok).toBe(true);

    // Finish whatever each node runs until every task is done.
    await eventually(async () => {
      for (const node of [first, second]) {
        for (const { taskId, attempt } of node.runningTasks) {
          await eventually(async () =>
            expect(await s.taskEventTypes(taskId)).toContain('TaskAssigned'),
          );
          expect(await node.result(taskId, attempt)).toEqual({ ok: true });
        }
      }
      for (const request of requests)
        expect(await s.taskEventTypes(request.taskId)).toContain('TaskFinished');
    }, 30_000);
    expect(first.overbooked).toBe(0);
    expect(second.overbooked).toBe(0);
    expect(first.assignments.length + second.assignments.length).toBe(requests.length);
  });

  test('refuses a report from a node that is not the current one, recording nothing', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const owner = await startNode({ nodeId: uniqueNodeId('owner') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await eventually(async () =>
      expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
    );
    const intruder = await startNode({ nodeId: uniqueNodeId('intruder') });

    expect(await intruder.result(request.taskId, 1)).toMatchObject({
      ok: false,
      error: { code: 'NOT_CURRENT_ATTEMPT' },
      retry: false,
    });
    expect(await intruder.progress(request.taskId, 1, 50)).toMatchObject({
      ok: false,
      error: { code: 'NOT_CURRENT_ATTEMPT' },
      retry: false,
    });
    // The owner itself, for an attempt that is not the current one.
    expect(await owner.progress(request.taskId, 2, 50)).toMatchObject({ ok: false, retry: false });
    // A task that does not exist.
    expect(await owner.result(objectId(), 1)).toMatchObject({
      ok: false,
      error: { code: 'TASK_NOT_FOUND' },
      retry: false,
    });
    // A body naming the owner changes nothing: the subject identifies the sender.
    expect(
      await intruder.send('result', {
        reportId: '2b0d3c5e-1f4a-4c1e-9a37-6a2f1f1d2c3b',
        taskId: request.taskId,
        attempt: 1,
        response: okResponse,
        nodeId: owner.nodeId,
      }),
    ).toMatchObject({ ok: false, retry: false });
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskAssigned']);
  });

  test('repeated reports are acknowledged once recorded and change nothing more', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('node') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await eventually(async () =>
      expect(await s.taskEventTypes(request.taskId)).toContain('TaskAssigned'),
    );
    const progressId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(await node.progress(request.taskId, 1, 30, progressId)).toEqual({ ok: true });
    expect(await node.progress(request.taskId, 1, 30, progressId)).toEqual({ ok: true });
    expect(await node.progress(request.taskId, 1, 20)).toEqual({ ok: true }); // older news
    const resultId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    expect(await node.result(request.taskId, 1, okResponse, resultId)).toEqual({ ok: true });
    expect(await node.result(request.taskId, 1, okResponse, resultId)).toEqual({ ok: true });
    expect(await node.result(request.taskId, 1, okResponse)).toEqual({ ok: true }); // new id, same result
    expect(await s.taskEventTypes(request.taskId)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskProgressed',
      'TaskFinished',
    ]);
    // Another result for a finished task is refused for good.
    expect(await node.result(request.taskId, 1, { ...okResponse, status: 500 })).toMatchObject({
      ok: false,
      error: { code: 'TASK_TERMINAL' },
      retry: false,
    });
  });

  test('answers malformed messages with an error and keeps serving', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    expect(await s.issue('not json')).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
    const { taskId: _missing, ...withoutTaskId } = s.issueRequest(fn);
    expect(await s.issue(JSON.stringify(withoutTaskId))).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION', field: 'taskId' },
    });
    expect(
      await s.issue(
        JSON.stringify({
          ...s.issueRequest(fn),
          request: { query: '', contentType: null, body: '!!' },
        }),
      ),
    ).toMatchObject({ ok: false, error: { code: 'CONTRACT_VIOLATION', field: 'request.body' } });

    const node = await startNode({ nodeId: uniqueNodeId('garbled') });
    expect(await node.send('progress', '{"taskId":')).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
      retry: false,
    });
    expect(await node.send('result', { taskId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
      retry: false,
    });
    expect(await node.send('heartbeat', [])).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
    expect(await node.send('announce', { nodeId: node.nodeId, slots: 0 })).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });

    // Still serving.
    const request = s.issueRequest(fn);
    expect(await s.issue(request)).toEqual({ ok: true, taskId: request.taskId });
    await eventually(() => expect(node.assignments.map((a) => a.taskId)).toEqual([request.taskId]));
  });

  test('tells a node it does not know to announce itself', async () => {
    const s = await scheduler();
    const stranger = await startNode({ nodeId: uniqueNodeId('stranger') }, { announce: false });
    expect(await stranger.heartbeat()).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_NODE' },
    });
    expect(await stranger.announce()).toEqual({
      ok: true,
      heartbeatIntervalMs: s.config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: s.config.SCHEDULER_HEARTBEAT_TIMEOUT_MS,
    });
    expect(await stranger.heartbeat()).toEqual({ ok: true });
  });
});
