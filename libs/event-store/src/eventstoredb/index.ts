export { EventStoreDbEventStore } from './eventstoredb-event-store.js';
export type {
  EventStoreDbConnection,
  EventStoreDbEventStoreOptions,
} from './eventstoredb-event-store.js';
export type { SubscriptionDrop } from './resumable-all-subscription.js';
