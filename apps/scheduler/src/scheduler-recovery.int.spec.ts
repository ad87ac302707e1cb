import { eventually } from '@canopy/async-testing';
import { withSubscriptionsHeldBack } from '@canopy/event-store/testing';
import pg from 'pg';
import type { TaskEvent } from '@canopy/contracts';
import type { SchedulerFixture } from './testing/scheduler-fixture.js';
import { runOneTask, schedulerTestBed, uniqueNodeId } from './testing/scheduler-test-bed.js';
import type { ScriptedNode } from './testing/scripted-node.js';

// Deadlines, lost nodes and restarts, against real PostgreSQL and NATS (own nats-server: see
// schedulerTestBed). Each test gets its own scheduler and database.

const { scheduler, startNode } = schedulerTestBed();

function assignedTo(node: ScriptedNode, taskId: string) {
  return eventually(() => {
    const assignment = node.assignments.find((offer) => offer.taskId === taskId);
    if (assignment === undefined) throw new Error(`${taskId} not offered to ${node.nodeId} yet`);
    return assignment;
  });
}

async function eventsOnceThere(
  s: SchedulerFixture,
  taskId: string,
  types: readonly string[],
): Promise<TaskEvent[]> {
  return eventually(async () => {
    const events = await s.taskEvents(taskId);
    expect(events.map((event) => event.type)).toEqual(types);
    return events;
  }, 20_000);
}

