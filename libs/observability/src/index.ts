export * from './readiness.js';
export * from './service-metrics.js';
export * from './nats-connection-watch.js';
export * from './event-store-metrics.js';
export * from './admin-server.js';
export * from './admin-config.js';
