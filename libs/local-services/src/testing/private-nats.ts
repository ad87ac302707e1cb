import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureNats } from '../nats/ensure-nats.js';
import { findFreePort } from '../network/tcp-port.js';

export interface PrivateNats {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server of the test file's own, on a free port with a temporary JetStream store. A running
 * scheduler answers every node's heartbeats and offers its tasks to every node it hears on its NATS
 * server, and IssueTask requests go to one fixed subject, so test files that run schedulers, nodes
 * or gateways must not share a server with others running in parallel. `port` picks the port (a
 * test of what waits for a server starts it on a port found free beforehand).
 */
export async function startPrivateNats(
  options: { readonly port?: number } = {},
): Promise<PrivateNats> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-test-nats-'));
  const server = await ensureNats({ port: options.port ?? (await findFreePort()), dataDir });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
