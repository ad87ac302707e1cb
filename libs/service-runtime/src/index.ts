export * from './service-config.js';
export * from './service-logger.js';
export * from './shutdown.js';