describe('scheduler deadlines and recovery', () => {
  test('a task no node takes within its pending deadline fails with NO_RUNNER (503)', async () => {
    const s = await scheduler({ SCHEDULER_PENDING_DEADLINE_SECONDS: '1' });
    const fn = await s.registerFunction({ cpuCount: 64 });
    await startNode({ nodeId: uniqueNodeId('too-small') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);

    const events = await eventsOnceThere(s, request.taskId, ['TaskIssued', 'TaskFailed']);
    expect(events[1]?.data).toMatchObject({ reason: 'NO_RUNNER', status: 503 });
  });

  test('a task running past its timeout fails with TIMEOUT (504) and the node is told to stop', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({ timeout: 1 });
    const node = await startNode({ nodeId: uniqueNodeId('slow') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await assignedTo(node, request.taskId);

    const events = await eventsOnceThere(s, request.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskFailed',
    ]);
    expect(events[2]?.data).toMatchObject({ reason: 'TIMEOUT', status: 504 });
    await eventually(() =>
      expect(node.cancellations).toEqual([
        { taskId: request.taskId, attempt: 1, reason: 'TIMEOUT' },
      ]),
    );
    // Its late result is refused for good.
    expect(await node.result(request.taskId, 1)).toMatchObject({ ok: false, retry: false });
  });

  test('a node that stops heartbeating mid-task is lost; the task moves to another node and finishes', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const first = await startNode({ nodeId: uniqueNodeId('doomed') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await assignedTo(first, request.taskId);
    await eventsOnceThere(s, request.taskId, ['TaskIssued', 'TaskAssigned']);

    const second = await startNode({ nodeId: uniqueNodeId('rescuer') });
    first.stopHeartbeats();

    const retry = await assignedTo(second, request.taskId);
    expect(retry.attempt).toBe(2);
    await eventsOnceThere(s, request.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskUnassigned',
      'TaskAssigned',
    ]);
    expect(await second.result(request.taskId, 2)).toEqual({ ok: true });

    const events = await s.taskEvents(request.taskId);
    expect(
      events.map((event) => [event.type, 'nodeId' in event.data ? event.data.nodeId : null]),
    ).toEqual([
      ['TaskIssued', null],
      ['TaskAssigned', first.nodeId],
      ['TaskUnassigned', first.nodeId],
      ['TaskAssigned', second.nodeId],
      ['TaskFinished', second.nodeId],
    ]);
    expect(events[2]?.data).toMatchObject({ reason: 'NODE_LOST', attempt: 1 });
    await eventually(async () =>
      expect((await s.nodeEvents(first.nodeId)).map((event) => event.type)).toEqual([
        'NodeAnnounced',
        'NodeLost',
      ]),
    );
    // The lost node's late result is refused for good.
    expect(await first.result(request.taskId, 1)).toMatchObject({ ok: false, retry: false });
  });

  test('losing the node of the last attempt fails the task with NODE_LOST (502)', async () => {
    const s = await scheduler({ SCHEDULER_MAX_ATTEMPTS: '1' });
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('only-chance') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await assignedTo(node, request.taskId);
    node.stopHeartbeats();

    const events = await eventsOnceThere(s, request.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskUnassigned',
      'TaskFailed',
    ]);
    expect(events[3]?.data).toMatchObject({ reason: 'NODE_LOST', status: 502 });
  });

  test('a node that says goodbye hands its tasks back; they are requeued', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const leaving = await startNode({ nodeId: uniqueNodeId('leaving') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await eventsOnceThere(s, request.taskId, ['TaskIssued', 'TaskAssigned']);

    expect(await leaving.goodbye()).toEqual({ ok: true });
    expect((await s.nodeEvents(leaving.nodeId)).map((event) => event.type)).toEqual([
      'NodeAnnounced',
      'NodeLeft',
    ]);
    const staying = await startNode({ nodeId: uniqueNodeId('staying') });
    expect((await assignedTo(staying, request.taskId)).attempt).toBe(2);
    expect(await staying.result(request.taskId, 2)).toEqual({ ok: true });
    await eventsOnceThere(s, request.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskUnassigned',
      'TaskAssigned',
      'TaskFinished',
    ]);
  });

  test('a node that rejects or ignores an assignment is passed over; the task goes to another node', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const grumpy = await startNode({ nodeId: uniqueNodeId('grumpy'), answer: 'reject' });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await assignedTo(grumpy, request.taskId);
    const silent = await startNode({ nodeId: uniqueNodeId('silent'), answer: 'ignore' });
    const willing = await startNode({ nodeId: uniqueNodeId('willing') });

    const taken = await assignedTo(willing, request.taskId);
    // Every assignment is recorded before the node hears of it, under its own attempt number; the
    // ones not taken are unassigned with what happened to them, and only the taken one runs.
    const events = await eventually(async () => {
      const recorded = await s.taskEvents(request.taskId);
      expect(recorded.at(-1)).toMatchObject({
        type: 'TaskAssigned',
        data: { nodeId: willing.nodeId, attempt: taken.attempt },
      });
      return recorded;
    }, 20_000);
    const attempts = events.flatMap((event) => (event.type === 'TaskAssigned' ? [event.data] : []));
    expect(attempts.map(({ attempt }) => attempt)).toEqual(attempts.map((_, index) => index + 1));
    const endings = events.flatMap((event) =>
      event.type === 'TaskUnassigned' ? [event.data] : [],
    );
    expect(endings.length).toBe(attempts.length - 1);
    for (const ending of endings) {
      expect(ending.reason).toBe(
        ending.nodeId === grumpy.nodeId ? 'REJECTED' : 'START_DEADLINE_MISSED',
      );
      expect(ending.nodeId === grumpy.nodeId || ending.nodeId === silent.nodeId).toBe(true);
    }
    expect(endings.some((ending) => ending.nodeId === grumpy.nodeId)).toBe(true);
    expect(await willing.result(request.taskId, taken.attempt)).toEqual({ ok: true });
    // Whoever ignored the assignment is told not to start it, should its acceptance come late.
    for (const offer of silent.assignments)
      await eventually(() =>
        expect(silent.cancellations).toContainEqual({
          taskId: offer.taskId,
          attempt: offer.attempt,
          reason: 'START_DEADLINE_MISSED',
        }),
      );
  });

  test('offers to a node nothing listens for (away from NATS) spend no attempt; the task runs once it is back', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const away = await startNode({ nodeId: uniqueNodeId('away'), listens: false });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    // More offers than the task's attempts (3) come back undelivered: each is unassigned as
    // refused, and the task does not fail.
    const ended = await eventually(async () => {
      const events = await s.taskEvents(request.taskId);
      const unassigned = events.flatMap((event) =>
        event.type === 'TaskUnassigned' ? [event.data] : [],
      );
      expect(unassigned.length).toBeGreaterThanOrEqual(4);
      expect(events.map((event) => event.type)).not.toContain('TaskFailed');
      return unassigned;
    }, 30_000);
    for (const ending of ended)
      expect(ending).toMatchObject({ nodeId: away.nodeId, reason: 'REJECTED' });

    away.listen();
    const taken = await assignedTo(away, request.taskId);
    expect(taken.attempt).toBeGreaterThanOrEqual(5);
    expect(await away.result(request.taskId, taken.attempt)).toEqual({ ok: true });
    await eventually(async () => {
      const events = await s.taskEvents(request.taskId);
      expect(events.at(-1)).toMatchObject({
        type: 'TaskFinished',
        data: { attempt: taken.attempt },
      });
    }, 20_000);
    // Nothing listened: nothing to cancel.
    expect(away.cancellations).toEqual([]);
  });

  test('after a restart the state is rebuilt: running tasks finish, waiting tasks get matched', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const privilegedFn = await s.registerFunction({ privileged: true }, fn.accountId);
    const worker = await startNode({ nodeId: uniqueNodeId('worker') });
    const running = s.issueRequest(fn);
    const waiting = s.issueRequest(privilegedFn);
    expect((await s.issue(running)).ok).toBe(true);
    expect((await s.issue(waiting)).ok).toBe(true);
    await eventsOnceThere(s, running.taskId, ['TaskIssued', 'TaskAssigned']);

    await s.stopScheduler();
    await s.startScheduler();

    // The worker's heartbeat is answered UNKNOWN_NODE; it announces again with its running task
    // (more than once if a second heartbeat was on its way: every 200 ms, on a busy machine).
    await eventually(() => expect(worker.announcements.length).toBeGreaterThanOrEqual(2));
    expect(await worker.progress(running.taskId, 1, 60)).toEqual({ ok: true });
    expect(await worker.result(running.taskId, 1)).toEqual({ ok: true });
    await eventsOnceThere(s, running.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskProgressed',
      'TaskFinished',
    ]);

    const root = await startNode({
      nodeId: uniqueNodeId('root'),
      capabilities: { privileged: true },
    });
    await assignedTo(root, waiting.taskId);
    await eventsOnceThere(s, waiting.taskId, ['TaskIssued', 'TaskAssigned']);
    expect(worker.assignments.map((offer) => offer.taskId)).toEqual([running.taskId]);
  });

  test('after a restart, a task whose node never comes back is treated as the lost node’s', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const vanished = await startNode({ nodeId: uniqueNodeId('vanished') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    await eventsOnceThere(s, request.taskId, ['TaskIssued', 'TaskAssigned']);

    await s.stopScheduler();
    await vanished.close();
    await s.startScheduler();
    const survivor = await startNode({ nodeId: uniqueNodeId('survivor') });

    expect((await assignedTo(survivor, request.taskId)).attempt).toBe(2);
    const events = await eventsOnceThere(s, request.taskId, [
      'TaskIssued',
      'TaskAssigned',
      'TaskUnassigned',
      'TaskAssigned',
    ]);
    expect(events[2]?.data).toMatchObject({ nodeId: vanished.nodeId, reason: 'NODE_LOST' });
  });

  test('a leader whose lease another replica took records no assignment, and leads again under a new epoch', async () => {
    // A long lease: its renewal (every third of it) would notice the loss late; the fenced
    // append is what stops the deposed leader here.
    const s = await scheduler({ SCHEDULER_LEASE_TTL_MS: '60000', ADMIN_PORT: '0' });
    const metric = async (line: RegExp): Promise<number> => {
      const text = await (await fetch(`${s.adminUrl}/metrics`)).text();
      return Number(line.exec(text)?.[1] ?? Number.NaN);
    };
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('fenced'), slots: 4 });
    const first = s.issueRequest(fn);
    expect((await s.issue(first)).ok).toBe(true);
    const before = await assignedTo(node, first.taskId);

    const admin = new pg.Pool({ connectionString: s.database.url, max: 1 });
    try {
      await s.giveLeaseToAnother();
      const second = s.issueRequest(fn);
      expect((await s.issue(second)).ok).toBe(true);
      // Issuing needs no lease; assigning does, and the store refuses it under the old epoch (here
      // the assignment meant to be recorded with the issue: the task is then recorded alone). The
      // replica stops leading then, long before its next renewal would have told it.
      await eventually(async () => {
        expect(
          await metric(/^canopy_event_store_append_errors_total\{error="fenced"\} (\d+)/m),
        ).toBeGreaterThanOrEqual(1);
        expect(await metric(/^canopy_scheduler_leader (\d+)/m)).toBe(0);
      });
      expect(node.assignments.map((assignment) => assignment.taskId)).toEqual([first.taskId]);
      expect(await s.taskEventTypes(second.taskId)).toEqual(['TaskIssued']);

      // The other replica goes away; this one takes the lease again, under a higher epoch.
      await admin.query(
        `UPDATE leadership.leases SET expires_at = clock_timestamp() WHERE name = 'scheduler'`,
      );
      const after = await assignedTo(node, second.taskId);
      expect(after.epoch).toBeGreaterThanOrEqual(before.epoch + 2);
      const [, assigned] = await eventsOnceThere(s, second.taskId, ['TaskIssued', 'TaskAssigned']);
      expect(assigned?.metadata).toMatchObject({ epoch: after.epoch });
    } finally {
      await admin.end();
    }
  });

  test('a replica that takes over assigns nothing before it has read what the leader before it recorded', async () => {
    // Heartbeats stop below, as a node's would between two of them: no one may be lost for it.
    const s = await scheduler({ SCHEDULER_HEARTBEAT_TIMEOUT_MS: '60000' });
    const standby = await s.startReplica({ ADMIN_PORT: 0 });
    const leads = async () =>
      /^canopy_scheduler_leader 1$/m.test(
        await (await fetch(`${standby.adminUrl}/metrics`)).text(),
      );
    const fn = await s.registerFunction();
    // Started after the standby, so that both replicas hear it announce its one slot.
    const node = await startNode({ nodeId: uniqueNodeId('taken-over'), slots: 1 });
    await runOneTask(s, fn, node);
    // From now on only the event store can tell the standby that the slot is taken.
    node.stopHeartbeats();

    const first = s.issueRequest(fn);
    const second = s.issueRequest(fn);
    await withSubscriptionsHeldBack(s.database.url, async () => {
      expect((await s.issue(first)).ok).toBe(true);
      await assignedTo(node, first.taskId);
      // The leader goes (releasing its lease); the standby takes over without having been told of
      // the assignment: its subscription is held back.
      await s.stopScheduler();
      await eventually(async () => expect(await leads()).toBe(true));
      expect((await s.issue(second)).ok).toBe(true);
      // Not assigned with its issue, as it would be to a node believed free.
      expect(await s.taskEventTypes(second.taskId)).toEqual(['TaskIssued']);
    });

    // Once the new leader has read the first assignment, the second task waits for its slot.
    expect(await node.result(first.taskId, 1)).toEqual({ ok: true });
    expect((await assignedTo(node, second.taskId)).attempt).toBe(1);
    expect(node.overbooked).toBe(0);
    const position = async (taskId: string, type: string) => {
      const events = await s.store.readStream(`task-${taskId}`);
      return events.find((event) => event.type === type)?.globalPosition;
    };
    const finished = await eventually(async () => {
      const at = await position(first.taskId, 'TaskFinished');
      if (at === undefined) throw new Error('the first task is not finished yet');
      return at;
    });
    expect(await position(second.taskId, 'TaskAssigned')).toBeGreaterThan(finished);
  });
});
