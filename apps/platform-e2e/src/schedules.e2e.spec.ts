import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from '@canopy/async-testing';
import { parseScheduleEvent, scheduleStreamId } from '@canopy/contracts';
import { asContractEvent } from '@canopy/event-store';
import { scheduledTaskId } from '@canopy/schedule-domain';
import pg from 'pg';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// A schedule firing every second while the scheduler is killed (SIGKILL) and started again: no tick
// gets two tasks, and every tick left out is one the missed-tick policy skips (overdue by more than
// the grace when the scheduler came back, and older than the tick fired instead). The CSV export
// filtered by the schedule holds exactly its tasks.

const GRACE_SECONDS = 1;
const e2e = stackForFile({
  label: 'schedules',
  schedulerEnv: { SCHEDULER_MISSED_TICK_GRACE_SECONDS: String(GRACE_SECONDS) },
});

interface IssuedTask {
  readonly taskId: string;
  readonly issuedAtMs: number;
}

async function issuedTasksOf(stack: PlatformStack, scheduleId: string): Promise<IssuedTask[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ data: { taskId: string; issuedAt: string } }>(
      `SELECT data FROM event_store.events
        WHERE type = 'TaskIssued' AND data->>'scheduleId' = $1 ORDER BY global_position`,
      [scheduleId],
    );
    return rows.map(({ data }) => ({ taskId: data.taskId, issuedAtMs: Date.parse(data.issuedAt) }));
  } finally {
    await client.end();
  }
}

async function recordedTicks(stack: PlatformStack, scheduleId: string): Promise<number[]> {
  const events = await stack.store.readStream(scheduleStreamId(scheduleId));
  return events.flatMap((recorded) => {
    const event = parseScheduleEvent(asContractEvent(recorded));
    return event.type === 'ScheduleTicked' ? [Date.parse(event.data.tick)] : [];
  });
}

function csvIds(csv: string): string[] {
  return csv
    .trim()
    .split('\r\n')
    .slice(1)
    .map((line) => line.split(',')[0] ?? '');
}

e2e.test(
  'kill -9 and restart the scheduler: one task per tick at most, gaps only where the policy skips',
  async (stack) => {
    const { token } = await stack.signUp('scheduler-kill');
    await stack.startNode({ slots: 8 });
    const functionId = await stack.registerFunction(token, {
      runtime: { kind: 'process', command: 'cat' },
    });
    const created = await stack.requestJson<{ id: string }>('/v1/schedule', {
      method: 'POST',
      token,
      json: {
        functionId,
        cron: '* * * * * *',
        timeZone: 'UTC',
        body: 'tick',
        contentType: 'text/plain',
        name: 'every second',
      },
    });
    expect(created.status).toBe(201);
    const scheduleId = created.body.id;
    // A task of the same function issued by hand: the schedule's CSV must leave it out.
    const manual = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      json: { by: 'hand' },
    });
    expect(manual.status).toBe(201);

    await eventually(async () => {
      expect((await recordedTicks(stack, scheduleId)).length).toBeGreaterThanOrEqual(3);
    }, 30_000);
    await stack.stopService('scheduler', 'SIGKILL');
    // Long enough for ticks to be overdue by more than the grace once the scheduler is back.
    await delay((GRACE_SECONDS + 2) * 1000);
    await stack.startService('scheduler');
    const restartedAtMs = Date.now();
    await eventually(async () => {
      const after = (await recordedTicks(stack, scheduleId)).filter((tick) => tick > restartedAtMs);
      expect(after.length).toBeGreaterThanOrEqual(3);
    }, 30_000);

    const deleted = await stack.request(`/v1/schedule/${scheduleId}`, { method: 'DELETE', token });
    expect(deleted.status).toBe(204);
    const deletedAtMs = Date.now();
    expect((await stack.request(`/v1/schedule/${scheduleId}`, { token })).status).toBe(404);

    // Every task is the derived task of one tick: no tick has two, none is foreign.
    const tasks = await issuedTasksOf(stack, scheduleId);
    const createdAtMs = tasks.length === 0 ? 0 : Math.min(...tasks.map((task) => task.issuedAtMs));
    const tickOfTask = new Map<string, number>();
    for (
      let second = Math.floor(createdAtMs / 1000) - 5;
      second <= deletedAtMs / 1000 + 5;
      second += 1
    ) {
      tickOfTask.set(scheduledTaskId(scheduleId, new Date(second * 1000)), second * 1000);
    }
    const ticks = tasks.map((task) => {
      const tick = tickOfTask.get(task.taskId);
      if (tick === undefined) throw new Error(`task ${task.taskId} is no tick's task`);
      // Never early.
      expect(task.issuedAtMs).toBeGreaterThanOrEqual(tick);
      return { tick, issuedAtMs: task.issuedAtMs };
    });
    expect(new Set(ticks.map((entry) => entry.tick)).size).toBe(ticks.length);
    expect(ticks.some((entry) => entry.tick > restartedAtMs)).toBe(true);

    // Gaps: a tick was left out only when, as the next fired tick was issued, it was overdue by more
    // than the grace, and the tick fired instead was about the latest missed one.
    const ordered = [...ticks].sort((left, right) => left.tick - right.tick);
    // The scheduler was down longer than the grace, so the policy must have skipped some ticks.
    expect(
      ordered.some(
        (entry, index) => index > 0 && entry.tick - (ordered[index - 1]?.tick ?? 0) > 1000,
      ),
    ).toBe(true);
    ordered.forEach((entry, index) => {
      const previous = ordered[index - 1];
      if (previous === undefined || entry.tick - previous.tick === 1000) return;
      for (let skipped = previous.tick + 1000; skipped < entry.tick; skipped += 1000) {
        expect(entry.issuedAtMs - skipped).toBeGreaterThan(GRACE_SECONDS * 1000);
      }
      expect(entry.issuedAtMs - entry.tick).toBeLessThan(5000 + GRACE_SECONDS * 1000);
    });
    // The recorded ticks are fired ones, in order. A task may lack its record: issued as the scheduler
    // was killed (the restarted one fired a later tick), or as the schedule was deleted.
    const recorded = await recordedTicks(stack, scheduleId);
    const fired = new Set(ordered.map((entry) => entry.tick));
    expect(recorded.every((tick) => fired.has(tick))).toBe(true);
    expect([...recorded].sort((left, right) => left - right)).toEqual(recorded);
    expect(ordered.length - recorded.length).toBeLessThanOrEqual(2);

    // The CSV of the schedule: exactly its tasks, once the projector has caught up.
    const expectedIds = tasks.map((task) => task.taskId).sort();
    await eventually(async () => {
      const csv = await stack.request(
        `/v1/task/${functionId}/csv?showPlain=true&scheduleId=${scheduleId}`,
        { token },
      );
      expect(csv.status).toBe(200);
      expect(csvIds(await csv.text()).sort()).toEqual(expectedIds);
    }, 30_000);
    const all = await stack.request(`/v1/task/${functionId}/csv`, { token });
    expect(csvIds(await all.text())).toContain(manual.body.id);
  },
  180_000,
);
