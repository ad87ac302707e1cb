import path from 'node:path';
import { redactConnectionUrl } from '../connection-url.js';
import { silentLogger, type LocalServicesLogger } from '../local-services-logger.js';
import { choosePort } from '../network/tcp-port.js';
import { alreadyRunning, startedByThisProcess, type RunningService } from '../running-service.js';
import { NATS_SERVER_EXECUTABLE, startNatsServer } from './nats-server-process.js';
import { probeNats } from './probe-nats.js';

export const STANDARD_NATS_PORT = 4222;

export interface EnsureNatsOptions {
  /** A server to use as it is (typically `NATS_URL`, may list several); provisioning fails if none answers. */
  readonly url?: string | undefined;
  /** Parent of the spawned server's JetStream store (`<dataDir>/nats`). Default: `.data` under the current directory. */
  readonly dataDir?: string | undefined;
  /**
   * Port of the local server to look for on 127.0.0.1 and, when none answers, to spawn one on.
   * Default 4222; the spawned server moves to a free port if 4222 is taken by something else.
   * An explicit port is never moved.
   */
  readonly port?: number | undefined;
  readonly logger?: LocalServicesLogger | undefined;
  /** The nats-server executable. Default: `nats-server` from PATH, then Debian's /usr/sbin/nats-server. */
  readonly natsServerPath?: string | undefined;
}

/**
 * Finds a NATS server or starts one: the given URL; else the local server on the standard port;
 * else spawns `nats-server -js` bound to 127.0.0.1 with its store in `<dataDir>/nats`.
 */
export async function ensureNats(options: EnsureNatsOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? silentLogger;
  if (options.url !== undefined) {
    const probe = await probeNats(options.url);
    if (!probe.answers)
      throw new Error(`NATS at ${redactNatsUrl(options.url)} does not answer: ${probe.reason}`);
    logger.debug(`using NATS ${probe.info.version} at ${redactNatsUrl(options.url)}`);
    return alreadyRunning(options.url);
  }

  const port = options.port ?? STANDARD_NATS_PORT;
  const localUrl = `nats://127.0.0.1:${port}`;
  const local = await probeNats(localUrl);
  if (local.answers) {
    logger.debug(`using the local NATS ${local.info.version} at ${localUrl}`);
    return alreadyRunning(localUrl);
  }
  logger.debug(`no NATS at ${localUrl}: ${local.reason}`);

  const startPort = await choosePort(port, options.port !== undefined, 'NATS');
  const storeDir = path.join(path.resolve(options.dataDir ?? '.data'), 'nats');
  logger.info(`starting nats-server -js on 127.0.0.1:${startPort} with its store in ${storeDir}`);
  const server = await startNatsServer({
    executable: options.natsServerPath ?? NATS_SERVER_EXECUTABLE,
    port: startPort,
    storeDir,
    logger,
  });
  return startedByThisProcess(server.url, () => server.stop());
}

function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((entry) =>
      redactConnectionUrl(entry.includes('://') ? entry.trim() : `nats://${entry.trim()}`),
    )
    .join(',');
}
