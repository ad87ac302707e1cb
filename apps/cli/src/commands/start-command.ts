import { migrateEventStore } from '@canopy/event-store/postgres';
import { findFreePort, redactConnectionUrl } from '@canopy/local-services';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { CliConfig } from '../cli-config.js';
import { nodeNatsSettings, serviceNatsEnv, SECURED_NATS_PORT } from '../local-stack/local-nats.js';
import { provideLocalServices } from '../local-stack/local-services.js';
import { ProcessSupervisor } from '../local-stack/process-supervisor.js';
import { localSigningKeys } from '../local-stack/signing-keys.js';

export const startHelp = `
Runs the whole system locally: gateway (HTTP on PORT, default 3000), scheduler, projector and one
node agent, against DATABASE_URL / NATS_URL or the local services (starting an embedded PostgreSQL
where none lets user postgres in without a password on 127.0.0.1:5432; it says which it uses and
why). Creates the database and runs migrations. A service that dies is started again
(after 0.5 s, doubling to 10 s); one that dies 5 times within a minute stops everything, exit code 1.
Ctrl-C stops everything. Each service's /metrics, /healthz and /readyz: the gateway's on PORT, the
others' on free ports of 127.0.0.1 (ADMIN_PORT), printed once everything is started.

NATS: without NATS_URL, starts its own nats-server with JWT authentication on 127.0.0.1:${SECURED_NATS_PORT}
(CANOPY_NATS_PORT), trusting the authority in <data dir>/nats/authority.json (created once), and
gives every service and the node agent credentials of their own (<data dir>/nats/creds/). With
NATS_URL, uses that server with NATS_CREDS / NATS_AUTHORITY_FILE from the environment.`;

export interface StartOptions {
  readonly nodeSlots: number;
  readonly withNode: boolean;
  readonly insecureNats?: boolean;
}

/** The node agent `canopy start` runs beside the services: a platform node, not one of an account's. */
export const LOCAL_NODE_ID = 'local-node';

/**
 * Runs until SIGINT/SIGTERM, restarting a service that dies, or until one keeps dying; returns the
 * process exit code (0 after a signal, 1 after a crash loop).
 */
export async function runStart(
  config: CliConfig,
  options: StartOptions,
  logger: ServiceLogger,
): Promise<number> {
  const services = await provideLocalServices(config, logger, {
    nats: true,
    insecureNats: options.insecureNats === true,
  });
  const supervisor = new ProcessSupervisor(logger);
  try {
    await migrateEventStore(services.databaseUrl);
    const readModels = createReadModelDb(services.databaseUrl);
    try {
      await migrateReadModels(readModels);
    } finally {
      await readModels.destroy();
    }
    const env = {
      DATABASE_URL: services.databaseUrl,
      NATS_URL: services.natsUrl,
      EVENT_STORE: config.EVENT_STORE,
      ...(config.EVENTSTORE_URL === undefined ? {} : { EVENTSTORE_URL: config.EVENTSTORE_URL }),
      LOG_LEVEL: config.LOG_LEVEL,
    };
    const nats = services.natsAccess;
    // Every service's admin listener (/metrics, /healthz, /readyz) on a free port of 127.0.0.1; the
    // gateway serves its own on PORT.
    const adminPorts = {
      scheduler: await findFreePort(),
      projector: await findFreePort(),
      'node-agent': await findFreePort(),
    };
    supervisor.start({
      name: 'scheduler',
      app: 'scheduler',
      env: {
        ...env,
        ...(await serviceNatsEnv(nats, 'scheduler')),
        ADMIN_PORT: String(adminPorts.scheduler),
      },
    });
    supervisor.start({
      name: 'projector',
      app: 'projector',
      env: {
        ...env,
        ...(await serviceNatsEnv(nats, 'projector')),
        ADMIN_PORT: String(adminPorts.projector),
      },
    });
    supervisor.start({
      name: 'gateway',
      app: 'gateway',
      env: {
        ...env,
        ...(await serviceNatsEnv(nats, 'gateway')),
        PORT: String(config.PORT),
        ...(await localSigningKeys(config)),
      },
    });
    if (options.withNode) {
      const node = await nodeNatsSettings(nats, LOCAL_NODE_ID);
      if (!node.authenticated && nats.kind === 'external' && nats.credsFile !== undefined) {
        logger.warn(
          'the local node agent has no NATS credentials (set NATS_AUTHORITY_FILE to mint them, or use --no-node)',
        );
      }
      supervisor.start({
        name: 'node-agent',
        app: 'node-agent',
        args: ['--node-id', LOCAL_NODE_ID, '--slots', String(options.nodeSlots), ...node.args],
        env: { ...env, ...node.env, ADMIN_PORT: String(adminPorts['node-agent']) },
      });
    }
    const adminUrl = (port: number) => `http://127.0.0.1:${port}`;
    const gatewayUrl = `http://127.0.0.1:${config.PORT}`;
    logger.info(
      {
        gateway: gatewayUrl,
        console: `${gatewayUrl}/console/`,
        // Which server, and why, was logged when it was chosen.
        database: redactConnectionUrl(services.databaseUrl),
        nats: services.natsUrl,
        natsAuth: nats.kind,
        // /metrics, /healthz, /readyz of each service (the gateway's are on its own port).
        admin: {
          gateway: `http://127.0.0.1:${config.PORT}`,
          scheduler: adminUrl(adminPorts.scheduler),
          projector: adminUrl(adminPorts.projector),
          ...(options.withNode ? { 'node-agent': adminUrl(adminPorts['node-agent']) } : {}),
        },
      },
      'Canopy is running; create an account with `npx canopy account create --name <name>`; Ctrl-C stops it',
    );
    // The one line a new user needs, plain, beside the structured log.
    process.stderr.write(
      `\nCanopy is running. Web console: ${gatewayUrl}/console/ (sign in with an API key from ` +
        '`npx canopy account create --name <name>`); API: ' +
        `${gatewayUrl} (docs: ${gatewayUrl}/docs). Ctrl-C stops it.\n\n`,
    );
    const outcome = await Promise.race([
      supervisor.gaveUp.then((name) => ({ kind: 'gave-up' as const, name })),
      stopSignal().then((signal) => ({ kind: 'signal' as const, signal })),
    ]);
    if (outcome.kind === 'signal') logger.info({ signal: outcome.signal }, 'stopping Canopy');
    else logger.error({ service: outcome.name }, `${outcome.name} keeps dying; stopping Canopy`);
    return outcome.kind === 'signal' ? 0 : 1;
  } finally {
    await supervisor.stop();
    await services.stop();
  }
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
