import { eventually } from '@canopy/async-testing';
import {
  LEADER_ISSUE_TASK_BATCH_SUBJECT,
  LEADER_ISSUE_TASK_SUBJECT,
  decodeJson,
  parseIssueTaskBatchReply,
  parseIssueTaskReply,
} from '@canopy/contracts';
import { connect } from '@nats-io/transport-node';
import type { SchedulerFixture } from '../testing/scheduler-fixture.js';
import { runOneTask, schedulerTestBed, uniqueNodeId } from '../testing/scheduler-test-bed.js';

// Issue requests reach any replica; a standby hands them to the leader, and records them itself when
// the leader does not answer. Real PostgreSQL and NATS, schedulers in-process, scripted nodes.

const { scheduler, startNode } = schedulerTestBed();

async function metric(adminUrl: string | undefined, line: RegExp): Promise<number> {
  if (adminUrl === undefined) throw new Error('the scheduler has no admin listener');
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? Number.NaN);
}

const handOffs = (outcome: string): RegExp =>
  new RegExp(`^canopy_scheduler_issue_handoffs_total\\{outcome="${outcome}"\\} (\\d+)`, 'm');
const leading = /^canopy_scheduler_leader (\d+)/m;

/** Another holder takes the fixture's lease; resolves once the scheduler knows it does not lead. */
async function depose(s: SchedulerFixture): Promise<void> {
  await s.giveLeaseToAnother();
  await eventually(async () => (await metric(s.adminUrl, leading)) === 0);
}

