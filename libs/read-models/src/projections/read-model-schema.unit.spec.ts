import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';
import { inReadModelSchema } from './read-model-schema.js';

const db = new Kysely<ReadModelDatabase>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('inReadModelSchema', () => {
  test('points every api table a query names, references included, at the other schema', () => {
    const query = inReadModelSchema(db, 'api_rebuild')
      .insertInto('api.functions')
      .values({
        function_id: 'f',
        account_id: 'a',
        name: 'n',
        description: null,
        lang: '',
        type: '',
        runtime: { kind: 'http', url: 'http://x' },
        timeout_seconds: 1,
        last_stream_version: 1,
      })
      .onConflict((conflict) =>
        conflict
          .column('function_id')
          .doUpdateSet({ name: 'n' })
          .where('api.functions.last_stream_version', '<', '1'),
      )
      .compile();
    expect(query.sql).toContain('insert into "api_rebuild"."functions"');
    expect(query.sql).toContain('where "api_rebuild"."functions"."last_stream_version" < $');
    expect(query.sql).not.toContain('"api"');
  });

  test('reaches into subqueries and joins', () => {
    const query = inReadModelSchema(db, 'api_rebuild')
      .selectFrom('api.tasks as t')
      .leftJoin('api.task_results as r', 'r.task_id', 't.task_id')
      .where('t.task_id', 'in', (select) =>
        select.selectFrom('api.task_attempts').select('task_id'),
      )
      .select(['t.task_id', 'r.status'])
      .compile();
    expect(query.sql).toContain('from "api_rebuild"."tasks" as "t"');
    expect(query.sql).toContain('left join "api_rebuild"."task_results" as "r"');
    expect(query.sql).toContain('from "api_rebuild"."task_attempts"');
  });

  test('leaves the api schema and other schemas alone', () => {
    expect(inReadModelSchema(db, 'api')).toBe(db);
    const query = inReadModelSchema(db, 'api_rebuild')
      .selectFrom('analytics.task_runs')
      .selectAll()
      .compile();
    expect(query.sql).toBe('select * from "analytics"."task_runs"');
  });

  test('refuses a name that is not a plain schema name', () => {
    expect(() => inReadModelSchema(db, 'api"; drop table x; --')).toThrow(RangeError);
  });
});
