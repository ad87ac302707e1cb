import { randomUUID } from 'node:crypto';
import {
  nodeEvent,
  nodeStreamId,
  taskCommand,
  taskStreamId,
  type NodeEvent,
  type TaskCommand,
  type TaskEvent,
} from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import { exampleResponse, exampleTaskIssuedData } from '@canopy/contracts/testing';
import { sql } from 'kysely';
import * as taskCountersMigration from '../../migrations/2026_11_30_15_00_00_task_counters.js';
import { decidedTaskEvents } from '../../testing/read-model-fold.js';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../../testing/read-model-test-database.js';
import { readModelSnapshot } from '../../testing/read-model-snapshot.js';
import { foldTaskCounters, readTaskCounters } from '../../testing/task-counters-fold.js';
import { holdProjectorLock, projectBatch } from '../projection-group.js';
import { readProjectionPosition } from '../projection-position.js';
import { apiProjections } from '../read-model-projections.js';
import { inReadModelSchema } from '../read-model-schema.js';
import { REBUILD_SCHEMA, createRebuildSchema } from '../rebuild/read-model-swap.js';

// The metrics counters kept by the tasks projection, after known sequences of task events: exact
// numbers, replays that change nothing, and the same counters whatever the batches.

const accountA = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const accountB = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const fnA1 = 'a1a1a1a1a1a1a1a1a1a1a1a1';
const fnA2 = 'a2a2a2a2a2a2a2a2a2a2a2a2';
const fnB = 'b0b0b0b0b0b0b0b0b0b0b0b0';
const nodeIds = [`n1-${randomUUID().slice(0, 6)}`, `n2-${randomUUID().slice(0, 6)}`] as const;
const [n1, n2] = nodeIds;
// Either side of midnight UTC.
const lateOnDay1 = '2026-11-29T23:59:59.000Z';
const earlyOnDay2 = '2026-11-30T00:00:00.000Z';

const later = (at: string, seconds: number) =>
  new Date(new Date(at).getTime() + seconds * 1000).toISOString();

interface Script {
  readonly taskId: string;
  readonly accountId: string;
  readonly functionId: string;
  readonly issuedAt: string;
}

function issue({ taskId, accountId, functionId, issuedAt }: Script): TaskCommand {
  return taskCommand('IssueTask', {
    ...exampleTaskIssuedData({ taskId, accountId, functionId, issuedAt }),
    maxAttempts: 3,
    pendingDeadline: 60,
  });
}
const assign = (script: Script, nodeId: string, attempt: number) =>
  taskCommand('AssignTask', {
    taskId: script.taskId,
    nodeId,
    attempt,
    now: later(script.issuedAt, attempt * 2),
  });
const unassign = (script: Script, nodeId: string, attempt: number) =>
  taskCommand('UnassignTask', {
    taskId: script.taskId,
    nodeId,
    attempt,
    reason: 'NODE_LOST',
    now: later(script.issuedAt, attempt * 2 + 1),
  });
const finish = (script: Script, nodeId: string, attempt: number, status = 200) =>
  taskCommand('FinishTask', {
    taskId: script.taskId,
    nodeId,
    attempt,
    response: exampleResponse({ status }),
    now: later(script.issuedAt, 30),
  });
const fail = (script: Script) =>
  taskCommand('FailTask', {
    taskId: script.taskId,
    reason: 'TIMEOUT',
    message: 'timed out',
    now: later(script.issuedAt, 40),
  });

const t1 = {
  taskId: '100000000000000000000001',
  accountId: accountA,
  functionId: fnA1,
  issuedAt: lateOnDay1,
};
const t2 = {
  taskId: '100000000000000000000002',
  accountId: accountA,
  functionId: fnA1,
  issuedAt: earlyOnDay2,
};
const t3 = {
  taskId: '100000000000000000000003',
  accountId: accountA,
  functionId: fnA2,
  issuedAt: earlyOnDay2,
};
const t4 = {
  taskId: '100000000000000000000004',
  accountId: accountB,
  functionId: fnB,
  issuedAt: earlyOnDay2,
};
const t5 = {
  taskId: '100000000000000000000005',
  accountId: accountA,
  functionId: fnA1,
  issuedAt: earlyOnDay2,
};

/** Stored events, as the store would deliver them: stream versions and positions in order. */
class History {
  readonly events: RecordedEvent[] = [];
  private readonly versions = new Map<string, number>();

  add(streamId: string, events: readonly (TaskEvent | NodeEvent)[]): RecordedEvent[] {
    const added = events.map((event) => {
      const version = (this.versions.get(streamId) ?? 0) + 1;
      this.versions.set(streamId, version);
      const position = BigInt(this.events.length + 1);
      const recorded: RecordedEvent = {
        id: randomUUID(),
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        streamId,
        streamVersion: version,
        globalPosition: position,
        checkpoint: String(position),
        recordedAt: new Date(),
      };
      this.events.push(recorded);
      return recorded;
    });
    return added;
  }

  task(script: Script, commands: readonly TaskCommand[]): RecordedEvent[] {
    return this.add(taskStreamId(script.taskId), decidedTaskEvents(commands));
  }
}

