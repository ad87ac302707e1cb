export { redactConnectionUrl } from './connection-url.js';
export type { LocalServicesLogger } from './local-services-logger.js';
export type { RunningService } from './running-service.js';
export {
  ensurePostgres,
  STANDARD_POSTGRES_PORT,
  type EnsurePostgresOptions,
} from './postgres/ensure-postgres.js';
export { ensureDatabase } from './postgres/ensure-database.js';
export { databaseUrl } from './postgres/database-url.js';
export { EMBEDDED_POSTGRES_PASSWORD } from './postgres/embedded-postgres-cluster.js';
export { probePostgres, type PostgresProbe } from './postgres/probe-postgres.js';
export { ensureNats, STANDARD_NATS_PORT, type EnsureNatsOptions } from './nats/ensure-nats.js';
export { NatsServerNotFoundError } from './nats/nats-server-process.js';
export {
  startConfiguredNats,
  type ConfiguredNatsOptions,
  type ConfiguredNatsServer,
} from './nats/configured-nats.js';
export { probeNats, type NatsProbe, type NatsServerInfo } from './nats/probe-nats.js';
export { findFreePort } from './network/tcp-port.js';
