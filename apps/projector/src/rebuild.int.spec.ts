import { randomBytes } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import {
  createTestDatabase,
  testNatsUrl,
  testServerUrl,
  type TestDatabase,
} from '@canopy/local-services/testing';
import { createReadModelDb, migrateReadModels, type ReadModelDatabase } from '@canopy/read-models';
import {
  appendHistory,
  foldedReadModels,
  objectIdFactory,
  readModelSnapshot,
  realisticHistory,
  type EventHistory,
} from '@canopy/read-models/testing';
import { createServiceLogger, readConfig } from '@canopy/service-runtime';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { projectorConfigSchema, type ProjectorConfig } from './projector-config.js';
import { startProjector, type RunningProjector } from './projector.js';
import { rebuildReadModels } from './rebuild.js';

const patienceMs = 60_000;

/** Queries the API's tables (and an analyst the views) in a loop, recording every failure. */
class Readers {
  readonly errors: string[] = [];
  queries = 0;
  private stopped = false;
  private readonly running: Promise<void>[];

  constructor(apiPool: pg.Pool, analyst: pg.Client, accountId: string) {
    const api = async () => {
      while (!this.stopped) {
        await this.attempt(() =>
          apiPool.query(
            'SELECT count(*) FROM api.tasks t LEFT JOIN api.task_results r USING (task_id)',
          ),
        );
        // A prepared statement: its plan is bound to the tables it was planned on.
        await this.attempt(() =>
          apiPool.query({
            name: 'reader.list',
            text: `SELECT task_id, progress, status FROM api.tasks WHERE account_id = $1
                   ORDER BY issued_at DESC, task_id DESC LIMIT 20`,
            values: [accountId],
          }),
        );
        await this.attempt(() =>
          apiPool.query('SELECT events_applied FROM api.projection_checkpoints'),
        );
      }
    };
    const analytics = async () => {
      while (!this.stopped) {
        await this.attempt(() => analyst.query('SELECT count(*) FROM analytics.task_runs'));
        await this.attempt(() => analyst.query('SELECT * FROM analytics.function_daily'));
      }
    };
    this.running = [api(), api(), analytics()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async attempt(query: () => Promise<unknown>): Promise<void> {
    try {
      await query();
      this.queries += 1;
    } catch (error) {
      this.errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

async function schemaShape(db: Kysely<ReadModelDatabase>) {
  const indexes = await sql<{ name: string; definition: string }>`
    SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = 'api' ORDER BY 1`.execute(
    db,
  );
  const constraints = await sql<{ name: string; definition: string }>`
    SELECT c.conrelid::regclass::text || '.' || c.conname AS name, pg_get_constraintdef(c.oid) AS definition
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = 'api' ORDER BY 1`.execute(db);
  const columns = await sql<{ name: string; type: string; comment: string | null }>`
    SELECT table_schema || '.' || table_name || '.' || column_name AS name, data_type || coalesce(column_default, '') AS type,
           col_description(format('%I.%I', table_schema, table_name)::regclass, ordinal_position::int) AS comment
    FROM information_schema.columns WHERE table_schema IN ('api', 'analytics') ORDER BY 1`.execute(
    db,
  );
  const comments = await sql<{ name: string; comment: string | null }>`
    SELECT n.nspname || '.' || c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'analytics' ORDER BY 1`.execute(db);
  const schemas = await sql<{ name: string }>`
    SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'api%' OR nspname = 'analytics' ORDER BY 1`.execute(
    db,
  );
  return {
    indexes: indexes.rows,
    constraints: constraints.rows,
    columns: columns.rows,
    comments: comments.rows,
    schemas: schemas.rows,
  };
}

describe('rebuilding the read models', () => {
  const analystRole = `canopy_analyst_rebuild_${randomBytes(4).toString('hex')}`;
  const analystPassword = randomBytes(12).toString('hex');
  let database: TestDatabase;
  let store: PostgresEventStore;
  let db: Kysely<ReadModelDatabase>;
  let projector: RunningProjector | undefined;
  let config: ProjectorConfig;
  const streamIds = new Set<string>();
  let appended = 0;
  const logger = createServiceLogger('projector-test', 'silent');
  const newId = objectIdFactory();

  async function append(history: Pick<EventHistory, 'appends'>): Promise<void> {
    await appendHistory(store, history);
    for (const { streamId, events } of history.appends) {
      streamIds.add(streamId);
      appended += events.length;
    }
  }

  async function caughtUp(running: RunningProjector): Promise<void> {
    await eventually(
      () => expect(running.progress().position.eventsApplied).toBe(appended),
      patienceMs,
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase('projector_rebuild');
    await migrateEventStore(database.url);
    store = new PostgresEventStore({ connectionString: database.url });
    db = createReadModelDb(database.url);
    await migrateReadModels(db);
    await sql`CREATE ROLE ${sql.id(analystRole)} LOGIN PASSWORD ${sql.lit(analystPassword)} IN ROLE canopy_analyst`.execute(
      db,
    );
    config = readConfig(projectorConfigSchema, {
      DATABASE_URL: database.url,
      NATS_URL: testNatsUrl(),
      PROJECTOR_BATCH_SIZE: '13',
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await projector?.stop();
    await store?.close();
    await db?.destroy();
    await database?.drop();
    const server = new pg.Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      await server.query(`DROP ROLE IF EXISTS ${analystRole}`);
    } finally {
      await server.end();
    }
  });

  test(
    'rebuilds from the first event and swaps in while the projector runs and readers query',
    async () => {
      const history = realisticHistory({ tasks: 40, newId });
      await append(history);
      projector = await startProjector(config, logger);
      await caughtUp(projector);
      const shapeBefore = await schemaShape(db);

      const apiPool = new pg.Pool({ connectionString: database.url, max: 2 });
      const analystUrl = new URL(database.url);
      analystUrl.username = analystRole;
      analystUrl.password = analystPassword;
      const analyst = new pg.Client({ connectionString: analystUrl.toString() });
      await analyst.connect();
      const accountId = history.appends[0]?.streamId.replace('account-', '') ?? '';
      const readers = new Readers(apiPool, analyst, accountId);
      try {
        // Events keep coming while the rebuild runs, so the live projector keeps moving.
        const appending = append(realisticHistory({ tasks: 30, newId, startSeconds: 1000 }));
        const report = await rebuildReadModels(config, logger);
        await appending;
        const queriesAtSwap = readers.queries;
        // Readers query the swapped tables for a while.
        await eventually(
          () => expect(readers.queries).toBeGreaterThan(queriesAtSwap + 20),
          patienceMs,
        );
        await readers.stop();

        expect(readers.errors).toEqual([]);
        expect(report.eventsApplied).toBeGreaterThanOrEqual(history.eventCount);
        expect(report.views).toEqual(
          expect.arrayContaining(['analytics.task_runs', 'analytics.task_attempts']),
        );
        await caughtUp(projector);
        expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));
        expect(await schemaShape(db)).toEqual(shapeBefore);

        // The analyst still reads the views, which now read the new tables, and nothing else.
        const runs = await analyst.query<{ tasks: number }>(
          'SELECT count(*)::int AS tasks FROM analytics.task_runs',
        );
        const tasks = await db
          .selectFrom('api.tasks')
          .select((select) => select.fn.countAll<string>().as('tasks'))
          .executeTakeFirstOrThrow();
        expect(runs.rows[0]?.tasks).toBe(Number(tasks.tasks));
        const attempts = await analyst.query<{ attempts: number }>(
          'SELECT count(*)::int AS attempts FROM analytics.task_attempts',
        );
        expect(attempts.rows[0]?.attempts).toBeGreaterThan(0);
        await expect(analyst.query('SELECT * FROM api.tasks')).rejects.toThrow(/permission denied/);

        // The live projector carries on in the new tables.
        await append(realisticHistory({ tasks: 5, newId, startSeconds: 2000 }));
        await caughtUp(projector);
        expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));
      } finally {
        await readers.stop();
        await analyst.end();
        await apiPool.end();
      }
    },
    patienceMs * 3,
  );

  test(
    'rebuilds again, also with the live projector stopped, and it resumes where the rebuild left it',
    async () => {
      await projector?.stop();
      projector = undefined;
      const report = await rebuildReadModels(config, logger);
      expect(report.eventsApplied).toBe(appended);
      expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));

      await append(realisticHistory({ tasks: 5, newId, startSeconds: 3000 }));
      projector = await startProjector(config, logger);
      await caughtUp(projector);
      expect(await readModelSnapshot(db)).toEqual(await foldedReadModels(store, [...streamIds]));
    },
    patienceMs * 2,
  );
});
