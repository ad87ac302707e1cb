import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import { describeEventStoreContract } from '../testing/index.js';
import { migrateEventStore, PostgresEventStore } from './index.js';

let database: TestDatabase;

describeEventStoreContract('PostgreSQL', {
  async create() {
    database = await createTestDatabase('event_store');
    await migrateEventStore(database.url);
    return new PostgresEventStore({ connectionString: database.url });
  },
  async createWithCommitDelay(beforeCommit) {
    return new PostgresEventStore({ connectionString: database.url, hooks: { beforeCommit } });
  },
  async dispose() {
    await database.drop();
  },
});
