import { describeEventStoreContract } from '../testing/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

describeEventStoreContract('in-memory', {
  create: async () => new InMemoryEventStore(),
});
