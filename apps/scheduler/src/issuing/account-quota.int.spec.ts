import { eventually } from '@canopy/async-testing';
import { startPrivateNats } from '@canopy/local-services/testing';
import type { PrivateNats } from '@canopy/local-services/testing';
import { SchedulerFixture } from '../testing/scheduler-fixture.js';
import { ScriptedNode } from '../testing/scripted-node.js';

// MAX_WAITING_TASKS_PER_ACCOUNT against a real scheduler, event store and NATS.

let nats: PrivateNats;
let fixture: SchedulerFixture;
let node: ScriptedNode | undefined;

beforeAll(async () => {
  nats = await startPrivateNats();
  fixture = await SchedulerFixture.start(nats.url, { MAX_WAITING_TASKS_PER_ACCOUNT: '2' });
});

afterAll(async () => {
  await node?.close();
  await fixture.close();
  await nats.stop();
});

test('an account at its limit of unfinished tasks gets NO_QUOTA_AVAILABLE and nothing is appended', async () => {
  const fn = await fixture.registerFunction({ cpuCount: 1, memSize: 64 });
  const first = fixture.issueRequest(fn);
  const second = fixture.issueRequest(fn);
  expect(await fixture.issue(first)).toEqual({ ok: true, taskId: first.taskId });
  expect(await fixture.issue(second)).toEqual({ ok: true, taskId: second.taskId });

  const third = fixture.issueRequest(fn);
  expect(await fixture.issue(third)).toEqual({
    ok: false,
    error: { code: 'NO_QUOTA_AVAILABLE', message: 'the account already has 2 unfinished tasks' },
    retry: false,
  });
  expect(await fixture.taskEvents(third.taskId)).toEqual([]);

  // A repeat of a task already issued is still answered ok, without a second TaskIssued.
  expect(await fixture.issue(first)).toEqual({ ok: true, taskId: first.taskId });
  expect(await fixture.taskEventTypes(first.taskId)).toEqual(['TaskIssued']);

  // Another account is not affected.
  const otherFn = await fixture.registerFunction({ cpuCount: 1, memSize: 64 });
  const other = fixture.issueRequest(otherFn);
  expect(await fixture.issue(other)).toEqual({ ok: true, taskId: other.taskId });

  // Once one of the account's tasks has finished, the account may issue again.
  node = await ScriptedNode.start({
    servers: nats.url,
    nodeId: `quota-node-${first.taskId.slice(-6)}`,
    capabilities: { cpuCount: 1, memSize: 64 },
    slots: 1,
  });
  const assignment = await eventually(() => {
    const [assigned] = node?.assignments ?? [];
    if (assigned === undefined) throw new Error('no assignment yet');
    return assigned;
  });
  expect(await node.result(assignment.taskId, assignment.attempt)).toEqual({ ok: true });
  const fourth = fixture.issueRequest(fn);
  await eventually(async () =>
    expect(await fixture.issue(fourth)).toEqual({ ok: true, taskId: fourth.taskId }),
  );
});
