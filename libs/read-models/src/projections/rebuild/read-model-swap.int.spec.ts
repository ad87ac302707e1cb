import { sql } from 'kysely';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../../testing/read-model-test-database.js';
import { REBUILD_SCHEMA, createRebuildSchema } from './read-model-swap.js';

let database: ReadModelTestDatabase;

beforeAll(async () => {
  database = await createReadModelTestDatabase('read_model_swap');
});

afterAll(async () => {
  await database?.drop();
});

test('the rebuilt tables keep the storage parameters of the api tables', async () => {
  await createRebuildSchema(database.db);
  const { rows } = await sql<{ schema: string; table: string; options: string[] | null }>`
    SELECT n.nspname AS schema, c.relname AS table, c.reloptions AS options
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('api', ${REBUILD_SCHEMA}) AND c.relkind = 'r'
    ORDER BY c.relname, n.nspname
  `.execute(database.db);
  const optionsIn = (schema: string) =>
    Object.fromEntries(
      rows.filter((row) => row.schema === schema).map((row) => [row.table, row.options]),
    );
  expect(optionsIn('api')['tasks']).toEqual(['fillfactor=70']);
  expect(optionsIn(REBUILD_SCHEMA)).toEqual(optionsIn('api'));
});
