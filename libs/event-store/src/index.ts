export * from './port/event-store.js';
export * from './port/errors.js';
