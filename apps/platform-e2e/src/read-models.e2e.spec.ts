import { eventually } from '@canopy/async-testing';
import { createReadModelDb } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { foldedReadModels, readModelSnapshot } from '@canopy/read-models/testing';
import { sql, type Kysely } from 'kysely';
import { getPriority } from 'node:os';
import pg from 'pg';
import { sampleProcess } from './bench/process-usage.js';
import { readRecordedTaskTimes } from './bench/recorded-task-times.js';
import type { StackService } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// The read models are a cache of the event store: no task is lost while the projector is down,
// and after a rebuild they equal a fold of every stream.

const e2e = stackForFile({ label: 'read_models' });

let token = '';
let functionId = '';
let db: Kysely<ReadModelDatabase>;

beforeAll(async () => {
  const { stack } = e2e;
  db = createReadModelDb(stack.databaseUrl);
  ({ token } = await stack.signUp('read-models'));
  await stack.startNode({ slots: 4 });
  functionId = await stack.registerFunction(token, {
    name: 'echo',
    runtime: { kind: 'process', command: 'cat' },
  });
}, 120_000);

afterAll(async () => {
  await db.destroy();
});

async function issue(body: string): Promise<string> {
  const response = await e2e.stack.request(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'text/plain' },
    body,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function projectedEvents(): Promise<{ applied: number; stored: number }> {
  const checkpoint = await sql<{ events_applied: string }>`
    SELECT events_applied::text AS events_applied FROM api.projection_checkpoints WHERE projection = 'api'`.execute(
    db,
  );
  const stored = await sql<{
    count: string;
  }>`SELECT count(*)::text AS count FROM event_store.events`.execute(db);
  return {
    applied: Number(checkpoint.rows[0]?.events_applied ?? 0),
    stored: Number(stored.rows[0]?.count ?? -1),
  };
}

/** Waits for each task's 200 result, then until every stored event is projected. */
async function finishedAndProjected(taskIds: readonly string[]): Promise<void> {
  for (const taskId of taskIds) {
    await eventually(async () => {
      const answer = await e2e.stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
      expect(answer.status).toBe(200);
    }, 60_000);
  }
  // Quiet: every event is projected (nodes' heartbeats record no events).
  await eventually(async () => {
    const { applied, stored } = await projectedEvents();
    expect(applied).toBe(stored);
  }, 60_000);
}

e2e.test(
  'no task is lost while the projector is down, and the read models catch up after it',
  async (stack) => {
    await stack.stopService('projector', 'SIGKILL');
    const taskIds: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const taskId = await issue(`while down ${index}`);
      // Right after its 201, from the task's stream: the read models cannot show it.
      const task = await stack.requestJson<{ id: string; functionId: string }>(
        `/v1/task/${taskId}`,
        { token },
      );
      expect(task.status).toBe(200);
      expect(task.body).toMatchObject({ id: taskId, functionId });
      taskIds.push(taskId);
    }
    for (const [index, taskId] of taskIds.entries()) {
      const result = await eventually(async () => {
        const answer = await stack.request(`/v1/task/${taskId}/result?wait=2`, { token });
        expect(answer.status).toBe(200);
        return answer;
      }, 60_000);
      expect(await result.text()).toBe(`while down ${index}`);
    }
    const listedWhileDown = await stack.requestJson<{ id: string }[]>('/v1/task/list?limit=500', {
      token,
    });
    expect(listedWhileDown.body.filter((task) => taskIds.includes(task.id))).toEqual([]);

    await stack.startService('projector');
    await eventually(async () => {
      const listed = await stack.requestJson<{ id: string; status: number }[]>(
        '/v1/task/list?limit=500',
        { token },
      );
      const finished = listed.body.filter((task) => task.status === 200).map((task) => task.id);
      expect(finished).toEqual(expect.arrayContaining(taskIds));
    }, 60_000);
  },
);

e2e.test(
  'after a rebuild, the read models equal a fold of every stream of the event store',
  async (stack) => {
    const moreTasks = [await issue('before the rebuild 1'), await issue('before the rebuild 2')];
    await finishedAndProjected(moreTasks);

    await stack.rebuildReadModels();

    const streams = await sql<{ stream_id: string }>`
    SELECT DISTINCT stream_id FROM event_store.events ORDER BY stream_id`.execute(db);
    const streamIds = streams.rows.map((row) => row.stream_id);
    expect(streamIds.filter((id) => id.startsWith('task-')).length).toBeGreaterThanOrEqual(7);
    const expected = await foldedReadModels(stack.store, streamIds);
    const actual = await readModelSnapshot(db);
    expect(actual).toEqual(expected);
    expect(actual.taskResults.length).toBeGreaterThanOrEqual(7);
  },
);

e2e.test(
  'the projector runs at a lower CPU priority than the services a task waits on',
  async (stack) => {
    const niceOf = async (service: StackService): Promise<number | undefined> => {
      const running = stack.serviceProcesses().find((process) => process.service === service);
      return running?.pid === undefined ? undefined : (await sampleProcess(running.pid))?.nice;
    };
    // The services start at this process's priority; PROJECTOR_NICE's default lowers the projector.
    const started = getPriority();
    expect(await niceOf('gateway')).toBe(started);
    expect(await niceOf('scheduler')).toBe(started);
    expect(await niceOf('projector')).toBe(Math.max(started, 10));
  },
);

e2e.test("each service's database connections carry its name", async () => {
  // What an operator sees in pg_stat_activity: which service holds which connection.
  await eventually(async () => {
    const { rows } = await sql<{ application_name: string }>`
      SELECT DISTINCT application_name FROM pg_stat_activity
      WHERE datname = current_database()`.execute(db);
    expect(rows.map((row) => row.application_name)).toEqual(
      expect.arrayContaining(['canopy-gateway', 'canopy-scheduler', 'canopy-projector']),
    );
  }, 30_000);
});

e2e.test(
  "bench:e2e's stage times: each finished task's times, from the event store and read models, in order",
  async (stack) => {
    const taskIds = [await issue('timed 1'), await issue('timed 2'), await issue('timed 3')];
    await finishedAndProjected(taskIds);

    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    try {
      const times = await readRecordedTaskTimes(pool);
      const finished = await sql<{ task_id: string }>`
        SELECT task_id FROM api.tasks WHERE state = 'finished'`.execute(db);
      // Every finished task once (earlier tests' tasks too), each with the attempt that finished.
      expect([...times.keys()].sort()).toEqual(finished.rows.map((row) => row.task_id).sort());
      expect([...times.keys()]).toEqual(expect.arrayContaining(taskIds));
      for (const [taskId, at] of times) {
        expect({
          taskId,
          // One database clock; a stream's appends never overtake one another, and the projector
          // reads an event only once it is committed.
          recorded: isOrdered([
            at.issuedRecorded,
            at.assignedRecorded,
            at.finishedRecorded,
            at.projected,
          ]),
          // The services' clocks (one machine), to the millisecond.
          services: isOrdered([at.issuedAt, at.assignedAt, at.finishedAt]),
        }).toEqual({ taskId, recorded: true, services: true });
      }
    } finally {
      await pool.end();
    }
  },
);

function isOrdered(times: number[]): boolean {
  return times.every((time, index) => Number.isFinite(time) && time >= (times[index - 1] ?? time));
}
