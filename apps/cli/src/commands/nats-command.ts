import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  issueNodeCredentials,
  issueServiceCredentials,
  issueSystemCredentials,
  loadNatsAuthority,
  loadOrCreateNatsAuthority,
  natsServerConfig,
  platformServices,
  type NatsAuthoritySecrets,
  type PlatformService,
} from '@canopy/nats-auth';

export const natsHelp = `
NATS runs with JWT authentication: an operator trusts one account (CANOPY) whose users are the
platform services and the nodes, each allowed only its own subjects. The authority (the keys that
sign it all) lives in one file of mode 0600; keep it secret and back it up.

  canopy nats init [--out DIR] [--host H] [--port P] [--store-dir D] [--monitor-port M]
      Creates (once) DIR/authority.json and writes DIR/server.conf (for nats-server -c) and
      DIR/creds/<service>.creds for gateway, scheduler, projector and cli. Defaults suit the
      docker-compose.yml: DIR infra/nats, host 0.0.0.0, port 4222, store dir /data, monitor 8222.
      Run it again to refresh the configuration and the services' credentials; the authority stays.

  canopy nats creds (--node ID | --service NAME | --system) [--authority FILE]
      Prints new credentials (.creds text) from the authority (default NATS_AUTHORITY_FILE, else
      <CANOPY_DATA_DIR>/nats/authority.json): a node's (its id is the user's name), a service's
      (${platformServices.join(', ')}), or a system account user's (account updates, monitoring).`;

export interface NatsInitOptions {
  readonly outDir: string;
  readonly host: string;
  readonly port: number;
  readonly storeDir: string;
  readonly monitorPort: number | undefined;
}

/** Writes authority (once), server configuration and service credentials; returns what was written. */
export async function natsInit(options: NatsInitOptions): Promise<{ files: string[] }> {
  const outDir = path.resolve(options.outDir);
  const authorityFile = path.join(outDir, 'authority.json');
  const authority = await loadOrCreateNatsAuthority(authorityFile);
  const configFile = path.join(outDir, 'server.conf');
  await writePrivate(
    configFile,
    natsServerConfig(authority, {
      host: options.host,
      port: options.port,
      storeDir: options.storeDir,
      resolverDir: path.posix.join(options.storeDir, 'accounts'),
      ...(options.monitorPort === undefined ? {} : { monitorPort: options.monitorPort }),
    }),
  );
  const files = [authorityFile, configFile];
  for (const service of platformServices) {
    const file = path.join(outDir, 'creds', `${service}.creds`);
    await writePrivate(file, (await issueServiceCredentials(authority, service)).creds);
    files.push(file);
  }
  return { files };
}

export type CredentialsSubject =
  | { readonly kind: 'node'; readonly nodeId: string }
  | { readonly kind: 'service'; readonly service: PlatformService }
  | { readonly kind: 'system' };

/** New credentials for `subject` from the authority in `authorityFile`. */
export async function natsCreds(
  authorityFile: string,
  subject: CredentialsSubject,
): Promise<string> {
  const authority: NatsAuthoritySecrets = await loadNatsAuthority(authorityFile);
  switch (subject.kind) {
    case 'node':
      return (await issueNodeCredentials(authority, subject.nodeId)).creds;
    case 'service':
      return (await issueServiceCredentials(authority, subject.service)).creds;
    case 'system':
      return (await issueSystemCredentials(authority)).creds;
    default: {
      const unknown: never = subject;
      throw new Error(`unknown credentials subject ${JSON.stringify(unknown)}`);
    }
  }
}

export function isPlatformService(name: string): name is PlatformService {
  return platformServices.some((service) => service === name);
}

async function writePrivate(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}
