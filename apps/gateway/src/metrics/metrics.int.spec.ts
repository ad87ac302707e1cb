import { nodeEvent, nodeStreamId, taskCommand } from '@canopy/contracts';
import type { NodeEvent, TaskCommand } from '@canopy/contracts';
import { exampleTaskIssuedData } from '@canopy/contracts/testing';
import type { paths } from '@canopy/client';
import { RecordingSubscription } from '@canopy/event-store/testing';
import { newObjectId } from '@canopy/identity';
import {
  apiProjections,
  holdProjectorLock,
  projectBatch,
  readProjectionPosition,
} from '@canopy/read-models/projections';
import { randomUUID } from 'node:crypto';
import { toNewEvents } from '@canopy/event-store';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from '../testing/gateway-harness.js';

// GET /v1/metrics and the metrics block of GET /v1/function/:id, after tasks and nodes of two
// accounts went through the real projections (the projector's batch function, run here).

let harness: GatewayHarness;
let scheduler: { stop(): void };
let owner: TestAccount;
let ownerToken: string;
let stranger: TestAccount;
let strangerToken: string;
let fn1: string;
let fn2: string;
let strangerFn: string;
let lastStreamId: string;

const suffix = randomUUID().slice(0, 8);
const nodes = {
  busy: `busy-${suffix}`,
  free: `free-${suffix}`,
  disabled: `disabled-${suffix}`,
  left: `left-${suffix}`,
  neverAnnounced: `quiet-${suffix}`,
  platform: `platform-${suffix}`,
  strangers: `strangers-${suffix}`,
};

/** GET /v1/metrics/recent's body, as the OpenAPI document declares it (through @canopy/client). */
type RecentMetrics =
  paths['/v1/metrics/recent']['get']['responses']['200']['content']['application/json'];

const DAY_SECONDS = 86_400;
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

async function appendNodeEvents(nodeId: string, events: NodeEvent[]): Promise<void> {
  const streamId = nodeStreamId(nodeId);
  await harness.store.appendToStream(streamId, toNewEvents(streamId, 0, events), {
    expectedVersion: 'no_stream',
  });
  lastStreamId = streamId;
}

function registered(nodeId: string, accountId: string): NodeEvent {
  return nodeEvent('NodeRegistered', {
    nodeId,
    accountId,
    hash: nodeId,
    description: '',
    userPublicKey: `U${'A'.repeat(55)}`,
    at: secondsAgo(60),
  });
}

function announced(nodeId: string): NodeEvent {
  return nodeEvent('NodeAnnounced', {
    nodeId,
    capabilities: { cpuCount: 2, memSize: 2048, networkLatency: 5, privileged: false },
    slots: 2,
    agent: 'canopy-node-agent/0.1.0',
    at: secondsAgo(50),
  });
}

