export { migrateToLatest, rollBackAll, withMigrationConnection } from './schema-migrations.js';
export type { SchemaMigrations } from './schema-migrations.js';
