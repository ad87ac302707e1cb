import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import { sql, type Kysely } from 'kysely';
import { migrateReadModels, rollBackReadModels } from './migrate-read-models.js';
import { readModelMigrations } from './migrations/index.js';
import { createReadModelDb } from './read-model-db.js';
import type { ReadModelDatabase } from './schema/read-model-database.js';

const relations = [
  'api.tasks',
  'api.task_attempts',
  'api.task_results',
  'api.functions',
  'api.function_versions',
  'api.nodes',
  'api.accounts',
  'api.api_keys',
  'api.schedules',
  'api.projection_checkpoints',
  'api.account_task_counters',
  'api.function_task_counters',
  'api.account_task_days',
  'api.function_task_days',
  'analytics.task_runs',
  'analytics.task_attempts',
  'analytics.function_daily',
  'analytics.node_daily',
  'analytics.function_versions',
];

async function existingRelations(db: Kysely<ReadModelDatabase>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT n.nspname || '.' || c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('api', 'analytics') AND c.relkind IN ('r', 'v')
  `.execute(db);
  return rows.map((row) => row.name).sort();
}

describe('migrateReadModels', () => {
  let database: TestDatabase;
  let db: Kysely<ReadModelDatabase>;

  beforeAll(async () => {
    database = await createTestDatabase('read_model_migrations');
    db = createReadModelDb(database.url);
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  test('applies every migration once; running again changes nothing', async () => {
    expect(await migrateReadModels(db)).toEqual(Object.keys(readModelMigrations));
    expect(await migrateReadModels(db)).toEqual([]);
    expect(await existingRelations(db)).toEqual([...relations].sort());
  });

  test('several processes migrating at once apply each migration once', async () => {
    const other = await createTestDatabase('read_model_migrations_race');
    const instances = Array.from({ length: 4 }, () => createReadModelDb(other.url));
    try {
      const applied = await Promise.all(instances.map((instance) => migrateReadModels(instance)));
      expect(applied.flat().sort()).toEqual(Object.keys(readModelMigrations).sort());
    } finally {
      await Promise.all(instances.map((instance) => instance.destroy()));
      await other.drop();
    }
  });

  test('rolls back completely and migrates again', async () => {
    await migrateReadModels(db);
    expect(await rollBackReadModels(db)).toEqual(Object.keys(readModelMigrations).reverse());
    expect(await existingRelations(db)).toEqual([]);
    expect(await migrateReadModels(db)).toEqual(Object.keys(readModelMigrations));
    expect(await existingRelations(db)).toEqual([...relations].sort());
  });

  // Each list / CSV filter must be answered by walking an index in order: no sort, no full scan.
  describe('task queries are served by an index in keyset order', () => {
    const account = 'a'.repeat(24);
    const cursor = { issuedAt: '2026-11-29T12:00:00Z', taskId: 'f'.repeat(24) };
    const cases: [string, string, string][] = [
      ['list', 'tasks_account_issued_idx', `account_id = '${account}'`],
      [
        'list by status',
        'tasks_account_status_issued_idx',
        `account_id = '${account}' AND status = 200`,
      ],
      [
        'CSV by function',
        'tasks_account_function_issued_idx',
        `account_id = '${account}' AND function_id = '${'b'.repeat(24)}'`,
      ],
      [
        'CSV by schedule',
        'tasks_account_schedule_issued_idx',
        `account_id = '${account}' AND schedule_id = '${'c'.repeat(24)}'`,
      ],
    ];

    test.each(cases)('%s uses %s', async (_query, index, filter) => {
      await migrateReadModels(db);
      const plan = await db.connection().execute(async (connection) => {
        await sql`SET enable_seqscan = off`.execute(connection);
        const { rows } = await sql<{ 'QUERY PLAN': unknown }>`
          EXPLAIN (FORMAT JSON)
          SELECT task_id FROM api.tasks
          WHERE ${sql.raw(filter)}
            AND issued_at >= '2026-01-01' AND issued_at < '2027-01-01'
            AND (issued_at, task_id) < (${cursor.issuedAt}::timestamptz, ${cursor.taskId})
          ORDER BY issued_at DESC, task_id DESC
          LIMIT 50
        `.execute(connection);
        await sql`RESET enable_seqscan`.execute(connection);
        return JSON.stringify(rows[0]?.['QUERY PLAN']);
      });
      expect(plan).toContain(`"Index Name":"${index}"`);
      expect(plan).not.toContain('"Node Type":"Sort"');
    });
  });
});