async function registerFunction(token: string): Promise<string> {
  const response = await harness.request('/v1/function', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'fn',
      capabilities: { timeout: 10 },
      runtime: { kind: 'process', command: 'true' },
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Issues a task through the API (so it is issued now, by the gateway's clock). */
async function issueTask(token: string, functionId: string): Promise<string> {
  const response = await harness.request(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Records a task issued at `issuedAt`, as the scheduler would have. */
async function issueTaskAt(
  account: TestAccount,
  functionId: string,
  issuedAt: string,
): Promise<string> {
  const taskId = newObjectId();
  await decide(
    taskCommand(
      'IssueTask',
      exampleTaskIssuedData({ taskId, accountId: account.accountId, functionId, issuedAt }),
    ),
  );
  return taskId;
}

/** Records a task issued `daysAgo` days ago, as the scheduler would have. */
function issueTaskInThePast(
  account: TestAccount,
  functionId: string,
  daysAgo: number,
): Promise<string> {
  return issueTaskAt(account, functionId, secondsAgo(daysAgo * DAY_SECONDS));
}

async function decide(command: TaskCommand): Promise<void> {
  await harness.decideOnTask(command);
  lastStreamId = `task-${command.data.taskId}`;
}

const assign = (taskId: string, nodeId: string) =>
  decide(taskCommand('AssignTask', { taskId, nodeId, attempt: 1, now: secondsAgo(0) }));
const finish = (taskId: string, nodeId: string, status = 200) =>
  decide(
    taskCommand('FinishTask', {
      taskId,
      nodeId,
      attempt: 1,
      response: { status, contentType: null, headers: {}, body: '' },
      now: secondsAgo(0),
    }),
  );
const fail = (taskId: string, reason: 'TIMEOUT' | 'NO_RUNNER') =>
  decide(taskCommand('FailTask', { taskId, reason, message: reason, now: secondsAgo(0) }));

/** Projects every event recorded so far that the read models have not seen, as the projector does. */
async function projectEverything(): Promise<void> {
  const [last] = (await harness.store.readStream(lastStreamId)).slice(-1);
  if (last === undefined) throw new Error(`nothing in ${lastStreamId}`);
  const subscription = new RecordingSubscription(harness.store);
  let events;
  try {
    events = await subscription.waitForIds([last.id]);
  } finally {
    await subscription.stop();
  }
  await harness.db.transaction().execute(async (trx) => {
    await holdProjectorLock(trx, apiProjections);
    const position = await readProjectionPosition(trx, apiProjections.name);
    await projectBatch(trx, apiProjections, position, events.slice(position.eventsApplied));
  });
}

async function getJson(path: string, token: string): Promise<unknown> {
  const response = await harness.request(path, { token });
  expect(response.status).toBe(200);
  return response.json();
}

let runningTask: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_metrics');
  scheduler = harness.standInScheduler();
  owner = await harness.createAccount('Owner');
  ownerToken = await harness.tokenFor(owner);
  stranger = await harness.createAccount('Stranger');
  strangerToken = await harness.tokenFor(stranger);
  fn1 = await registerFunction(ownerToken);
  fn2 = await registerFunction(ownerToken);
  strangerFn = await registerFunction(strangerToken);

  const { accountId } = owner;
  await appendNodeEvents(nodes.busy, [registered(nodes.busy, accountId), announced(nodes.busy)]);
  await appendNodeEvents(nodes.free, [registered(nodes.free, accountId), announced(nodes.free)]);
  await appendNodeEvents(nodes.disabled, [
    registered(nodes.disabled, accountId),
    announced(nodes.disabled),
    nodeEvent('NodeDisabled', { nodeId: nodes.disabled, accountId, at: secondsAgo(40) }),
  ]);
  await appendNodeEvents(nodes.left, [
    registered(nodes.left, accountId),
    announced(nodes.left),
    nodeEvent('NodeLeft', { nodeId: nodes.left, at: secondsAgo(40) }),
  ]);
  await appendNodeEvents(nodes.neverAnnounced, [registered(nodes.neverAnnounced, accountId)]);
  await appendNodeEvents(nodes.platform, [announced(nodes.platform)]);
  await appendNodeEvents(nodes.strangers, [
    registered(nodes.strangers, stranger.accountId),
    announced(nodes.strangers),
  ]);

  // fn1: finished, running, waiting, failed today; finished 3 days ago; failed 10 days ago.
  const finished = await issueTask(ownerToken, fn1);
  await assign(finished, nodes.busy);
  await finish(finished, nodes.busy);
  runningTask = await issueTask(ownerToken, fn1);
  await assign(runningTask, nodes.busy);
  await issueTask(ownerToken, fn1);
  const failed = await issueTask(ownerToken, fn1);
  await assign(failed, nodes.busy);
  await fail(failed, 'TIMEOUT');
  const lastWeek = await issueTaskInThePast(owner, fn1, 3);
  await assign(lastWeek, nodes.busy);
  await finish(lastWeek, nodes.busy, 500);
  await fail(await issueTaskInThePast(owner, fn1, 10), 'NO_RUNNER');
  // fn2: running on a platform node, which counts for no account.
  await assign(await issueTask(ownerToken, fn2), nodes.platform);
  // The stranger's task runs on the stranger's node.
  await assign(await issueTask(strangerToken, strangerFn), nodes.strangers);

  await projectEverything();
});

afterAll(async () => {
  scheduler?.stop();
  await harness?.stop();
});

describe('GET /v1/metrics', () => {
  test("counts the caller's tasks and nodes only", async () => {
    expect(await getJson('/v1/metrics', ownerToken)).toEqual({
      pendingTasks: 3,
      pendingBuilds: 0,
      activeNodes: 2,
      freeNodes: 1,
      busyNodes: 1,
      todayTasks: 5,
      completedTasks: 2,
    });
    expect(await getJson('/v1/metrics', strangerToken)).toEqual({
      pendingTasks: 1,
      pendingBuilds: 0,
      activeNodes: 1,
      freeNodes: 0,
      busyNodes: 1,
      todayTasks: 1,
      completedTasks: 0,
    });
  });

  test('an account with nothing yet has zeros', async () => {
    const token = await harness.tokenFor(await harness.createAccount('Newcomer'));
    expect(await getJson('/v1/metrics', token)).toEqual({
      pendingTasks: 0,
      pendingBuilds: 0,
      activeNodes: 0,
      freeNodes: 0,
      busyNodes: 0,
      todayTasks: 0,
      completedTasks: 0,
    });
  });

  test('needs an access token', async () => {
    const response = await harness.request('/v1/metrics');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
  });
});

describe('GET /v1/function/:id metrics', () => {
  test('count the tasks of that function: today, this week, pending, completed', async () => {
    expect(await getJson(`/v1/function/${fn1}`, ownerToken)).toMatchObject({
      id: fn1,
      metrics: { todaysTasks: 4, pendingTasks: 2, weekTasks: 5, completedTasks: 2 },
    });
    expect(await getJson(`/v1/function/${fn2}`, ownerToken)).toMatchObject({
      id: fn2,
      metrics: { todaysTasks: 1, pendingTasks: 1, weekTasks: 1, completedTasks: 0 },
    });
  });

  test("another account's function is still not found", async () => {
    const response = await harness.request(`/v1/function/${fn1}`, { token: strangerToken });
    expect(response.status).toBe(404);
  });

  test('a function without tasks has zeros', async () => {
    const fn = await registerFunction(ownerToken);
    expect(await getJson(`/v1/function/${fn}`, ownerToken)).toMatchObject({
      metrics: { todaysTasks: 0, pendingTasks: 0, weekTasks: 0, completedTasks: 0 },
    });
  });
});

describe('after the projector applies more events', () => {
  test('a finished task moves from pending to completed and frees its node', async () => {
    await finish(runningTask, nodes.busy);
    await projectEverything();
    expect(await getJson('/v1/metrics', ownerToken)).toEqual({
      pendingTasks: 2,
      pendingBuilds: 0,
      activeNodes: 2,
      freeNodes: 2,
      busyNodes: 0,
      todayTasks: 5,
      completedTasks: 3,
    });
    expect(await getJson(`/v1/function/${fn1}`, ownerToken)).toMatchObject({
      metrics: { todaysTasks: 4, pendingTasks: 1, weekTasks: 5, completedTasks: 3 },
    });
  });
});

describe('GET /v1/metrics/recent', () => {
  test('the last hour by minute of issue: counts, and time to result of the finished tasks', async () => {
    const account = await harness.createAccount('Recent');
    const token = await harness.tokenFor(account);
    const fn = await registerFunction(token);
    // Ten seconds into the minute five minutes ago, and one two hours ago (outside the window).
    const minute = Math.floor(Date.now() / 60_000) - 5;
    const issuedAt = new Date(minute * 60_000 + 10_000);
    const at = (offsetMs: number) => new Date(issuedAt.getTime() + offsetMs).toISOString();
    const issueAt = (time: Date) => issueTaskAt(account, fn, time.toISOString());
    const runFor = async (taskId: string, finishedAfterMs: number) => {
      await decide(
        taskCommand('AssignTask', { taskId, nodeId: nodes.busy, attempt: 1, now: at(500) }),
      );
      await decide(
        taskCommand('FinishTask', {
          taskId,
          nodeId: nodes.busy,
          attempt: 1,
          response: { status: 200, contentType: null, headers: {}, body: '' },
          now: at(finishedAfterMs),
        }),
      );
    };
    await runFor(await issueAt(issuedAt), 1_000);
    await runFor(await issueAt(issuedAt), 3_000);
    await decide(
      taskCommand('FailTask', {
        taskId: await issueAt(issuedAt),
        reason: 'NO_RUNNER',
        message: 'no node',
        now: at(2_000),
      }),
    );
    await runFor(await issueAt(new Date(Date.now() - 2 * 3_600_000)), 1_000);
    await projectEverything();

    const before = Math.floor(Date.now() / 60_000);
    const recent = (await getJson('/v1/metrics/recent', token)) as RecentMetrics;
    const after = Math.floor(Date.now() / 60_000);
    expect(recent.minuteSeconds).toBe(60);
    expect(recent.minutes).toHaveLength(60);
    const starts = recent.minutes.map((entry) => Number(entry.at) / 60);
    expect([before, after]).toContain(starts.at(-1));
    expect(starts).toEqual(starts.map((_, index) => (starts[0] ?? 0) + index));
    expect(recent.minutes.filter((entry) => entry.issued > 0)).toEqual([
      {
        at: String(minute * 60),
        issued: 3,
        finished: 2,
        failed: 1,
        latencyP50: 2,
        latencyP95: 2.9,
      },
    ]);
    expect(recent.minutes.filter((entry) => entry.latencyP50 !== null)).toHaveLength(1);

    // Another account's tasks are not in it.
    const strangers = (await getJson('/v1/metrics/recent', strangerToken)) as RecentMetrics;
    expect(strangers.minutes.reduce((sum, entry) => sum + entry.issued, 0)).toBe(1);
  });

  test('needs an access token', async () => {
    expect((await harness.request('/v1/metrics/recent')).status).toBe(401);
  });
});
