import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ISSUE_TASK_SUBJECT } from '@canopy/contracts';
import { startConfiguredNats } from '@canopy/local-services';
import { credentialsAuthenticator, loadNatsAuthority } from '@canopy/nats-auth';
import { connect } from '@nats-io/transport-node';
import { natsCreds, natsInit } from './nats-command.js';

describe('canopy nats init', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'canopy-nats-init-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes a configuration nats-server runs with, and credentials it accepts', async () => {
    const outDir = path.join(dir, 'out');
    const storeDir = path.join(dir, 'store');
    const { files } = await natsInit({
      outDir,
      host: '127.0.0.1',
      port: 4222,
      storeDir,
      monitorPort: undefined,
    });
    expect(files.map((file) => path.relative(outDir, file)).sort()).toEqual([
      'authority.json',
      'creds/cli.creds',
      'creds/gateway.creds',
      'creds/projector.creds',
      'creds/scheduler.creds',
      'server.conf',
    ]);
    for (const file of files) expect((await stat(file)).mode & 0o777).toBe(0o600);

    const server = await startConfiguredNats({
      configFile: path.join(outDir, 'server.conf'),
      storeDir,
    });
    try {
      await expect(connect({ servers: server.url })).rejects.toThrow(/Authorization Violation/);
      const cli = await connect({
        servers: server.url,
        authenticator: credentialsAuthenticator(
          await readFile(path.join(outDir, 'creds', 'cli.creds'), 'utf8'),
        ),
      });
      // Authenticated and allowed to publish there: nobody answers, which the server says.
      await expect(cli.request(ISSUE_TASK_SUBJECT, '{}', { timeout: 2_000 })).rejects.toThrow(
        /no responders/,
      );
      await cli.close();

      const node = await connect({
        servers: server.url,
        authenticator: credentialsAuthenticator(
          await natsCreds(path.join(outDir, 'authority.json'), { kind: 'node', nodeId: 'edge-1' }),
        ),
      });
      await node.close();
    } finally {
      await server.stop();
    }
  });

  test('keeps the authority when run again', async () => {
    const options = {
      outDir: dir,
      host: '0.0.0.0',
      port: 4222,
      storeDir: '/data',
      monitorPort: 8222,
    };
    await natsInit(options);
    const first = await loadNatsAuthority(path.join(dir, 'authority.json'));
    await natsInit(options);
    expect(await loadNatsAuthority(path.join(dir, 'authority.json'))).toEqual(first);
    const config = await readFile(path.join(dir, 'server.conf'), 'utf8');
    expect(config).toContain('dir: "/data/accounts"');
    expect(config).toContain('http_port: 8222');
  });
});
