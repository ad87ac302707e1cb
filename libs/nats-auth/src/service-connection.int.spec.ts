import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePort } from '@canopy/local-services/testing';
import { connect } from '@nats-io/transport-node';
import { createNatsAuthority } from './authority.js';
import { serviceConnectionOptions } from './connection-credentials.js';
import { issueServiceCredentials } from './credentials.js';
import { startSecuredNats } from './secured-nats.js';
import { startSecuredPrivateNats } from './testing/index.js';

// A service's first connection to NATS, as every service opens it: a server that is not up yet (or
// too busy to finish the handshake in time) is waited for; a server that refuses the credentials
// fails the start (after a second try: nats.js gives up on the same authorization error twice).

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-service-connection-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function credsFile(creds: string): Promise<string> {
  const file = path.join(dataDir, 'service.creds');
  await writeFile(file, creds, { mode: 0o600 });
  return file;
}

test('a service waits for a NATS server that is not up yet, and connects once it is', async () => {
  const authority = await createNatsAuthority();
  const port = await findFreePort();
  const NATS_CREDS = await credsFile((await issueServiceCredentials(authority, 'projector')).creds);
  const connecting = connect(
    await serviceConnectionOptions('canopy-test', {
      NATS_URL: `nats://127.0.0.1:${port}`,
      NATS_CREDS,
    }),
  );
  let outcome = 'waiting';
  connecting.then(
    () => (outcome = 'connected'),
    (error: unknown) => (outcome = `failed: ${String(error)}`),
  );
  // Nothing listens on the port: a connection that did not wait would have failed by now.
  await delay(500);
  expect(outcome).toBe('waiting');

  const server = await startSecuredNats({ authority, dataDir, port });
  try {
    const connection = await connecting;
    await connection.flush();
    expect(connection.isClosed()).toBe(false);
    await connection.close();
  } finally {
    await server.stop();
  }
});

test('a server that refuses the credentials fails the connection rather than being waited for', async () => {
  const nats = await startSecuredPrivateNats();
  try {
    const strangers = await createNatsAuthority();
    const NATS_CREDS = await credsFile(
      (await issueServiceCredentials(strangers, 'projector')).creds,
    );
    await expect(
      connect(await serviceConnectionOptions('canopy-test', { NATS_URL: nats.url, NATS_CREDS })),
    ).rejects.toThrow(/Authorization Violation/);
  } finally {
    await nats.stop();
  }
});
