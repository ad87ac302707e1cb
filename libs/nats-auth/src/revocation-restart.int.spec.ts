import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '@canopy/local-services/testing';
import { connect } from '@nats-io/transport-node';
import { createNatsAuthority } from './authority.js';
import { credentialsAuthenticator } from './connection-credentials.js';
import { issueNodeCredentials } from './credentials.js';
import { openNodeCredentialRevocations } from './revocations.js';
import { startSecuredNats } from './secured-nats.js';

// The server is configured afresh at every start, preloading the authority's first account JWT; the
// revocations published since must still win, or restarting NATS would let disabled nodes back in.

test('a revocation survives a restart of the server, and so does lifting it', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-nats-restart-'));
  const port = await findFreePort();
  const authority = await createNatsAuthority();
  const revoked = await issueNodeCredentials(authority, 'n-revoked');
  const connects = async (url: string) => {
    try {
      const connection = await connect({
        servers: url,
        authenticator: credentialsAuthenticator(revoked.creds),
      });
      await connection.close();
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const restart = async (change: (url: string) => Promise<void>) => {
    const server = await startSecuredNats({ authority, dataDir, port });
    try {
      await change(server.url);
    } finally {
      await server.stop();
    }
    return startSecuredNats({ authority, dataDir, port });
  };
  try {
    const revokeThenRestart = await restart(async (url) => {
      const { revocations, close } = await openNodeCredentialRevocations({
        servers: url,
        authority,
      });
      await revocations.apply({ [revoked.publicKey]: Math.floor(Date.now() / 1000) });
      await close();
    });
    try {
      expect(await connects(revokeThenRestart.url)).toMatch(/Authorization Violation/);
      const { revocations, close } = await openNodeCredentialRevocations({
        servers: revokeThenRestart.url,
        authority,
      });
      await revocations.apply({});
      await close();
    } finally {
      await revokeThenRestart.stop();
    }
    const afterLifting = await startSecuredNats({ authority, dataDir, port });
    try {
      expect(await connects(afterLifting.url)).toBe('connected');
    } finally {
      await afterLifting.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
