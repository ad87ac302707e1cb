export * from './read-model-test-database.js';
export * from './read-model-fold.js';
export * from './event-history.js';
export * from './read-model-snapshot.js';
