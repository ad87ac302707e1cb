import { migrateEventStore } from '@canopy/event-store/postgres';
import { createReadModelDb, migrateReadModels } from '@canopy/read-models';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { CliConfig } from '../cli-config.js';
import { provideLocalServices } from '../local-stack/local-services.js';
import { ProcessSupervisor } from '../local-stack/process-supervisor.js';
import { localTokenSecret } from '../local-stack/token-secret.js';

export const startUsage = `Usage: canopy start [--node-slots K] [--no-node]

Runs the whole system locally: gateway (HTTP on PORT, default 3000), scheduler, projector and one
node agent, against DATABASE_URL / NATS_URL or the local services (starting an embedded PostgreSQL
and nats-server -js where none answers). Creates the database and runs migrations. Ctrl-C stops
everything.

Options:
  --node-slots K   slots of the local node agent (default 4)
  --no-node        do not start a local node agent
  -h, --help       this text`;

export interface StartOptions {
  readonly nodeSlots: number;
  readonly withNode: boolean;
}

/** Runs until SIGINT/SIGTERM or until a service dies; returns the process exit code. */
export async function runStart(
  config: CliConfig,
  options: StartOptions,
  logger: ServiceLogger,
): Promise<number> {
  const services = await provideLocalServices(config, logger);
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
    supervisor.start({ name: 'scheduler', app: 'scheduler', env });
    supervisor.start({ name: 'projector', app: 'projector', env });
    supervisor.start({
      name: 'gateway',
      app: 'gateway',
      env: {
        ...env,
        PORT: String(config.PORT),
        AUTH_TOKEN_SECRET: await localTokenSecret(config.dataDir, config.AUTH_TOKEN_SECRET),
      },
    });
    if (options.withNode) {
      supervisor.start({
        name: 'node-agent',
        app: 'node-agent',
        args: ['--node-id', 'local-node', '--slots', String(options.nodeSlots)],
        env,
      });
    }
    logger.info(
      { gateway: `http://127.0.0.1:${config.PORT}` },
      'Canopy is running; create an account with `npx canopy account create --name <name>`; Ctrl-C stops it',
    );
    const outcome = await Promise.race([
      supervisor.exited.then((name) => ({ kind: 'exited' as const, name })),
      stopSignal().then((signal) => ({ kind: 'signal' as const, signal })),
    ]);
    if (outcome.kind === 'signal') logger.info({ signal: outcome.signal }, 'stopping Canopy');
    else logger.error({ service: outcome.name }, 'a service stopped; stopping the others');
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
