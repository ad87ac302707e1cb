import { createTestDatabase } from '@canopy/local-services/testing';
import type { TestDatabase } from '@canopy/local-services/testing';
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import { migrateToLatest, rollBackAll, withMigrationConnection } from './schema-migrations.js';
import type { SchemaMigrations } from './schema-migrations.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('schema_migrations');
});

afterAll(async () => {
  await database?.drop();
});

/** A migration that creates (and drops, going down) `<schema>.<table>`. */
function creating(schema: string, table: string): Migration {
  return {
    up: async (db) => {
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
      await sql`CREATE TABLE ${sql.id(schema, table)} (id int)`.execute(db);
    },
    down: async (db) => {
      await sql`DROP TABLE ${sql.id(schema, table)}`.execute(db);
    },
  };
}

async function tablesIn(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}
    ORDER BY table_name`.execute(db);
  return rows.map((row) => row.table_name);
}

describe('a library migrating its own schema', () => {
  test('applies its migrations in name order, once, however many replicas run them at once', async () => {
    const order: string[] = [];
    const noting = (name: string, migration: Migration): Migration => ({
      up: async (db) => {
        order.push(name);
        await migration.up(db);
      },
    });
    const schema: SchemaMigrations = {
      subject: 'first',
      // Listed out of order on purpose: names decide.
      migrations: {
        '2026_02_b': noting('2026_02_b', creating('first', 'b')),
        '2026_01_a': noting('2026_01_a', creating('first', 'a')),
      },
      bookkeepingSchema: 'first',
    };
    const applied = await Promise.all(
      [1, 2, 3].map(() =>
        withMigrationConnection(database.url, (db) => migrateToLatest(db, schema)),
      ),
    );

    expect(applied.flat()).toEqual(['2026_01_a', '2026_02_b']);
    expect(order).toEqual(['2026_01_a', '2026_02_b']);
    await withMigrationConnection(database.url, async (db) => {
      expect(await migrateToLatest(db, schema)).toEqual([]);
      // The bookkeeping is in the schema named, under kysely's names by default.
      expect(await tablesIn(db, 'first')).toEqual([
        'a',
        'b',
        'kysely_migration',
        'kysely_migration_lock',
      ]);
    });
  });

  test('two libraries keep apart: neither sees the other’s migrations as unknown', async () => {
    await withMigrationConnection(database.url, async (db) => {
      const one: SchemaMigrations = {
        subject: 'one',
        migrations: { '2026_01_one': creating('one', 't') },
        bookkeepingSchema: 'public',
        bookkeepingTable: 'one_migration',
        bookkeepingLockTable: 'one_migration_lock',
      };
      const two: SchemaMigrations = {
        subject: 'two',
        migrations: { '2026_01_two': creating('two', 't') },
        bookkeepingSchema: 'two',
      };
      expect(await migrateToLatest(db, one)).toEqual(['2026_01_one']);
      expect(await migrateToLatest(db, two)).toEqual(['2026_01_two']);
      expect(await migrateToLatest(db, one)).toEqual([]);
      expect(await tablesIn(db, 'public')).toEqual(
        expect.arrayContaining(['one_migration', 'one_migration_lock']),
      );
    });
  });

  test('a failing migration rejects naming it, and nothing of the run stays applied', async () => {
    await withMigrationConnection(database.url, async (db) => {
      const schema: SchemaMigrations = {
        subject: 'broken',
        migrations: {
          '2026_01_fine': creating('broken', 'fine'),
          '2026_02_failing': {
            up: async (inner) => {
              await sql`SELECT * FROM no_such_table`.execute(inner);
            },
          },
        },
        bookkeepingSchema: 'public',
        bookkeepingTable: 'broken_migration',
        bookkeepingLockTable: 'broken_migration_lock',
      };
      const failure = await migrateToLatest(db, schema).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(
        /^broken migration 2026_02_failing failed: .*no_such_table/,
      );
      // PostgreSQL runs the whole run in one transaction: the first migration is undone too.
      expect(await tablesIn(db, 'broken')).toEqual([]);
    });
  });

  test('rolling back undoes every migration, the latest first', async () => {
    await withMigrationConnection(database.url, async (db) => {
      const undone: string[] = [];
      const undoing = (name: string): Migration => ({
        up: creating('rolled', name).up,
        down: async (inner) => {
          undone.push(name);
          await sql`DROP TABLE ${sql.id('rolled', name)}`.execute(inner);
        },
      });
      const schema: SchemaMigrations = {
        subject: 'rolled',
        migrations: { '2026_01_x': undoing('x'), '2026_02_y': undoing('y') },
        bookkeepingSchema: 'rolled_bookkeeping',
      };
      await migrateToLatest(db, schema);

      expect(await rollBackAll(db, schema)).toEqual(['2026_02_y', '2026_01_x']);
      expect(undone).toEqual(['y', 'x']);
      expect(await tablesIn(db, 'rolled')).toEqual([]);
      expect(await migrateToLatest(db, schema)).toEqual(['2026_01_x', '2026_02_y']);
    });
  });
});
