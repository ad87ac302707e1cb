import { randomUUID } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import {
  decodeJson,
  parseTaskNotification,
  taskCommand,
  taskNotificationSubject,
  taskStreamId,
  type TaskNotification,
} from '@canopy/contracts';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { createTestDatabase, testNatsUrl, type TestDatabase } from '@canopy/local-services/testing';
import { createReadModelDb, migrateReadModels, type ReadModelDatabase } from '@canopy/read-models';
import {
  appendHistory,
  decidedTaskEvents,
  foldedReadModels,
  historyTime,
  objectIdFactory,
  readModelSnapshot,
  realisticHistory,
  type EventHistory,
} from '@canopy/read-models/testing';
import { readConfig } from '@canopy/service-runtime';
import { recordingLogger } from '@canopy/service-runtime/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { projectorConfigSchema, type ProjectorConfig } from './projector-config.js';
import { readProjectorPosition, startProjector, type RunningProjector } from './projector.js';

const patienceMs = 45_000;

function projectorConfig(url: string, batchSize: number): ProjectorConfig {
  return readConfig(projectorConfigSchema, {
    DATABASE_URL: url,
    NATS_URL: testNatsUrl(),
    PROJECTOR_BATCH_SIZE: String(batchSize),
    LOG_LEVEL: 'silent',
  });
}

/** Every row of the read models that carries `updated_at`, with it: a replay must not write. */
async function lastWrites(db: Kysely<ReadModelDatabase>) {
  const { rows } = await sql<{ id: string; updated_at: Date }>`
    SELECT task_id AS id, updated_at FROM api.tasks
    UNION ALL SELECT function_id, updated_at FROM api.functions
    UNION ALL SELECT node_id, updated_at FROM api.nodes
    UNION ALL SELECT account_id, updated_at FROM api.accounts
    ORDER BY id
  `.execute(db);
  return rows;
}

