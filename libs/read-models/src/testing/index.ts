export * from './read-model-test-database.js';
