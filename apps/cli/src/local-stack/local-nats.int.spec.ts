import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '@canopy/local-services/testing';
import { credentialsAuthenticator, describeCredentials } from '@canopy/nats-auth';
import { connect } from '@nats-io/transport-node';
import { nodeNatsSettings, provideLocalNats, serviceNatsEnv } from './local-nats.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };

describe('the local stack NATS', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-local-nats-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('by default runs its own secured server and gives each process its own credentials', async () => {
    const port = await findFreePort();
    const nats = await provideLocalNats({
      natsUrl: undefined,
      credsFile: undefined,
      authorityFile: undefined,
      insecure: false,
      securedPort: port,
      dataDir,
      logger: quiet,
    });
    try {
      expect(nats.server.url).toBe(`nats://127.0.0.1:${port}`);
      expect(nats.access.kind).toBe('secured');
      const authorityFile = path.join(dataDir, 'nats', 'authority.json');
      expect((await stat(authorityFile)).mode & 0o777).toBe(0o600);

      const gateway = await serviceNatsEnv(nats.access, 'gateway');
      const projector = await serviceNatsEnv(nats.access, 'projector');
      expect(gateway).toEqual({
        NATS_CREDS: path.join(dataDir, 'nats', 'creds', 'gateway.creds'),
        NATS_AUTHORITY_FILE: authorityFile,
      });
      expect(projector).toEqual({
        NATS_CREDS: path.join(dataDir, 'nats', 'creds', 'projector.creds'),
      });
      expect((await stat(gateway['NATS_CREDS'] ?? '')).mode & 0o777).toBe(0o600);

      const node = await nodeNatsSettings(nats.access, 'local-node');
      const nodeCredsFile = path.join(dataDir, 'nats', 'creds', 'node-local-node.creds');
      expect(node).toEqual({
        args: ['--nats-creds', nodeCredsFile],
        env: { NATS_CREDS: '' },
        authenticated: true,
      });
      expect(describeCredentials(await readFile(nodeCredsFile, 'utf8')).name).toBe('local-node');

      // The server enforces them: no credentials, no connection; the gateway's work.
      await expect(connect({ servers: nats.server.url })).rejects.toThrow(
        /Authorization Violation/,
      );
      const connection = await connect({
        servers: nats.server.url,
        authenticator: credentialsAuthenticator(
          await readFile(gateway['NATS_CREDS'] ?? '', 'utf8'),
        ),
      });
      await connection.close();
    } finally {
      await nats.server.stop();
    }
  });

  test('with NATS_URL, passes the given credentials on and mints node credentials only from an authority', async () => {
    const access = {
      kind: 'external',
      credsFile: '/etc/canopy/service.creds',
      authorityFile: undefined,
      credentialsDir: path.join(dataDir, 'creds'),
    } as const;
    expect(await serviceNatsEnv(access, 'scheduler')).toEqual({
      NATS_CREDS: '/etc/canopy/service.creds',
    });
    expect(await nodeNatsSettings(access, 'local-node')).toEqual({
      args: [],
      env: { NATS_CREDS: '' },
      authenticated: false,
    });
  });

  test('insecure mode passes no credentials', async () => {
    expect(await serviceNatsEnv({ kind: 'insecure' }, 'gateway')).toEqual({});
    expect((await nodeNatsSettings({ kind: 'insecure' }, 'local-node')).args).toEqual([]);
  });
});
