import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureNats } from '@canopy/local-services';

export interface PrivateNats {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server of the test file's own. A running scheduler answers every node's heartbeats and
 * offers its tasks to every node it hears on its NATS server, so it must not share one with other
 * test files that script nodes or schedulers of their own (they run in parallel).
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-scheduler-nats-'));
  const server = await ensureNats({ port: await freePort(), dataDir });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
