import { eventually } from '@canopy/async-testing';
import { objectId } from '../testing/scheduler-fixture.js';
import { schedulerTestBed, uniqueNodeId } from '../testing/scheduler-test-bed.js';

// CancelTask against real PostgreSQL and NATS, with a worker node scripted over a plain NATS client.

const { scheduler, startNode } = schedulerTestBed();
/** The events of a task cancelled while a node ran it. */
const cancelledWhileRunning = ['TaskIssued', 'TaskAssigned', 'TaskFailed'];

describe('CancelTask', () => {
  test('a waiting task fails CANCELLED and is never offered', async () => {
    const s = await scheduler();
    // No node can take it: it waits.
    const fn = await s.registerFunction({ cpuCount: 64 });
    const request = s.issueRequest(fn);
    await s.issue(request);

    const reply = await s.cancel({ taskId: request.taskId, accountId: fn.accountId });
    expect(reply).toMatchObject({
      ok: true,
      taskId: request.taskId,
      ending: { kind: 'CANCELLED' },
    });
    const events = await s.taskEvents(request.taskId);
    expect(events.map((event) => event.type)).toEqual(['TaskIssued', 'TaskFailed']);
    expect(events[1]?.data).toMatchObject({ reason: 'CANCELLED', status: 499 });

    // A node that could take it now gets nothing: the task left the queue.
    const node = await startNode({ nodeId: uniqueNodeId('late'), capabilities: { cpuCount: 64 } });
    const other = s.issueRequest(fn);
    await s.issue(other);
    await eventually(() => expect(node.assignments.map((a) => a.taskId)).toEqual([other.taskId]));
  });

  test('a running task fails CANCELLED, its node is told to stop, and its late result is refused', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('runs') });
    const request = s.issueRequest(fn);
    await s.issue(request);
    await eventually(() => expect(node.assignments).toHaveLength(1));
    await eventually(async () =>
      expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
    );

    const reply = await s.cancel({ taskId: request.taskId, accountId: fn.accountId });
    expect(reply).toMatchObject({ ok: true, ending: { kind: 'CANCELLED' } });
    await eventually(() =>
      expect(node.cancellations).toEqual([
        { taskId: request.taskId, attempt: 1, reason: 'CANCELLED' },
      ]),
    );
    expect(await node.result(request.taskId, 1)).toMatchObject({
      ok: false,
      error: { code: 'TASK_TERMINAL' },
      retry: false,
    });
    expect(await s.taskEventTypes(request.taskId)).toEqual(cancelledWhileRunning);
  });

  /**
   * A task running on a node that loses its first `lose` cancellations, cancelled: resolves once
   * the node has lost the cancellation.
   */
  async function cancelledOnDeafNode(lose: number) {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('deaf'), loseCancellations: lose });
    const request = s.issueRequest(fn);
    await s.issue(request);
    await eventually(async () =>
      expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
    );
    await s.cancel({ taskId: request.taskId, accountId: fn.accountId });
    const cancellation = { taskId: request.taskId, attempt: 1, reason: 'CANCELLED' };
    await eventually(() => expect(node.lostCancellations).toContainEqual(cancellation));
    return { s, node, request, cancellation };
  }

  test('a cancellation that did not reach the node is sent again while its heartbeats list the attempt', async () => {
    const { s, node, request, cancellation } = await cancelledOnDeafNode(1);
    // Still running it, the node says so in its heartbeats: the cancellation comes again.
    await eventually(() => expect(node.cancellations).toContainEqual(cancellation));
    expect(node.lostCancellations).toEqual([cancellation]);
    expect(node.runningTasks).toEqual([]);
    expect(await s.taskEventTypes(request.taskId)).toEqual(cancelledWhileRunning);
  });

  test('a cancellation lost before a failover is sent again by the scheduler that leads next', async () => {
    const { s, node, cancellation } = await cancelledOnDeafNode(Number.MAX_SAFE_INTEGER);
    // The scheduler that sent it is gone; the next one knows the task only from its events.
    await s.stopScheduler();
    node.hearCancellations();
    await s.startScheduler();
    await eventually(() => expect(node.cancellations).toContainEqual(cancellation), 30_000);
    expect(node.runningTasks).toEqual([]);
  });

  test('repeating it answers the same and records nothing more', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({ cpuCount: 64 });
    const request = s.issueRequest(fn);
    await s.issue(request);
    const cancel = { taskId: request.taskId, accountId: fn.accountId };

    const first = await s.cancel(cancel);
    const again = await Promise.all([s.cancel(cancel), s.cancel(cancel)]);
    expect(again).toEqual([first, first]);
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued', 'TaskFailed']);
  });

  test('a finished task is answered with its outcome and stays finished', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('done') });
    const request = s.issueRequest(fn);
    await s.issue(request);
    await eventually(() => expect(node.assignments).toHaveLength(1));
    expect(await node.result(request.taskId, 1)).toEqual({ ok: true });

    const reply = await s.cancel({ taskId: request.taskId, accountId: fn.accountId });
    expect(reply).toMatchObject({ ok: true, ending: { kind: 'FINISHED', status: 200 } });
    expect(await s.taskEventTypes(request.taskId)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskFinished',
    ]);
    expect(node.cancellations).toEqual([]);
  });

  test('cancel racing the result: exactly one ends the task, and each answer says which', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('race'), slots: 10 });
    const requests = Array.from({ length: 10 }, () => s.issueRequest(fn));
    for (const request of requests) await s.issue(request);
    await eventually(() => expect(node.assignments).toHaveLength(10));
    await eventually(async () => {
      for (const request of requests)
        expect(await s.taskEventTypes(request.taskId)).toContain('TaskAssigned');
    });

    const outcomes = await Promise.all(
      requests.map(async (request) => {
        const [cancelled, reported] = await Promise.all([
          s.cancel({ taskId: request.taskId, accountId: fn.accountId }),
          node.result(request.taskId, 1),
        ]);
        return { request, cancelled, reported };
      }),
    );
    for (const { request, cancelled, reported } of outcomes) {
      const events = await s.taskEvents(request.taskId);
      const last = events.at(-1);
      expect(
        events.filter((e) => e.type === 'TaskFinished' || e.type === 'TaskFailed'),
      ).toHaveLength(1);
      if (!cancelled.ok) throw new Error('the cancel was refused');
      if (last?.type === 'TaskFinished') {
        expect(cancelled.ending).toMatchObject({ kind: 'FINISHED', status: 200 });
        expect(reported).toEqual({ ok: true });
      } else {
        expect(last).toMatchObject({ type: 'TaskFailed', data: { reason: 'CANCELLED' } });
        expect(cancelled.ending).toMatchObject({ kind: 'CANCELLED' });
        expect(reported).toMatchObject({ ok: false, retry: false });
      }
    }
  });

  test("another account's task, or a missing one, is TASK_NOT_FOUND and records nothing", async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({ cpuCount: 64 });
    const request = s.issueRequest(fn);
    await s.issue(request);

    for (const cancel of [
      { taskId: request.taskId, accountId: objectId() },
      { taskId: objectId(), accountId: fn.accountId },
    ]) {
      expect(await s.cancel(cancel)).toMatchObject({
        ok: false,
        error: { code: 'TASK_NOT_FOUND' },
        retry: false,
      });
    }
    expect(await s.taskEventTypes(request.taskId)).toEqual(['TaskIssued']);
  });

  test.each([
    ['not JSON', '{'],
    ['without an account', JSON.stringify({ taskId: '6405942c9956fae80d7e0e91' })],
    [
      'with a bad task id',
      JSON.stringify({ taskId: '../x', accountId: '6404b3da46551827c611ffe5' }),
    ],
  ])('a request %s is a CONTRACT_VIOLATION', async (_case, body) => {
    const s = await scheduler();
    expect(await s.cancel(body)).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
  });
});
