import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../local-services-logger.js';
import { findFreePort } from '../network/tcp-port.js';
import { localPostgresUrl } from '../postgres/database-url.js';
import {
  startEmbeddedPostgresCluster,
  type EmbeddedPostgresCluster,
} from '../postgres/embedded-postgres-cluster.js';

export interface OwnPostgres {
  /** The server's `postgres` database; `databaseUrl(serverUrl, name)` names another. */
  readonly serverUrl: string;
  readonly port: number;
  /** Whether the server runs (it was not stopped, or was started again). */
  readonly running: boolean;
  /** Stops the server (a fast shutdown: connections are cut, nothing committed is lost). */
  stopServer(): Promise<void>;
  /** Starts a stopped server again, on its port and with its data. */
  startServer(): Promise<void>;
  /** Stops the server and removes its data. */
  remove(): Promise<void>;
}

/**
 * An embedded PostgreSQL of this process's own, in a temporary directory on a free port: unlike the
 * machine's server, one that a test may stop and start again (the platform's database going away).
 * Initialising its cluster takes a few seconds.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-test-postgres-'));
  // As root, the server runs as the `postgres` user, who must be able to enter it.
  await chmod(dataDir, 0o755);
  const clusterDir = path.join(dataDir, 'cluster');
  const port = await findFreePort();
  const start = () =>
    startEmbeddedPostgresCluster({
      clusterDir,
      port,
      logger: silentLogger,
      createSystemUser: false,
    });
  let cluster: EmbeddedPostgresCluster | undefined;
  try {
    cluster = await start();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    serverUrl: localPostgresUrl(port),
    port,
    get running() {
      return cluster !== undefined;
    },
    async stopServer() {
      const running = cluster;
      cluster = undefined;
      await running?.stop();
    },
    async startServer() {
      if (cluster !== undefined) throw new Error('the PostgreSQL server is running');
      cluster = await start();
    },
    async remove() {
      const running = cluster;
      cluster = undefined;
      await running?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