describe('the task counters', () => {
  let database: ReadModelTestDatabase;
  const history = new History();
  let firstPart: RecordedEvent[];
  let t5Finished: RecordedEvent[];

  async function project(schema: string, events: readonly RecordedEvent[], batchSize: number) {
    for (let start = 0; start < events.length; start += batchSize) {
      await database.db.transaction().execute(async (trx) => {
        await holdProjectorLock(trx, apiProjections);
        const scoped = inReadModelSchema(trx, schema);
        const position = await readProjectionPosition(scoped, apiProjections.name);
        await projectBatch(
          scoped,
          apiProjections,
          position,
          events.slice(start, start + batchSize),
        );
      });
    }
  }

  beforeAll(async () => {
    database = await createReadModelTestDatabase('task_counters');
    for (const nodeId of nodeIds) {
      history.add(nodeStreamId(nodeId), [
        nodeEvent('NodeAnnounced', {
          nodeId,
          capabilities: { cpuCount: 4, memSize: 4096, networkLatency: 5, privileged: false },
          slots: 4,
          agent: 'canopy-node-agent/0.1.0',
          at: lateOnDay1,
        }),
      ]);
    }
    history.task(t1, [issue(t1), assign(t1, n1, 1), finish(t1, n1, 1, 500)]);
    history.task(t2, [issue(t2), assign(t2, n1, 1)]);
    history.task(t3, [
      issue(t3),
      assign(t3, n2, 1),
      unassign(t3, n2, 1),
      assign(t3, n1, 2),
      fail(t3),
    ]);
    history.task(t4, [issue(t4)]);
    history.task(t5, [issue(t5), assign(t5, n2, 1)]);
    firstPart = [...history.events];
    t5Finished = history.add(
      taskStreamId(t5.taskId),
      decidedTaskEvents([issue(t5), assign(t5, n2, 1), finish(t5, n2, 1)]).slice(2),
    );
  });

  afterAll(async () => {
    await database?.drop();
  });

  test('count pending, completed (finished only), issued per UTC day and running tasks per node', async () => {
    await project('api', firstPart, 7);
    expect(await readTaskCounters(database.db)).toEqual({
      accountTaskCounters: [
        // t2, t5 pending; t1 finished (its status 500 included); t3 failed: neither.
        { account_id: accountA, pending: '2', completed: '1' },
        { account_id: accountB, pending: '1', completed: '0' },
      ],
      functionTaskCounters: [
        { function_id: fnA1, account_id: accountA, pending: '2', completed: '1' },
        { function_id: fnA2, account_id: accountA, pending: '0', completed: '0' },
        { function_id: fnB, account_id: accountB, pending: '1', completed: '0' },
      ],
      accountTaskDays: [
        { account_id: accountA, day: '2026-11-29', issued: '1' },
        { account_id: accountA, day: '2026-11-30', issued: '3' },
        { account_id: accountB, day: '2026-11-30', issued: '1' },
      ],
      functionTaskDays: [
        { function_id: fnA1, day: '2026-11-29', issued: '1' },
        { function_id: fnA1, day: '2026-11-30', issued: '2' },
        { function_id: fnA2, day: '2026-11-30', issued: '1' },
        { function_id: fnB, day: '2026-11-30', issued: '1' },
      ],
      nodeRunningTasks: [
        { node_id: n1, running_tasks: 1 },
        { node_id: n2, running_tasks: 1 },
      ],
    });
  });

  test('projecting the same events again, in batches or one by one, changes nothing', async () => {
    const before = await readModelSnapshot(database.db);
    await sql`DELETE FROM api.projection_checkpoints`.execute(database.db);
    await project('api', firstPart, 100);
    await sql`DELETE FROM api.projection_checkpoints`.execute(database.db);
    await project('api', firstPart, 1);
    expect(await readModelSnapshot(database.db)).toEqual(before);
  });

  test('a later batch finishing a task moves it from pending to completed and frees its node', async () => {
    await project('api', t5Finished, 10);
    const counters = await readTaskCounters(database.db);
    expect(counters.accountTaskCounters[0]).toEqual({
      account_id: accountA,
      pending: '1',
      completed: '2',
    });
    expect(counters.functionTaskCounters[0]).toEqual({
      function_id: fnA1,
      account_id: accountA,
      pending: '1',
      completed: '2',
    });
    expect(counters.nodeRunningTasks).toEqual([
      { node_id: n1, running_tasks: 1 },
      { node_id: n2, running_tasks: 0 },
    ]);
    // Days count issues only.
    expect(counters.accountTaskDays).toHaveLength(3);
    const snapshot = await readModelSnapshot(database.db);
    expect(counters).toEqual(foldTaskCounters(snapshot.tasks, nodeIds));
  });

  test('rebuilt one event at a time into fresh tables, they equal the incremental ones', async () => {
    await createRebuildSchema(database.db);
    await project(REBUILD_SCHEMA, history.events, 1);
    expect(await readTaskCounters(database.db, REBUILD_SCHEMA)).toEqual(
      await readTaskCounters(database.db, 'api'),
    );
  });

  test('migrating a database that holds tasks already counts them', async () => {
    const before = await readTaskCounters(database.db);
    await taskCountersMigration.down(database.db);
    await taskCountersMigration.up(database.db);
    expect(await readTaskCounters(database.db)).toEqual(before);
  });
});
