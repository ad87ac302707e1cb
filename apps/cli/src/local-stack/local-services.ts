import { ensureDatabase, ensurePostgres, type RunningService } from '@canopy/local-services';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { CliConfig } from '../cli-config.js';
import { provideLocalNats, type LocalNatsAccess } from './local-nats.js';

/** Name of the database the local stack creates on a server it found or started. */
export const LOCAL_DATABASE_NAME = 'canopy';

export interface LocalServices {
  /** The database every service uses (event store, read models, analytics). */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** How the stack's processes authenticate to NATS (`insecure` when NATS was not provided). */
  readonly natsAccess: LocalNatsAccess;
  /** Stops what was started for this command; leaves what was already running alone. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL and NATS_URL when set; otherwise the local servers at their standard ports, and where
 * nothing listens, an embedded PostgreSQL and a spawned nats-server with their data in the data dir.
 */
export async function provideLocalServices(
  config: CliConfig,
  logger: ServiceLogger,
  options: { nats: boolean; insecureNats?: boolean } = { nats: true },
): Promise<LocalServices> {
  const provisioningLog = {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) => logger.warn(message),
  };
  const started: RunningService[] = [];
  const stop = async () => {
    await Promise.all(started.map((service) => service.stop()));
  };
  try {
    const postgres = await ensurePostgres({
      url: config.DATABASE_URL,
      dataDir: config.dataDir,
      logger: provisioningLog,
    });
    started.push(postgres);
    const databaseUrl =
      config.DATABASE_URL ?? (await ensureDatabase(postgres.url, LOCAL_DATABASE_NAME));
    let natsUrl = config.NATS_URL ?? '';
    let natsAccess: LocalNatsAccess = { kind: 'insecure' };
    if (options.nats) {
      const nats = await provideLocalNats({
        natsUrl: config.NATS_URL,
        credsFile: config.NATS_CREDS,
        authorityFile: config.NATS_AUTHORITY_FILE,
        insecure: options.insecureNats === true || config.CANOPY_NATS_INSECURE === 'true',
        securedPort: config.CANOPY_NATS_PORT,
        dataDir: config.dataDir,
        logger: provisioningLog,
      });
      started.push(nats.server);
      natsUrl = nats.server.url;
      natsAccess = nats.access;
    }
    return { databaseUrl, natsUrl, natsAccess, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
