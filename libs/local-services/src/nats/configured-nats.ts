import { silentLogger, type LocalServicesLogger } from '../local-services-logger.js';
import { choosePort, findFreePort } from '../network/tcp-port.js';
import { startedByThisProcess, type RunningService } from '../running-service.js';
import { NATS_SERVER_EXECUTABLE, startNatsServer } from './nats-server-process.js';

export interface ConfiguredNatsOptions {
  /** nats-server configuration file; it must enable JetStream (with its store in `storeDir`). */
  readonly configFile: string;
  /** JetStream's store, created when missing. */
  readonly storeDir: string;
  /**
   * Port on 127.0.0.1. When given, exactly this one (failing when it is taken); otherwise
   * `preferredPort` when free, else any free port.
   */
  readonly port?: number | undefined;
  readonly preferredPort?: number | undefined;
  readonly logger?: LocalServicesLogger | undefined;
  /** The nats-server executable. Default: `nats-server` from PATH, then Debian's /usr/sbin/nats-server. */
  readonly natsServerPath?: string | undefined;
}

/** A nats-server this process spawned, which can also be signalled (fault injection in tests). */
export interface ConfiguredNatsServer extends RunningService {
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the server process has exited, however. */
  readonly exited: Promise<void>;
}

/**
 * Spawns a nats-server of this process's own with a configuration file (for example one that turns
 * on JWT authentication), bound to 127.0.0.1, and waits until it answers. Unlike `ensureNats`, it
 * never adopts a server that already runs: an existing server would not enforce this configuration.
 */
export async function startConfiguredNats(
  options: ConfiguredNatsOptions,
): Promise<ConfiguredNatsServer> {
  const logger = options.logger ?? silentLogger;
  const port =
    options.port !== undefined
      ? await choosePort(options.port, true, 'NATS')
      : options.preferredPort !== undefined
        ? await choosePort(options.preferredPort, false, 'NATS')
        : await findFreePort();
  logger.info(`starting nats-server on 127.0.0.1:${port} with ${options.configFile}`);
  const server = await startNatsServer({
    executable: options.natsServerPath ?? NATS_SERVER_EXECUTABLE,
    port,
    storeDir: options.storeDir,
    configFile: options.configFile,
    logger,
  });
  return {
    ...startedByThisProcess(server.url, () => server.stop()),
    kill: (signal) => server.kill(signal),
    exited: server.exited,
  };
}
