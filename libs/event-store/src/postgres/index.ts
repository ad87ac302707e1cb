export {
  PostgresEventStore,
  type PostgresConnection,
  type PostgresEventStoreHooks,
  type PostgresEventStoreOptions,
} from './postgres-event-store.js';
export { migrateEventStore } from './migrate-event-store.js';
