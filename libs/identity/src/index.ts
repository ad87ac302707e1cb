export * from './api-key.js';
export * from './object-id.js';
