import { eventually } from '@canopy/async-testing';
import { parseScheduleEvent, scheduleStreamId } from '@canopy/contracts';
import type { ScheduleEvent } from '@canopy/contracts';
import { asContractEvent, toNewEvents } from '@canopy/event-store';
import { startPrivateNats } from '@canopy/local-services/testing';
import type { PrivateNats } from '@canopy/local-services/testing';
import { decide, foldSchedule, scheduledTaskId } from '@canopy/schedule-domain';
import type { ScheduleCommand } from '@canopy/schedule-domain';
import { createServiceLogger } from '@canopy/service-runtime';
import pg from 'pg';
import { startScheduler } from '../scheduler.js';
import type { RunningScheduler } from '../scheduler.js';
import { SchedulerFixture, objectId } from '../testing/scheduler-fixture.js';
import { ScriptedNode } from '../testing/scripted-node.js';

// Schedules firing in the scheduler, in-process against real PostgreSQL and a private nats-server:
// an every-second schedule yields exactly one task per tick, with the derived task ids, also with two
// schedulers firing the same schedule at once.

let nats: PrivateNats;
let fixture: SchedulerFixture | undefined;
const extraSchedulers: RunningScheduler[] = [];
const nodes: ScriptedNode[] = [];

beforeAll(async () => {
  nats = await startPrivateNats();
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
  await Promise.all(extraSchedulers.splice(0).map((scheduler) => scheduler.stop()));
  await fixture?.close();
  fixture = undefined;
});

afterAll(async () => {
  await nats.stop();
});

async function decideOnSchedule(
  s: SchedulerFixture,
  scheduleId: string,
  command: ScheduleCommand,
): Promise<void> {
  const streamId = scheduleStreamId(scheduleId);
  const recorded = await s.store.readStream(streamId);
  const history = recorded.map((event) => parseScheduleEvent(asContractEvent(event)));
  const events = decide(command, foldSchedule(history));
  await s.store.appendToStream(streamId, toNewEvents(streamId, recorded.length, events), {
    expectedVersion: recorded.length === 0 ? 'no_stream' : recorded.length,
  });
}

async function createEverySecondSchedule(
  s: SchedulerFixture,
  fn: { functionId: string; accountId: string },
): Promise<string> {
  const scheduleId = objectId();
  await decideOnSchedule(s, scheduleId, {
    type: 'CreateSchedule',
    data: {
      scheduleId,
      accountId: fn.accountId,
      functionId: fn.functionId,
      name: 'every second',
      description: '',
      cron: '* * * * * *',
      timeZone: 'UTC',
      request: {
        query: 'tick=1',
        contentType: 'text/plain',
        body: Buffer.from('hi').toString('base64'),
      },
      startAt: null,
      endAt: null,
      now: new Date().toISOString(),
    },
  });
  return scheduleId;
}

async function scheduleEvents(s: SchedulerFixture, scheduleId: string): Promise<ScheduleEvent[]> {
  const recorded = await s.store.readStream(scheduleStreamId(scheduleId));
  return recorded.map((event) => parseScheduleEvent(asContractEvent(event)));
}

async function ticksOf(s: SchedulerFixture, scheduleId: string) {
  return (await scheduleEvents(s, scheduleId)).flatMap((event) =>
    event.type === 'ScheduleTicked' ? [event.data] : [],
  );
}

