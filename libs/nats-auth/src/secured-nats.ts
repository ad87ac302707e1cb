import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  startConfiguredNats,
  type ConfiguredNatsServer,
  type LocalServicesLogger,
} from '@canopy/local-services';
import type { NatsAuthoritySecrets } from './authority.js';
import { natsServerConfig, type NatsClusterMembership } from './server-config.js';

export interface SecuredNatsOptions {
  readonly authority: NatsAuthoritySecrets;
  /**
   * Holds the server's files under `<dataDir>/nats`: `server.conf`, the account resolver's
   * `accounts/` (where revocations persist) and JetStream's `jetstream/`.
   */
  readonly dataDir: string;
  /** Exactly this port on 127.0.0.1 (fails when taken). */
  readonly port?: number | undefined;
  /** This port when it is free, else any free port. Used when `port` is absent. */
  readonly preferredPort?: number | undefined;
  readonly logger?: LocalServicesLogger | undefined;
  readonly natsServerPath?: string | undefined;
  /** HTTP monitoring (`/varz`, `/connz`...) on this port; none when absent. */
  readonly monitorPort?: number | undefined;
  /** This server is one of a cluster (same authority on every server). */
  readonly cluster?: NatsClusterMembership | undefined;
}

/** Writes the server configuration of the authority and spawns a nats-server that enforces it. */
export async function startSecuredNats(options: SecuredNatsOptions): Promise<ConfiguredNatsServer> {
  const natsDir = path.join(path.resolve(options.dataDir), 'nats');
  const storeDir = natsDir;
  const resolverDir = path.join(natsDir, 'accounts');
  await mkdir(resolverDir, { recursive: true });
  const configFile = path.join(natsDir, 'server.conf');
  const config = natsServerConfig(options.authority, {
    storeDir,
    resolverDir,
    monitorPort: options.monitorPort,
    cluster: options.cluster,
  });
  await writeFile(configFile, config, { mode: 0o600 });
  await chmod(configFile, 0o600);
  return startConfiguredNats({
    configFile,
    storeDir,
    port: options.port,
    preferredPort: options.preferredPort,
    logger: options.logger,
    natsServerPath: options.natsServerPath,
  });
}
