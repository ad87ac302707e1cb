import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureNats, type LocalServicesLogger, type RunningService } from '@canopy/local-services';
import {
  issueNodeCredentials,
  issueServiceCredentials,
  loadNatsAuthority,
  loadOrCreateNatsAuthority,
  startSecuredNats,
  type NatsAuthoritySecrets,
  type PlatformService,
} from '@canopy/nats-auth';

/** Port of the secured NATS that `canopy start` spawns: beside, not on, a machine's usual 4222. */
export const SECURED_NATS_PORT = 4223;

/** How the processes of a local stack reach NATS. */
export type LocalNatsAccess =
  /** NATS_URL was given: its NATS_CREDS / NATS_AUTHORITY_FILE (if any) are passed on as they are. */
  | {
      readonly kind: 'external';
      readonly credsFile: string | undefined;
      readonly authorityFile: string | undefined;
      readonly credentialsDir: string;
    }
  /** A server without authentication, asked for explicitly. */
  | { readonly kind: 'insecure' }
  /** Our own server enforcing the authority in `authorityFile`; credentials are minted into `credentialsDir`. */
  | {
      readonly kind: 'secured';
      readonly authority: NatsAuthoritySecrets;
      readonly authorityFile: string;
      readonly credentialsDir: string;
    };

export interface LocalNats {
  readonly server: RunningService;
  readonly access: LocalNatsAccess;
}

export interface LocalNatsOptions {
  readonly natsUrl: string | undefined;
  readonly credsFile: string | undefined;
  readonly authorityFile: string | undefined;
  readonly insecure: boolean;
  /** Port of the secured server; exactly this one when given, else {@link SECURED_NATS_PORT} or a free one. */
  readonly securedPort: number | undefined;
  readonly dataDir: string;
  readonly logger: LocalServicesLogger;
}

/**
 * NATS for a local stack: NATS_URL as it is when set; else, in insecure mode, the local server or a
 * spawned `nats-server -js` as before; else (the default) a nats-server of our own that enforces JWT
 * authentication with the authority kept in `<dataDir>/nats/authority.json` (created once).
 */
export async function provideLocalNats(options: LocalNatsOptions): Promise<LocalNats> {
  if (options.natsUrl !== undefined) {
    const server = await ensureNats({ url: options.natsUrl, logger: options.logger });
    return {
      server,
      access: {
        kind: 'external',
        credsFile: options.credsFile,
        authorityFile: options.authorityFile,
        credentialsDir: path.join(options.dataDir, 'nats', 'creds'),
      },
    };
  }
  if (options.insecure) {
    options.logger.warn(
      'NATS runs WITHOUT authentication (insecure mode): any local process can act as any node or service',
    );
    const server = await ensureNats({ dataDir: options.dataDir, logger: options.logger });
    return { server, access: { kind: 'insecure' } };
  }
  const natsDir = path.join(options.dataDir, 'nats');
  const authorityFile = options.authorityFile ?? path.join(natsDir, 'authority.json');
  const authority = await loadOrCreateNatsAuthority(authorityFile);
  const server = await startSecuredNats({
    authority,
    dataDir: options.dataDir,
    ...(options.securedPort === undefined
      ? { preferredPort: SECURED_NATS_PORT }
      : { port: options.securedPort }),
    logger: options.logger,
  });
  return {
    server,
    access: {
      kind: 'secured',
      authority,
      authorityFile,
      credentialsDir: path.join(natsDir, 'creds'),
    },
  };
}

/**
 * The NATS variables of one platform service: its own freshly minted credentials file when the
 * stack runs its secured server (and the authority file for the services that mint or revoke node
 * credentials), the given ones for an external server, none in insecure mode.
 */
export async function serviceNatsEnv(
  access: LocalNatsAccess,
  service: PlatformService,
): Promise<Record<string, string>> {
  switch (access.kind) {
    case 'insecure':
      return {};
    case 'external':
      return {
        ...(access.credsFile === undefined ? {} : { NATS_CREDS: access.credsFile }),
        ...(access.authorityFile === undefined
          ? {}
          : { NATS_AUTHORITY_FILE: access.authorityFile }),
      };
    case 'secured': {
      const { creds } = await issueServiceCredentials(access.authority, service);
      const file = await writeCredentials(access.credentialsDir, `${service}.creds`, creds);
      const mintsNodeCredentials = service === 'gateway' || service === 'scheduler';
      return {
        NATS_CREDS: file,
        ...(mintsNodeCredentials ? { NATS_AUTHORITY_FILE: access.authorityFile } : {}),
      };
    }
    default: {
      const unknown: never = access;
      throw new Error(`unknown NATS access ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * How a node agent run by the stack authenticates: `--nats-creds` with credentials of its own when
 * an authority is at hand (the stack's, or NATS_AUTHORITY_FILE with NATS_URL); never the services'
 * NATS_CREDS, which a node could not use.
 */
export async function nodeNatsSettings(
  access: LocalNatsAccess,
  nodeId: string,
): Promise<{ args: string[]; env: Record<string, string>; authenticated: boolean }> {
  const withoutServiceCreds = { NATS_CREDS: '' };
  const authority =
    access.kind === 'secured'
      ? access.authority
      : access.kind === 'external' && access.authorityFile !== undefined
        ? await loadNatsAuthority(access.authorityFile)
        : undefined;
  if (authority === undefined || access.kind === 'insecure') {
    return { args: [], env: withoutServiceCreds, authenticated: false };
  }
  const { creds } = await issueNodeCredentials(authority, nodeId);
  const file = await writeCredentials(access.credentialsDir, `node-${nodeId}.creds`, creds);
  return { args: ['--nats-creds', file], env: withoutServiceCreds, authenticated: true };
}

async function writeCredentials(dir: string, name: string, creds: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  await writeFile(file, creds, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
