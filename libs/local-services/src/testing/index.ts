export * from './test-database.js';
export * from './private-nats.js';
export { findFreePort } from '../network/tcp-port.js';
