import { eventually } from '@canopy/async-testing';
import { LEADER_FUNCTION_CHANGED_SUBJECT, decodeJson } from '@canopy/contracts';
import type { RuntimeSpec } from '@canopy/contracts';
import { withSubscriptionsHeldBack } from '@canopy/event-store/testing';
import type { SchedulerFixture } from '../testing/scheduler-fixture.js';
import { schedulerTestBed, uniqueNodeId } from '../testing/scheduler-test-bed.js';

// A task runs the version of its function it was issued against, whatever the function becomes
// before a node takes it; a deleted function takes no new task but its tasks still run.

const { scheduler, startNode } = schedulerTestBed();

const echo = (word: string): RuntimeSpec => ({ kind: 'process', command: 'echo', args: [word] });

/** The leader's reply to a FunctionChanged notice, once a replica leads. */
function tellLeader(s: SchedulerFixture, notice: unknown): Promise<unknown> {
  return eventually(async () => {
    const reply = await s.client.request(LEADER_FUNCTION_CHANGED_SUBJECT, JSON.stringify(notice), {
      timeout: 5_000,
    });
    return decodeJson(reply.data, 'FunctionChanged reply');
  }, 30_000);
}

describe('function versions', () => {
  test('a task issued before a change runs the old version; one issued after runs the new', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({ cpuCount: 1 }, undefined, echo('old'));
    const before = s.issueRequest(fn);
    expect((await s.issue(before)).ok).toBe(true);
    // Version 2 needs a bigger node than the one that comes first.
    const retry = {
      maxAttempts: 2,
      backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
      on: [503],
    };
    await s.changeFunction(fn, 2, {
      capabilities: { cpuCount: 8 },
      runtime: echo('new'),
      retry,
      priority: 9,
    });

    const small = await startNode({ nodeId: uniqueNodeId('small'), capabilities: { cpuCount: 1 } });
    const first = await eventually(() => {
      const [assignment] = small.assignments;
      if (assignment === undefined) throw new Error('not assigned yet');
      return assignment;
    }, 30_000);
    expect({ taskId: first.taskId, runtime: first.runtime }).toEqual({
      taskId: before.taskId,
      runtime: echo('old'),
    });
    const [issuedBefore] = await s.taskEvents(before.taskId);
    expect(issuedBefore?.data).toMatchObject({ functionVersion: 1, requirements: { cpuCount: 1 } });
    expect(issuedBefore?.data).not.toHaveProperty('retry');

    // The change reaches the scheduler through its subscription: a task issued once it has is
    // issued against version 2, with its requirements.
    const after = await eventually(async () => {
      const request = s.issueRequest(fn);
      expect((await s.issue(request)).ok).toBe(true);
      const [issued] = await s.taskEvents(request.taskId);
      expect(issued?.data).toMatchObject({
        functionVersion: 2,
        requirements: { cpuCount: 8 },
        retry,
        priority: 9,
      });
      return request;
    }, 30_000);
    // Tasks the loop above issued before the change reached the scheduler (version 1) may go to this
    // node too: it has room for all of them.
    const big = await startNode({
      nodeId: uniqueNodeId('big'),
      capabilities: { cpuCount: 8 },
      slots: 1000,
    });
    await eventually(() =>
      expect(
        big.assignments
          .filter((assignment) => assignment.taskId === after.taskId)
          .map((assignment) => assignment.runtime),
      ).toEqual([echo('new')]),
    );
  });

  test('a function changed before the scheduler first reads it is issued at its current version', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({}, undefined, echo('v1'));
    await s.changeFunction(fn, 2, { runtime: echo('v2') });
    await s.changeFunction(fn, 3, { capabilities: { timeout: 5 }, runtime: echo('v3') });
    const request = s.issueRequest(fn);
    expect((await s.issue(request)).ok).toBe(true);
    const [issued] = await s.taskEvents(request.taskId);
    expect(issued?.data).toMatchObject({ functionVersion: 3, timeout: 5 });
    const node = await startNode({ nodeId: uniqueNodeId('node') });
    await eventually(() =>
      expect(node.assignments.map((assignment) => assignment.runtime)).toEqual([echo('v3')]),
    );
  });

  test('a deleted function takes no new task, and the tasks it accepted still run their version', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({}, undefined, echo('kept'));
    const accepted = s.issueRequest(fn);
    expect((await s.issue(accepted)).ok).toBe(true);
    await s.deleteFunction(fn, 1);

    await eventually(async () => {
      const refused = s.issueRequest(fn);
      expect(await s.issue(refused)).toMatchObject({
        ok: false,
        error: { code: 'FUNCTION_NOT_FOUND' },
      });
      expect(await s.taskEventTypes(refused.taskId)).toEqual([]);
    });

    const node = await startNode({ nodeId: uniqueNodeId('node') });
    await eventually(() =>
      expect(node.assignments.map((assignment) => [assignment.taskId, assignment.runtime])).toEqual(
        [[accepted.taskId, echo('kept')]],
      ),
    );
    expect(await node.result(accepted.taskId, 1)).toEqual({ ok: true });
    expect(await s.taskEventTypes(accepted.taskId)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskFinished',
    ]);
  });

  test('a change the leader is told of is issued against at once, before its subscription has it', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction({}, undefined, echo('v1'));
    const first = s.issueRequest(fn);
    expect((await s.issue(first)).ok).toBe(true);
    const deleted = await s.registerFunction({}, undefined, echo('v1'));
    expect((await s.issue(s.issueRequest(deleted))).ok).toBe(true);
    // Not remembered: no task of it was issued.
    const unused = await s.registerFunction({}, undefined, echo('v1'));
    const unknown = { functionId: '6405848581b16f7a07cd4c48', version: 4 };

    await withSubscriptionsHeldBack(s.database.url, async () => {
      await s.changeFunction(fn, 2, { runtime: echo('v2') });
      expect(await tellLeader(s, { functionId: fn.functionId, version: 2 })).toEqual({
        ok: true,
        version: 2,
      });
      const after = s.issueRequest(fn);
      expect((await s.issue(after)).ok).toBe(true);
      const [issued] = await s.taskEvents(after.taskId);
      expect(issued?.data).toMatchObject({ functionVersion: 2 });

      await s.deleteFunction(deleted, 1);
      expect(await tellLeader(s, { functionId: deleted.functionId, version: 2 })).toEqual({
        ok: true,
        version: 2,
      });
      expect(await s.issue(s.issueRequest(deleted))).toMatchObject({
        ok: false,
        error: { code: 'FUNCTION_NOT_FOUND' },
      });

      // One it does not remember is read, and remembered at the version told.
      await s.changeFunction(unused, 2, { runtime: echo('v2') });
      expect(await tellLeader(s, { functionId: unused.functionId, version: 2 })).toEqual({
        ok: true,
        version: 2,
      });
    });

    // A function without a stream: nothing to hold.
    expect(await tellLeader(s, unknown)).toEqual({ ok: true, version: 0 });
    expect(await tellLeader(s, { functionId: fn.functionId })).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION', field: 'version' },
    });
  });
});
