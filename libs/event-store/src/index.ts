export * from './port/event-store.js';
export * from './port/errors.js';
export { InMemoryEventStore } from './in-memory/in-memory-event-store.js';
export {
  openEventStore,
  type EventStoreSelection,
  type OpenEventStoreOptions,
} from './open-event-store.js';
export * from './contract-streams.js';
export * from './command-handling/command-handler.js';
export * from './command-handling/stream-state-cache.js';
export * from './observed/observed-event-store.js';
