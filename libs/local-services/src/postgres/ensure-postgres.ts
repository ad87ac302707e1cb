import path from 'node:path';
import { redactConnectionUrl } from '../connection-url.js';
import { silentLogger, type LocalServicesLogger } from '../local-services-logger.js';
import { choosePort, isPortFree } from '../network/tcp-port.js';
import { alreadyRunning, startedByThisProcess, type RunningService } from '../running-service.js';
import { localPostgresUrl } from './database-url.js';
import { startEmbeddedPostgresCluster } from './embedded-postgres-cluster.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { probePostgres } from './probe-postgres.js';

export const STANDARD_POSTGRES_PORT = 5432;

export interface EnsurePostgresOptions {
  /** A server to use as it is (typically `DATABASE_URL`); provisioning fails if it does not answer. */
  readonly url?: string | undefined;
  /** Parent of the embedded cluster's directory (`<dataDir>/postgres`). Default: `.data` under the current directory. */
  readonly dataDir?: string | undefined;
  /**
   * Port of the local server to look for on 127.0.0.1 and, when none answers, to start the embedded
   * one on. Default 5432; the embedded server then moves to a free port if 5432 is taken by
   * something unusable. An explicit port is never moved.
   */
  readonly port?: number | undefined;
  readonly logger?: LocalServicesLogger | undefined;
  /**
   * Only matters as root: let embedded-postgres create the `postgres` system user it runs the
   * server as, when that user is missing. It changes the host, so it is off by default.
   */
  readonly createSystemUser?: boolean | undefined;
}

/**
 * Finds a PostgreSQL server or starts one: the given URL; else the local server on the standard
 * port; else an embedded server already running from `<dataDir>/postgres`; else starts that
 * embedded server (initialising the cluster on first use). Connection URLs use the user `postgres`
 * with trust authentication on 127.0.0.1. Which server is used, and why, is logged at info level;
 * a server on the local port that does not let that user in is named in a warning, never skipped
 * silently.
 */
export async function ensurePostgres(options: EnsurePostgresOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? silentLogger;
  if (options.url !== undefined) {
    const probe = await probePostgres(options.url);
    if (!probe.answers)
      throw new Error(
        `PostgreSQL at ${redactConnectionUrl(options.url)} does not answer: ${probe.reason}`,
      );
    logger.info(
      `using PostgreSQL ${probe.serverVersion} at ${redactConnectionUrl(options.url)} (DATABASE_URL)`,
    );
    return alreadyRunning(options.url);
  }

  const port = options.port ?? STANDARD_POSTGRES_PORT;
  const localUrl = localPostgresUrl(port);
  const local = await probePostgres(localUrl);
  if (local.answers) {
    logger.info(
      `using the PostgreSQL ${local.serverVersion} on 127.0.0.1:${port} (DATABASE_URL is unset, and it lets user postgres in without a password)`,
    );
    return alreadyRunning(localUrl);
  }
  if (await isPortFree(port)) {
    logger.info(`no PostgreSQL on 127.0.0.1:${port} (DATABASE_URL is unset)`);
  } else {
    // Typically a server that asks for a password: the user meant to use it, so say why it is not.
    logger.warn(
      `a server listens on 127.0.0.1:${port} but PostgreSQL there did not let user postgres in without a password (${local.reason}); it is NOT used. To use it, set DATABASE_URL with its user and password`,
    );
  }

  const clusterDir = path.join(path.resolve(options.dataDir ?? '.data'), 'postgres');
  const running = await findRunningCluster(clusterDir);
  if (running !== undefined) {
    logger.info(`using the embedded PostgreSQL already running from ${clusterDir} at ${running}`);
    return alreadyRunning(running);
  }

  const startPort = await choosePort(port, options.port !== undefined, 'PostgreSQL');
  logger.info(`starting an embedded PostgreSQL on 127.0.0.1:${startPort} from ${clusterDir}`);
  try {
    const cluster = await startEmbeddedPostgresCluster({
      clusterDir,
      port: startPort,
      logger,
      createSystemUser: options.createSystemUser ?? false,
    });
    return startedByThisProcess(localPostgresUrl(cluster.port), () => cluster.stop());
  } catch (error) {
    // Another process may have started the same cluster in the meantime (it holds the lock).
    const startedElsewhere = await findRunningCluster(clusterDir);
    if (startedElsewhere !== undefined) return alreadyRunning(startedElsewhere);
    throw error;
  }
}

async function findRunningCluster(clusterDir: string): Promise<string | undefined> {
  const postmaster = await readPostmasterPid(clusterDir);
  if (postmaster === undefined) return undefined;
  const url = localPostgresUrl(postmaster.port);
  return (await probePostgres(url)).answers ? url : undefined;
}
