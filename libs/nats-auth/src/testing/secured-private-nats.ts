import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createNatsAuthority, saveNatsAuthority, type NatsAuthoritySecrets } from '../authority.js';
import {
  issueNodeCredentials,
  issueServiceCredentials,
  issueSystemCredentials,
  type IssuedCredentials,
  type PlatformService,
} from '../credentials.js';
import { startSecuredNats } from '../secured-nats.js';

/** Whom to mint credentials for: a platform service, the system account, or a node. */
export type CredentialsHolder = PlatformService | 'system' | { readonly nodeId: string };

export interface SecuredPrivateNats {
  readonly url: string;
  /** A fresh authority of this server alone. */
  readonly authority: NatsAuthoritySecrets;
  /** The authority saved to a file (mode 0600), for processes that read `NATS_AUTHORITY_FILE`. */
  readonly authorityFile: string;
  /** A scratch folder removed on stop, e.g. for `.creds` files. */
  readonly dataDir: string;
  credentialsFor(holder: CredentialsHolder): Promise<IssuedCredentials>;
  stop(): Promise<void>;
}

/** Mints credentials of the authority for whoever asks. */
export function credentialsIssuer(
  authority: NatsAuthoritySecrets,
): (holder: CredentialsHolder) => Promise<IssuedCredentials> {
  return (holder) =>
    holder === 'system'
      ? issueSystemCredentials(authority)
      : typeof holder === 'string'
        ? issueServiceCredentials(authority, holder)
        : issueNodeCredentials(authority, holder.nodeId);
}

/**
 * A nats-server of the test file's own (free port, temporary store) that enforces JWT
 * authentication with a fresh authority, as `npm start` runs it. Like `startPrivateNats`, for test
 * files that run schedulers, nodes or gateways. `monitorPort` turns on the server's HTTP monitoring.
 */
export async function startSecuredPrivateNats(
  options: { readonly monitorPort?: number } = {},
): Promise<SecuredPrivateNats> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'canopy-test-secured-nats-'));
  try {
    const authority = await createNatsAuthority();
    const authorityFile = path.join(dataDir, 'authority.json');
    await saveNatsAuthority(authorityFile, authority);
    const server = await startSecuredNats({ authority, dataDir, monitorPort: options.monitorPort });
    return {
      url: server.url,
      authority,
      authorityFile,
      dataDir,
      credentialsFor: credentialsIssuer(authority),
      stop: async () => {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
