import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accountEvent, accountStreamId } from '@canopy/contracts';
import { PostgresEventStore, migrateEventStore } from '@canopy/event-store/postgres';
import { toNewEvents } from '@canopy/event-store';
import { testServerUrl } from '@canopy/local-services/testing';
import pg from 'pg';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from './testing/read-model-test-database.js';

/** The queries docs/read-models.md shows analysts: every ```sql block that reads. */
const documentedQueries = [
  ...readFileSync(
    fileURLToPath(new URL('../../../docs/read-models.md', import.meta.url)),
    'utf8',
  ).matchAll(/^```sql\n([\s\S]*?)^```$/gm),
]
  .map((match) => match[1] ?? '')
  .filter((sql) => /^\s*SELECT\b/i.test(sql));

// A LOGIN user made the way docs/read-models.md tells a DBA to.
describe('the canopy_analyst role', () => {
  const analyst = `canopy_analyst_test_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let database: ReadModelTestDatabase;
  let admin: pg.Client;
  let session: pg.Client;
  const accountId = 'a'.repeat(24);
  const keyHash = 'c'.repeat(64);
  const issuedAt = '2026-11-29T10:00:00.000Z';

  beforeAll(async () => {
    database = await createReadModelTestDatabase('analyst_role');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${analyst} LOGIN PASSWORD '${password}' IN ROLE canopy_analyst`);
    await admin.query(`
      INSERT INTO api.tasks (task_id, account_id, function_id, state, status, progress, attempt, node_id, timeout_seconds,
                             cpu_count, mem_size, network_latency, privileged, issued_at, assigned_at, finished_at, last_stream_version)
      VALUES ('${'1'.repeat(24)}', '${'a'.repeat(24)}', '${'f'.repeat(24)}', 'finished', 200, 100, 1, 'node-1', 30,
              1, 128, 0, false, '2026-11-29T10:00:00Z', '2026-11-29T10:00:03Z', '2026-11-29T10:00:15Z', 4)
    `);
    // The real event store beside the read models, holding an API key's hash as production does,
    // and a table in public standing in for anything else kept in the database.
    await migrateEventStore(database.url);
    const store = new PostgresEventStore({ connectionString: database.url });
    try {
      const streamId = accountStreamId(accountId);
      await store.appendToStream(
        streamId,
        toNewEvents(streamId, -1, [
          accountEvent('AccountCreated', { accountId, name: 'analysed', createdAt: issuedAt }),
          accountEvent('ApiKeyIssued', {
            accountId,
            keyId: '0'.repeat(12),
            keyHash,
            label: null,
            issuedAt,
          }),
        ]),
        { expectedVersion: 'no_stream' },
      );
    } finally {
      await store.close();
    }
    await admin.query('CREATE TABLE public.api_keys (key_hash text PRIMARY KEY)');

    const url = new URL(database.url);
    url.username = analyst;
    url.password = password;
    session = new pg.Client({ connectionString: url.toString() });
    await session.connect();
  });

  afterAll(async () => {
    await session?.end();
    await admin?.end();
    await database?.drop();
    const server = new pg.Client({ connectionString: testServerUrl() });
    await server.connect();
    try {
      await server.query(`DROP ROLE IF EXISTS ${analyst}`);
    } finally {
      await server.end();
    }
  });

  test('is a group role that cannot log in itself', async () => {
    const { rows } = await admin.query(
      `SELECT rolcanlogin FROM pg_roles WHERE rolname = 'canopy_analyst'`,
    );
    expect(rows).toEqual([{ rolcanlogin: false }]);
  });

  test("reads every analytics view, which see the API tables with their owner's rights", async () => {
    const runs = await session.query(
      'SELECT task_id, queue_wait_seconds, run_seconds FROM analytics.task_runs',
    );
    expect(runs.rows).toEqual([
      { task_id: '1'.repeat(24), queue_wait_seconds: 3, run_seconds: 12 },
    ]);
    const functions = await session.query(
      'SELECT tasks, p50_run_seconds FROM analytics.function_daily',
    );
    expect(functions.rows).toEqual([{ tasks: 1, p50_run_seconds: 12 }]);
    const nodes = await session.query('SELECT node_id, busy_seconds FROM analytics.node_daily');
    expect(nodes.rows).toEqual([{ node_id: 'node-1', busy_seconds: 12 }]);
  });

  test('runs every query docs/read-models.md shows analysts', async () => {
    expect(documentedQueries.length).toBeGreaterThanOrEqual(7);
    for (const sql of documentedQueries) {
      const failure = await session.query(sql).then(
        () => undefined,
        (error: unknown) => `${String(error)} in\n${sql}`,
      );
      expect(failure).toBeUndefined();
    }
  });

  test.each([
    ['the API read models', 'SELECT * FROM api.tasks'],
    ['task results', 'SELECT * FROM api.task_results'],
    ['the event store', 'SELECT * FROM event_store.events'],
    ['tables in public', 'SELECT * FROM public.api_keys'],
    ['the migration bookkeeping', 'SELECT * FROM public.read_model_migration'],
  ])('is denied %s', async (_what, query) => {
    await expect(session.query(query)).rejects.toThrow(/permission denied/);
  });

  test('finds no key, credential or body in anything it can read', async () => {
    // information_schema lists exactly the columns the current role has some privilege on: none may
    // carry a key's hash, a node's credentials, a token or a task's request or response body.
    const { rows } = await session.query<{ relation: string; column_name: string }>(`
      SELECT c.table_schema || '.' || c.table_name AS relation, c.column_name
        FROM information_schema.columns c
       WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')`);
    expect(new Set(rows.map((row) => row.relation.split('.')[0]))).toEqual(new Set(['analytics']));
    const sensitive = rows.filter((row) =>
      /key|hash|secret|token|credential|body|header|query_string|jwt|seed/i.test(row.column_name),
    );
    expect(sensitive).toEqual([]);
    const dump = await Promise.all(
      [...new Set(rows.map((row) => row.relation))].map(async (relation) =>
        JSON.stringify((await session.query(`SELECT * FROM ${relation}`)).rows),
      ),
    );
    expect(dump.join('\n')).not.toContain(keyHash);
  });

  test('cannot change anything through the views', async () => {
    await expect(session.query(`DELETE FROM analytics.task_runs`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(session.query(`CREATE VIEW analytics.mine AS SELECT 1`)).rejects.toThrow(
      /permission denied/,
    );
  });
});
