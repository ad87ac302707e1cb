export * from './api-key.js';
export * from './object-id.js';
export * from './signing-key-set.js';