describe('the projector', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let db: Kysely<ReadModelDatabase>;
  let nats: NatsConnection;
  let projector: RunningProjector | undefined;
  const streamIds = new Set<string>();
  let appended = 0;
  const logs = recordingLogger({ level: 'info' });

  async function append(history: Pick<EventHistory, 'appends'>): Promise<void> {
    await appendHistory(store, history);
    for (const { streamId, events } of history.appends) {
      streamIds.add(streamId);
      appended += events.length;
    }
  }

  async function start(batchSize = 7): Promise<RunningProjector> {
    projector = await startProjector(projectorConfig(database.url, batchSize), logs.logger);
    return projector;
  }

  async function caughtUp(running: RunningProjector): Promise<void> {
    await eventually(
      () => expect(running.progress().position.eventsApplied).toBe(appended),
      patienceMs,
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase('projector');
    await migrateEventStore(database.url);
    store = new PostgresEventStore({ connectionString: database.url });
    db = createReadModelDb(database.url);
    await migrateReadModels(db);
    nats = await connect({ servers: testNatsUrl() });
  });

  afterAll(async () => {
    await projector?.stop();
    await nats?.close();
    await store?.close();
    await db?.destroy();
    await database?.drop();
  });

  test(
    'folds a realistic history into read models equal to the fold of the event store, ' +
      'also when stopped and restarted in the middle',
    async () => {
      const history = realisticHistory({ tasks: 30 });
      const half = Math.floor(history.appends.length / 2);
      await append({ appends: history.appends.slice(0, half) });

      const first = await start(5);
      await eventually(
        () => expect(first.progress().position.eventsApplied).toBeGreaterThanOrEqual(10),
        patienceMs,
      );
      await first.stop();
      await append({ appends: history.appends.slice(half) });

      const second = await start(5);
      await caughtUp(second);

      const expected = await foldedReadModels(store, [...streamIds]);
      expect(await readModelSnapshot(db)).toEqual(expected);
      // The history is the kind it claims to be.
      expect(new Set(expected.tasks.map((task) => task.state))).toEqual(
        new Set(['pending', 'assigned', 'finished', 'failed']),
      );
      expect(expected.taskAttempts.some((attempt) => attempt.unassign_reason !== null)).toBe(true);
      expect(expected.nodes.some((node) => node['unavailable_reason'] === 'LOST')).toBe(true);
      expect(expected.apiKeys.some((key) => key['revoked_at'] !== null)).toBe(true);
      const stored = await readProjectorPosition(database.url);
      expect(stored.eventsApplied).toBe(appended);
    },
    patienceMs * 2,
  );

  test(
    'replaying every event from the start changes nothing',
    async () => {
      const before = await readModelSnapshot(db);
      const writesBefore = await lastWrites(db);
      await projector?.stop();
      await db.deleteFrom('api.projection_checkpoints').execute();

      const replaying = await start(11);
      await caughtUp(replaying);

      expect(await readModelSnapshot(db)).toEqual(before);
      expect(await lastWrites(db)).toEqual(writesBefore);
    },
    patienceMs * 2,
  );

  test('publishes a notification for each task that finishes or fails, once it is in the read models', async () => {
    const newId = objectIdFactory();
    const [finishedId, failedId] = [newId(), newId()];
    const received = (taskId: string) => {
      const subscription = nats.subscribe(taskNotificationSubject(taskId), { max: 1 });
      return (async (): Promise<{ notification: TaskNotification; state: string | undefined }> => {
        for await (const message of subscription) {
          const notification = parseTaskNotification(decodeJson(message.data, 'notification'));
          const row = await db
            .selectFrom('api.tasks')
            .select('state')
            .where('task_id', '=', taskId)
            .executeTakeFirst();
          return { notification, state: row?.state };
        }
        throw new Error(`no notification for ${taskId}`);
      })();
    };
    const finishedNotification = received(finishedId);
    const failedNotification = received(failedId);
    await nats.flush();

    const { fnId, accountId } = { fnId: newId(), accountId: newId() };
    const issue = (taskId: string) =>
      taskCommand('IssueTask', {
        taskId,
        accountId,
        functionId: fnId,
        functionVersion: 1,
        scheduleId: null,
        request: { query: '', contentType: null, body: '' },
        requirements: { cpuCount: 0, memSize: 0, networkLatency: 0, privileged: false },
        timeout: 5,
        maxAttempts: 1,
        pendingDeadline: 5,
        issuedAt: historyTime(5000),
      });
    const finished = decidedTaskEvents([
      issue(finishedId),
      taskCommand('AssignTask', {
        taskId: finishedId,
        nodeId: 'node-x',
        attempt: 1,
        now: historyTime(5001),
      }),
      taskCommand('FinishTask', {
        taskId: finishedId,
        nodeId: 'node-x',
        attempt: 1,
        response: { status: 200, contentType: 'text/plain', headers: {}, body: 'b2s=' },
        now: historyTime(5002),
      }),
    ]);
    const failed = decidedTaskEvents([
      issue(failedId),
      taskCommand('FailTask', {
        taskId: failedId,
        reason: 'NO_RUNNER',
        message: 'none',
        now: historyTime(5010),
      }),
    ]);
    await append({
      appends: [...finished, ...failed].map((event) => ({
        streamId: taskStreamId(event.data.taskId),
        events: [event],
      })),
    });

    await expect(finishedNotification).resolves.toEqual({
      notification: { taskId: finishedId, state: 'FINISHED' },
      state: 'finished',
    });
    await expect(failedNotification).resolves.toEqual({
      notification: { taskId: failedId, state: 'FAILED' },
      state: 'failed',
    });
  });

  test(
    'retries a failing batch from the last committed checkpoint until it succeeds',
    async () => {
      const running = projector ?? (await start());
      await caughtUp(running);
      const before = running.progress().position;
      // A real failure inside the batch transaction: the database refuses every task result.
      await sql`ALTER TABLE api.task_results ADD CONSTRAINT refuse_results CHECK (false) NOT VALID`.execute(
        db,
      );
      try {
        await append(realisticHistory({ tasks: 6, startSeconds: 20_000 }));
        // The projector retries the failing batch.
        await eventually(() => {
          const retries = logs.lines.filter(
            (line) =>
              line['msg'] === 'a batch failed; retrying from the last committed checkpoint' &&
              String((line['err'] as { message?: string } | undefined)?.message).includes(
                'refuse_results',
              ),
          );
          expect(retries.length).toBeGreaterThanOrEqual(2);
        }, patienceMs);
        expect(running.progress().failure).toMatch(/refuse_results/);
        // Nothing of a failed batch is kept; the position only moves by whole batches.
        const stalled = await readProjectorPosition(database.url);
        expect(stalled.eventsApplied).toBeGreaterThanOrEqual(before.eventsApplied);
        expect(stalled.eventsApplied).toBeLessThan(appended);
      } finally {
        await sql`ALTER TABLE api.task_results DROP CONSTRAINT refuse_results`.execute(db);
      }
      await caughtUp(running);
      expect(running.progress().failure).toBeNull();
      expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));
    },
    patienceMs * 2,
  );

  test(
    'recovers from lost database connections without skipping or repeating an event',
    async () => {
      const running = projector ?? (await start());
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const more = realisticHistory({ tasks: 20, startSeconds: 10_000 });
        const appending = append(more);
        let terminated = 0;
        let finished = false;
        void appending.finally(() => (finished = true));
        while (!finished) {
          const { rows } = await admin.query<{ killed: boolean }>(
            `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'canopy-projector'`,
          );
          terminated += rows.filter((row) => row.killed).length;
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
        await appending;
        expect(terminated).toBeGreaterThan(0);
        await caughtUp(running);
        await eventually(() => expect(running.progress().failure).toBeNull(), patienceMs);
        expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));
      } finally {
        await admin.end();
      }
    },
    patienceMs * 2,
  );
});

describe('an event that breaks its contract', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let projector: RunningProjector | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('projector_bad_event');
    await migrateEventStore(database.url);
    store = new PostgresEventStore({ connectionString: database.url });
  });

  afterAll(async () => {
    await projector?.stop();
    await store?.close();
    await database?.drop();
  });

  test('stops the projector at it, saying where it is, and is never skipped', async () => {
    const history = realisticHistory({ tasks: 2 });
    await appendHistory(store, history);
    const badTaskId = objectIdFactory()();
    const badStream = taskStreamId(badTaskId);
    await store.appendToStream(
      badStream,
      [
        {
          id: randomUUID(),
          type: 'TaskIssued',
          data: { taskId: badTaskId, functionId: 'not an id' },
          metadata: { schemaVersion: 1 },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
    const logs = recordingLogger({ level: 'info' });
    projector = await startProjector(projectorConfig(database.url, 500), logs.logger);

    // The projector reports the event at least twice: it fails again on every retry.
    const failures = await eventually(() => {
      const reports = logs.lines.filter((line) => line['streamId'] === badStream);
      expect(reports.length).toBeGreaterThanOrEqual(2);
      return reports;
    }, patienceMs);
    expect(failures[0]).toMatchObject({ level: 50, streamVersion: 1, projection: 'tasks' });
    expect(String((failures[0]?.['err'] as { message?: string }).message)).toMatch(
      /TaskIssued #1 of task-[0-9a-f]{24}.*checkpoint \d+:\d+.*accountId is required/,
    );
    const { position } = projector.progress();
    expect(position.eventsApplied).toBeLessThanOrEqual(history.eventCount);
    expect((await readProjectorPosition(database.url)).eventsApplied).toBe(position.eventsApplied);
  });
});