/** Every TaskIssued of the schedule in the event store, however many there are. */
async function issuedTasks(s: SchedulerFixture, scheduleId: string) {
  const client = new pg.Client({ connectionString: s.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{
      stream_id: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }>(
      `SELECT stream_id, data, metadata FROM event_store.events
        WHERE type = 'TaskIssued' AND data->>'scheduleId' = $1 ORDER BY global_position`,
      [scheduleId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** Runs the schedule until it has fired `count` ticks, then deletes it and stops every scheduler. */
async function fireTicks(
  s: SchedulerFixture,
  fn: { functionId: string; accountId: string },
  scheduleId: string,
  count: number,
): Promise<void> {
  await eventually(async () => {
    const ticks = await ticksOf(s, scheduleId);
    if (ticks.length < count) throw new Error(`${ticks.length} ticks so far`);
  }, 30_000);
  await decideOnSchedule(s, scheduleId, {
    type: 'DeleteSchedule',
    data: { scheduleId, accountId: fn.accountId, now: new Date().toISOString() },
  });
  await Promise.all(extraSchedulers.splice(0).map((scheduler) => scheduler.stop()));
  await s.stopScheduler();
}

/** One task per recorded tick, ids derived, ticks consecutive seconds, nothing twice. */
async function expectOneTaskPerTick(s: SchedulerFixture, scheduleId: string, count: number) {
  const ticks = await ticksOf(s, scheduleId);
  expect(ticks.length).toBeGreaterThanOrEqual(count);
  const tickSeconds = ticks.map((tick) => Date.parse(tick.tick) / 1000);
  expect(tickSeconds.every(Number.isInteger)).toBe(true);
  tickSeconds.forEach((second, index) => {
    if (index > 0) expect(second - (tickSeconds[index - 1] ?? 0)).toBe(1);
  });
  for (const tick of ticks) {
    expect(tick.taskId).toBe(scheduledTaskId(scheduleId, tick.tick));
    // Never early: fired at or after its due time.
    expect(Date.parse(tick.firedAt)).toBeGreaterThanOrEqual(Date.parse(tick.tick));
  }
  const tasks = await issuedTasks(s, scheduleId);
  const taskIds = tasks.map((task) => task.data['taskId'] as string);
  expect(new Set(taskIds).size).toBe(taskIds.length);
  // A tick whose task was issued just as the schedule was deleted is not recorded: at most one.
  expect(taskIds.slice(0, ticks.length)).toEqual(ticks.map((tick) => tick.taskId));
  expect(taskIds.length - ticks.length).toBeLessThanOrEqual(1);
  const lastSecond = tickSeconds.at(-1) ?? 0;
  if (taskIds.length > ticks.length) {
    expect(taskIds.at(-1)).toBe(scheduledTaskId(scheduleId, new Date((lastSecond + 1) * 1000)));
  }
  for (const [index, task] of tasks.entries()) {
    expect(task.stream_id).toBe(`task-${task.data['taskId'] as string}`);
    // Its tick is what started it, and what caused it.
    const tick = new Date((tickSeconds[0] ?? 0) * 1000 + index * 1000);
    const tickId = `schedule:${scheduleId}:${Math.floor(tick.getTime() / 1000)}`;
    expect(task.metadata).toMatchObject({ correlationId: tickId, causationId: tickId });
    expect(task.data).toMatchObject({
      scheduleId,
      request: {
        query: 'tick=1',
        contentType: 'text/plain',
        body: Buffer.from('hi').toString('base64'),
      },
      timeout: 30,
      requirements: { cpuCount: 1, memSize: 256, networkLatency: 0, privileged: false },
    });
  }
}

describe('schedule firing', () => {
  test('an every-second schedule yields exactly one task per tick, run on a node', async () => {
    const s = (fixture = await SchedulerFixture.start(nats.url));
    const node = await ScriptedNode.start({
      servers: nats.url,
      nodeId: `n-${objectId().slice(0, 8)}`,
      slots: 10,
    });
    nodes.push(node);
    const fn = await s.registerFunction();
    const scheduleId = await createEverySecondSchedule(s, fn);

    await fireTicks(s, fn, scheduleId, 5);
    await expectOneTaskPerTick(s, scheduleId, 5);
    // The tasks reached the node as any other task does.
    expect(node.assignments.length).toBeGreaterThan(0);
    expect(node.assignments[0]).toMatchObject({ functionId: fn.functionId });
  }, 60_000);

  test('two schedulers firing the same schedule still yield one task per tick', async () => {
    const s = (fixture = await SchedulerFixture.start(nats.url));
    extraSchedulers.push(
      await startScheduler(s.config, createServiceLogger('scheduler-2', s.config.LOG_LEVEL)),
    );
    const fn = await s.registerFunction();
    const scheduleId = await createEverySecondSchedule(s, fn);

    await fireTicks(s, fn, scheduleId, 5);
    await expectOneTaskPerTick(s, scheduleId, 5);
  }, 60_000);

  test('a paused schedule fires nothing until resumed; a restarted scheduler carries on', async () => {
    const s = (fixture = await SchedulerFixture.start(nats.url));
    const fn = await s.registerFunction();
    const scheduleId = await createEverySecondSchedule(s, fn);
    await eventually(async () => expect((await ticksOf(s, scheduleId)).length).toBeGreaterThan(0));
    await decideOnSchedule(s, scheduleId, {
      type: 'PauseSchedule',
      data: { scheduleId, accountId: fn.accountId, now: new Date().toISOString() },
    });
    // The scheduler is stopped and started again while the schedule is paused.
    await s.stopScheduler();
    const pausedAt = (await scheduleEvents(s, scheduleId)).find(
      (event) => event.type === 'SchedulePaused',
    );
    const ticksWhilePaused = (await ticksOf(s, scheduleId)).length;
    await s.startScheduler();
    await decideOnSchedule(s, scheduleId, {
      type: 'ResumeSchedule',
      data: { scheduleId, accountId: fn.accountId, now: new Date().toISOString() },
    });
    const resumed = (await scheduleEvents(s, scheduleId)).find(
      (event) => event.type === 'ScheduleResumed',
    );
    await eventually(async () =>
      expect((await ticksOf(s, scheduleId)).length).toBeGreaterThan(ticksWhilePaused + 1),
    );
    await s.stopScheduler();
    if (pausedAt?.type !== 'SchedulePaused' || resumed?.type !== 'ScheduleResumed')
      throw new Error('pause and resume were not recorded');
    // No tick due while the schedule was paused was fired.
    for (const tick of await ticksOf(s, scheduleId)) {
      const due = Date.parse(tick.tick);
      expect(
        due <= Date.parse(pausedAt.data.pausedAt) || due > Date.parse(resumed.data.resumedAt),
      ).toBe(true);
    }
    // A tick being fired as the pause was recorded issues its task but is not recorded: at most one.
    const recorded = (await ticksOf(s, scheduleId)).map((tick) => tick.taskId);
    const issued = (await issuedTasks(s, scheduleId)).map((task) => task.data['taskId']);
    expect(issued).toEqual(expect.arrayContaining(recorded));
    expect(issued.length - recorded.length).toBeLessThanOrEqual(1);
  }, 60_000);
});
