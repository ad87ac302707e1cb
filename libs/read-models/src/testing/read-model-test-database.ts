import { createTestDatabase } from '@canopy/local-services/testing';
import type { Kysely } from 'kysely';
import { migrateReadModels } from '../migrate-read-models.js';
import { createReadModelDb } from '../read-model-db.js';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

export interface ReadModelTestDatabase {
  readonly url: string;
  readonly name: string;
  readonly db: Kysely<ReadModelDatabase>;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database with the read models migrated, for one test file. */
export async function createReadModelTestDatabase(
  label = 'read_models',
): Promise<ReadModelTestDatabase> {
  const database = await createTestDatabase(label);
  const db = createReadModelDb(database.url);
  try {
    await migrateReadModels(db);
  } catch (error) {
    await db.destroy();
    await database.drop();
    throw error;
  }
  return {
    url: database.url,
    name: database.name,
    db,
    async drop() {
      await db.destroy();
      await database.drop();
    },
  };
}
