import { eventually } from '@canopy/async-testing';
import { nodeStreamId, parseNodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import { toNewEvents } from '@canopy/event-store';
import { decide, foldNode, registeredNodeId } from '@canopy/node-domain';
import type { NodeCommand } from '@canopy/node-domain';
import { createUser } from '@nats-io/nkeys';
import { objectId } from '../testing/scheduler-fixture.js';
import type { SchedulerFixture } from '../testing/scheduler-fixture.js';
import { schedulerTestBed } from '../testing/scheduler-test-bed.js';
import type { ScriptedNode } from '../testing/scripted-node.js';
import type { NodeCredentialRevoker } from './node-credential-revoker.js';

// Owners disabling and restoring their nodes, against a real scheduler, PostgreSQL and NATS. The
// owner's events are appended here as the gateway appends them.

/** Records every revocation set; fails its first call, as an unreachable NATS account server would. */
class RecordingRevoker implements NodeCredentialRevoker {
  readonly applied: Map<string, number>[] = [];
  failures = 0;

  async apply(revoked: ReadonlyMap<string, number>): Promise<void> {
    if (this.failures === 0) {
      this.failures += 1;
      throw new Error('account server unreachable');
    }
    this.applied.push(new Map(revoked));
  }

  get latest(): Map<string, number> | undefined {
    return this.applied.at(-1);
  }
}

const testBed = schedulerTestBed();

async function ownerDecides(s: SchedulerFixture, nodeId: string, command: NodeCommand) {
  const streamId = nodeStreamId(nodeId);
  const recorded = await s.store.readStream(streamId);
  const history: NodeEvent[] = recorded.map((event) =>
    parseNodeEvent({ type: event.type, data: event.data, metadata: event.metadata }),
  );
  const events = decide(command, foldNode(history));
  await s.store.appendToStream(streamId, toNewEvents(streamId, recorded.length, events), {
    expectedVersion: recorded.length === 0 ? 'no_stream' : recorded.length,
  });
}

async function registerNode(s: SchedulerFixture, accountId: string, hash: string) {
  const nodeId = registeredNodeId(accountId, hash);
  const userPublicKey = createUser().getPublicKey();
  await ownerDecides(s, nodeId, {
    type: 'RegisterNode',
    data: {
      nodeId,
      accountId,
      hash,
      description: '',
      userPublicKey,
      now: new Date().toISOString(),
    },
  });
  return { nodeId, userPublicKey };
}

const owner = (type: 'DisableNode' | 'EnableNode', nodeId: string, accountId: string, now: Date) =>
  ({ type, data: { nodeId, accountId, now: now.toISOString() } }) as const;

const startNode = (nodeId: string): Promise<ScriptedNode> =>
  testBed.startNode({ nodeId, slots: 1 });

const assignmentOf = (node: ScriptedNode, taskId: string) =>
  eventually(() => {
    const assignment = node.assignments.find((candidate) => candidate.taskId === taskId);
    if (assignment === undefined) throw new Error(`no assignment of ${taskId} to ${node.nodeId}`);
    return assignment;
  });

test('a disabled node loses its task to another node, is refused, is revoked, and works again once enabled', async () => {
  const revoker = new RecordingRevoker();
  const s = await testBed.scheduler({}, { nodeCredentialRevoker: revoker });
  const accountId = objectId();
  const fn = await s.registerFunction({ cpuCount: 1, memSize: 256, timeout: 60 }, accountId);
  const a = await registerNode(s, accountId, 'node-a');
  const b = await registerNode(s, accountId, 'node-b');

  // At start, once the node streams are read, the (empty) set is applied, after a failed try.
  await eventually(() => expect(revoker.latest).toEqual(new Map()));
  expect(revoker.failures).toBe(1);

  const nodeA = await startNode(a.nodeId);
  const first = s.issueRequest(fn);
  expect(await s.issue(first)).toEqual({ ok: true, taskId: first.taskId });
  expect(await assignmentOf(nodeA, first.taskId)).toMatchObject({ attempt: 1 });
  await eventually(async () =>
    expect(await s.taskEventTypes(first.taskId)).toEqual(['TaskIssued', 'TaskAssigned']),
  );
  const nodeB = await startNode(b.nodeId);

  const disabledAt = new Date();
  await ownerDecides(s, a.nodeId, owner('DisableNode', a.nodeId, accountId, disabledAt));

  // Its task is unassigned (NODE_DISABLED), it is told to stop, and the task moves to node B.
  await eventually(() =>
    expect(nodeA.cancellations).toContainEqual({
      taskId: first.taskId,
      attempt: 1,
      reason: 'NODE_DISABLED',
    }),
  );
  expect(await assignmentOf(nodeB, first.taskId)).toMatchObject({ attempt: 2 });
  await eventually(async () => {
    const events = await s.taskEvents(first.taskId);
    expect(events.map((event) => event.type)).toEqual([
      'TaskIssued',
      'TaskAssigned',
      'TaskUnassigned',
      'TaskAssigned',
    ]);
    expect(events[2]?.data).toMatchObject({
      nodeId: a.nodeId,
      attempt: 1,
      reason: 'NODE_DISABLED',
    });
    expect(events[3]?.data).toMatchObject({ nodeId: b.nodeId, attempt: 2 });
  });

  // Its late reports are refused for good, and nothing is appended.
  const refused = { ok: false, error: { code: 'NODE_DISABLED' }, retry: false };
  expect(await nodeA.progress(first.taskId, 1, 50)).toMatchObject(refused);
  expect(await nodeA.result(first.taskId, 1)).toMatchObject(refused);
  expect(await s.taskEventTypes(first.taskId)).toHaveLength(4);
  // So are its announcements and heartbeats.
  expect(await nodeA.announce()).toMatchObject({ ok: false, error: { code: 'NODE_DISABLED' } });
  expect(await nodeA.heartbeat()).toMatchObject({ ok: false, error: { code: 'NODE_DISABLED' } });
  // Its credentials are revoked as of the disabling.
  await eventually(() =>
    expect(revoker.latest).toEqual(
      new Map([[a.userPublicKey, Math.floor(disabledAt.getTime() / 1000)]]),
    ),
  );

  // The task finishes on node B.
  expect(await nodeB.result(first.taskId, 2)).toEqual({ ok: true });
  expect((await s.taskEventTypes(first.taskId)).at(-1)).toBe('TaskFinished');
  expect((await s.nodeEvents(a.nodeId)).map((event) => event.type)).toEqual([
    'NodeRegistered',
    'NodeAnnounced',
    'NodeDisabled',
  ]);

  // A disabled node gets no new work: with B gone, a new task waits.
  nodeA.stopHeartbeats();
  expect(await nodeB.goodbye()).toEqual({ ok: true });
  const second = s.issueRequest(fn);
  expect(await s.issue(second)).toEqual({ ok: true, taskId: second.taskId });
  // Long enough for several dispatch passes and an offer timeout.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(nodeA.assignments.map((assignment) => assignment.taskId)).not.toContain(second.taskId);
  expect(await s.taskEventTypes(second.taskId)).toEqual(['TaskIssued']);

  // Enabled: its key is no longer revoked, it may announce, and it gets the waiting task.
  await ownerDecides(s, a.nodeId, owner('EnableNode', a.nodeId, accountId, new Date()));
  await eventually(() => expect(revoker.latest).toEqual(new Map()));
  const announced = await eventually(async () => {
    const reply = await nodeA.announce();
    if (!reply.ok) throw new Error(`announcement refused: ${reply.error.code}`);
    return reply;
  });
  nodeA.startHeartbeats(announced.heartbeatIntervalMs);
  expect(await assignmentOf(nodeA, second.taskId)).toMatchObject({ attempt: 1 });
  expect(await nodeA.result(second.taskId, 1)).toEqual({ ok: true });
  expect((await s.taskEventTypes(second.taskId)).at(-1)).toBe('TaskFinished');
  expect((await s.nodeEvents(a.nodeId)).map((event) => event.type)).toEqual([
    'NodeRegistered',
    'NodeAnnounced',
    'NodeDisabled',
    'NodeEnabled',
    'NodeAnnounced',
  ]);
});

test('a node disabled while the scheduler was down is refused after a restart, and revoked at start', async () => {
  const revoker = new RecordingRevoker();
  revoker.failures = 1;
  const s = await testBed.scheduler({}, { nodeCredentialRevoker: revoker });
  const accountId = objectId();
  const a = await registerNode(s, accountId, 'node-a');
  await s.stopScheduler();
  const disabledAt = new Date();
  await ownerDecides(s, a.nodeId, owner('DisableNode', a.nodeId, accountId, disabledAt));
  await s.startScheduler();

  await eventually(() =>
    expect(revoker.latest).toEqual(
      new Map([[a.userPublicKey, Math.floor(disabledAt.getTime() / 1000)]]),
    ),
  );
  const nodeA = await testBed.startNode({ nodeId: a.nodeId }, { announce: false });
  expect(await nodeA.announce()).toMatchObject({ ok: false, error: { code: 'NODE_DISABLED' } });
});
