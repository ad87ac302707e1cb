export * from './service-config.js';
export * from './service-logger.js';
export * from './service-process.js';
export * from './shutdown.js';
export * from './run-service.js';
export * from './nats-servers.js';
export * from './event-store-selection.js';
export * from './nest-logger.js';
