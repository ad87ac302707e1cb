export * from './test-database.js';
export * from './private-nats.js';
export { findFreePort } from '../network/tcp-port.js';
export * from './own-postgres.js';
export { ensureDatabase } from '../postgres/ensure-database.js';
export { databaseUrl } from '../postgres/database-url.js';
