import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfiguredNatsServer } from '@canopy/local-services';
import { findFreePort } from '@canopy/local-services/testing';
import { createNatsAuthority, saveNatsAuthority } from '../authority.js';
import { startSecuredNats } from '../secured-nats.js';
import { credentialsIssuer, type SecuredPrivateNats } from './secured-private-nats.js';

/** One server of the cluster, by its place (0, 1, 2). */
export interface ClusterMember {
  readonly index: number;
  readonly url: string;
  /** Whether its process is up (it may be stopped with SIGSTOP and still count as running). */
  readonly running: boolean;
}

export interface SecuredNatsCluster extends SecuredPrivateNats {
  /** Every server's URL, comma-separated, as `NATS_URL` takes them. */
  readonly url: string;
  readonly members: readonly ClusterMember[];
  /** Sends one server a signal (SIGKILL, SIGSTOP, SIGCONT...); SIGKILL resolves once it has exited. */
  signal(index: number, signal: NodeJS.Signals): Promise<void>;
  /** Starts a server that was killed again, on its ports, with its configuration and store. */
  restart(index: number): Promise<void>;
}

const CLUSTER_NAME = 'canopy';
/** How often a server is started on other ports when one of its ports was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/** A server's two ports: for clients, and for the other servers' routes. */
interface MemberPorts {
  readonly client: number;
  readonly route: number;
}

/**
 * Three nats-servers (or `size`) on loopback routed to each other, each enforcing JWT authentication
 * with the same fresh authority and the same preloaded account JWTs, as the reference deployment
 * runs them: a client given every URL rides out the loss of any one server. Free ports, temporary
 * stores; a killed server can be started again with its own ports and store.
 *
 * Each server's ports are chosen just before it starts, and chosen again when another process took
 * one in between (tests run side by side); each server routes to the servers started before it (and
 * to itself), so no configuration names a port that was given up. A route, once up, carries both
 * ways, and the server that named it solicits it again after either end restarts.
 */
export async function startSecuredNatsCluster(
  options: { readonly size?: number } = {},
): Promise<SecuredNatsCluster> {
  const size = options.size ?? 3;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-test-nats-cluster-'));
  const servers: (ConfiguredNatsServer | undefined)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server?.stop() ?? Promise.resolve()));
  };
  try {
    const authority = await createNatsAuthority();
    const authorityFile = path.join(dataDir, 'authority.json');
    await saveNatsAuthority(authorityFile, authority);
    const ports: MemberPorts[] = [];
    const route = (port: number) => `127.0.0.1:${port}`;
    const start = (index: number): Promise<ConfiguredNatsServer> => {
      const own = ports[index] as MemberPorts;
      return startSecuredNats({
        authority,
        dataDir: path.join(dataDir, `server-${index + 1}`),
        port: own.client,
        cluster: {
          serverName: `canopy-nats-${index + 1}`,
          clusterName: CLUSTER_NAME,
          listen: route(own.route),
          // Its own too: a JetStream server wants at least one route configured.
          routes: ports.slice(0, index + 1).map((member) => route(member.route)),
        },
      });
    };
    for (let index = 0; index < size; index += 1) {
      for (let attempt = 1; ; attempt += 1) {
        ports[index] = { client: await findFreePort(), route: await findFreePort() };
        try {
          servers.push(await start(index));
          break;
        } catch (error) {
          if (attempt === PORT_ATTEMPTS || !portTaken(error)) throw error;
        }
      }
    }

    const serverAt = (index: number): ConfiguredNatsServer | undefined => {
      if (!Number.isInteger(index) || index < 0 || index >= size) {
        throw new Error(`the cluster has servers 0 to ${size - 1}, not ${index}`);
      }
      return servers[index];
    };
    const urls = ports.map(({ client }) => `nats://127.0.0.1:${client}`);
    return {
      url: urls.join(','),
      authority,
      authorityFile,
      dataDir,
      credentialsFor: credentialsIssuer(authority),
      get members() {
        return urls.map((url, index) => ({
          index,
          url,
          running: servers[index] !== undefined,
        }));
      },
      async signal(index, signal) {
        const server = serverAt(index);
        if (server === undefined) return;
        server.kill(signal);
        if (signal === 'SIGKILL') {
          await server.exited;
          servers[index] = undefined;
        }
      },
      async restart(index) {
        if (serverAt(index) !== undefined) throw new Error(`nats-server ${index} is running`);
        servers[index] = await start(index);
      },
      stop: async () => {
        await stopAll();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A server that could not start because a port chosen for it was taken in the meantime. */
function portTaken(error: unknown): boolean {
  return error instanceof Error && /port is taken|address already in use/i.test(error.message);
}