describe('issue requests with several scheduler replicas', () => {
  test('a standby hands the requests it takes to the leader, which records each with its assignment', async () => {
    const s = await scheduler({ ADMIN_PORT: '0' });
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('handed'), slots: 16 });
    await runOneTask(s, fn, node);
    // A long wait for the leader, so that a busy machine cannot make the standby record one itself.
    const standby = await s.startReplica({
      ADMIN_PORT: 0,
      SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS: 10_000,
    });
    await eventually(async () => (await fetch(`${standby.adminUrl}/readyz`)).ok);
    expect(await metric(standby.adminUrl, leading)).toBe(0);
    const assigned = (way: string) =>
      metric(s.adminUrl, new RegExp(`^canopy_tasks_assigned_total\\{way="${way}"\\} (\\d+)`, 'm'));
    const before = { issue: await assigned('issue'), pass: await assigned('pass') };

    // The queue group picks a replica at random for each request: about half reach the standby.
    const tasks = Array.from({ length: 16 }, () => s.issueRequest(fn));
    for (const task of tasks)
      expect(await s.issue(task)).toEqual({ ok: true, taskId: task.taskId });

    // Every task was recorded by the leader with its assignment, in the append that issued it: none
    // waited for a matching pass, whichever replica the request reached.
    expect(await assigned('issue')).toBe(before.issue + tasks.length);
    expect(await assigned('pass')).toBe(before.pass);
    for (const task of tasks) {
      expect(await s.taskEventTypes(task.taskId)).toEqual(['TaskIssued', 'TaskAssigned']);
    }
    for (const outcome of ['no_leader', 'timed_out', 'unavailable', 'failed']) {
      expect(await metric(standby.adminUrl, handOffs(outcome))).toBe(0);
    }
    await eventually(() => node.runningTasks.length === tasks.length);
    expect(node.overbooked).toBe(0);
  });

  test('with no leader listening, a replica records the request itself at once', async () => {
    const s = await scheduler({ ADMIN_PORT: '0' });
    const fn = await s.registerFunction();
    await depose(s);

    const task = s.issueRequest(fn);
    expect(await s.issue(task)).toEqual({ ok: true, taskId: task.taskId });
    expect(await s.taskEventTypes(task.taskId)).toEqual(['TaskIssued']);
    expect(await metric(s.adminUrl, handOffs('no_leader'))).toBe(1);
    expect(await metric(s.adminUrl, handOffs('answered'))).toBe(0);
  });

  test('a leader that does not answer in time, or cannot record it, leaves the request to the standby', async () => {
    const s = await scheduler({ ADMIN_PORT: '0', SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS: '300' });
    const fn = await s.registerFunction();
    await depose(s);
    // Where the leader listens: it answers the first request UNAVAILABLE and no other.
    const leader = await connect({ servers: s.config.NATS_URL, name: 'silent leader' });
    let heard = 0;
    const unavailable = {
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'store away' },
      retry: true,
    };
    leader.subscribe(LEADER_ISSUE_TASK_SUBJECT, {
      callback: (_error, msg) => {
        heard += 1;
        if (heard === 1) msg.respond(JSON.stringify(unavailable));
      },
    });
    await leader.flush();
    try {
      const tasks = [s.issueRequest(fn), s.issueRequest(fn)];
      for (const task of tasks) {
        expect(await s.issue(task)).toEqual({ ok: true, taskId: task.taskId });
        expect(await s.taskEventTypes(task.taskId)).toEqual(['TaskIssued']);
      }
      expect(heard).toBe(2);
      expect(await metric(s.adminUrl, handOffs('unavailable'))).toBe(1);
      expect(await metric(s.adminUrl, handOffs('timed_out'))).toBe(1);
    } finally {
      await leader.close();
    }
  });

  test('the leader answers the requests handed to it, single and batched', async () => {
    const s = await scheduler();
    const fn = await s.registerFunction();
    const node = await startNode({ nodeId: uniqueNodeId('leader-subjects'), slots: 4 });
    await runOneTask(s, fn, node);

    // As a standby would hand them on: the request as the gateway sent it.
    const single = s.issueRequest(fn);
    const singleReply = await s.client.request(LEADER_ISSUE_TASK_SUBJECT, JSON.stringify(single), {
      timeout: 10_000,
    });
    expect(parseIssueTaskReply(decodeJson(singleReply.data, 'reply'))).toEqual({
      ok: true,
      taskId: single.taskId,
    });
    const tasks = [s.issueRequest(fn), s.issueRequest(fn)];
    const batch = {
      accountId: fn.accountId,
      functionId: fn.functionId,
      issuedAt: new Date().toISOString(),
      tasks: tasks.map(({ taskId, request }) => ({ taskId, request })),
    };
    const batchReply = await s.client.request(
      LEADER_ISSUE_TASK_BATCH_SUBJECT,
      JSON.stringify(batch),
      { timeout: 10_000 },
    );
    const parsed = parseIssueTaskBatchReply(decodeJson(batchReply.data, 'reply'));
    expect(parsed.ok && parsed.outcomes.every((outcome) => outcome.ok)).toBe(true);
    for (const { taskId } of [single, ...tasks]) {
      expect(await s.taskEventTypes(taskId)).toEqual(['TaskIssued', 'TaskAssigned']);
    }
    // A malformed request is answered, as on the queue group's subject, and the leader serves on.
    const malformed = await s.client.request(LEADER_ISSUE_TASK_SUBJECT, '{"taskId":', {
      timeout: 10_000,
    });
    expect(parseIssueTaskReply(decodeJson(malformed.data, 'reply'))).toMatchObject({
      ok: false,
      error: { code: 'CONTRACT_VIOLATION' },
    });
  });

  test("a standby passes the leader's answer back as it came, and records nothing itself", async () => {
    const s = await scheduler({ ADMIN_PORT: '0' });
    const fn = await s.registerFunction();
    await depose(s);
    const refusal = {
      ok: false,
      error: { code: 'FUNCTION_NOT_FOUND', message: 'no such function (the leader says)' },
    };
    const leader = await connect({ servers: s.config.NATS_URL, name: 'leader' });
    for (const subject of [LEADER_ISSUE_TASK_SUBJECT, LEADER_ISSUE_TASK_BATCH_SUBJECT]) {
      leader.subscribe(subject, {
        callback: (_error, msg) => {
          msg.respond(JSON.stringify(refusal));
        },
      });
    }
    await leader.flush();
    try {
      const task = s.issueRequest(fn);
      expect(await s.issue(task)).toEqual(refusal);
      const batched = s.issueRequest(fn);
      expect(
        await s.issueBatch({
          accountId: fn.accountId,
          functionId: fn.functionId,
          issuedAt: new Date().toISOString(),
          tasks: [{ taskId: batched.taskId, request: batched.request }],
        }),
      ).toEqual(refusal);
      expect(await s.taskEventTypes(task.taskId)).toEqual([]);
      expect(await s.taskEventTypes(batched.taskId)).toEqual([]);
      expect(await metric(s.adminUrl, handOffs('answered'))).toBe(2);
    } finally {
      await leader.close();
    }
  });
});
