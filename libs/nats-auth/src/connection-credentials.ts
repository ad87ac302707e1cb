import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type Authenticator } from '@nats-io/transport-node';
import { natsConnectionBehaviour, natsServers } from '@canopy/service-runtime';
import { describeCredentials } from './credentials.js';

/** Reads a `.creds` file, checking that it holds NATS user credentials; errors name the file, never its content. */
export async function readCredentialsFile(file: string): Promise<string> {
  let creds: string;
  try {
    creds = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`NATS credentials file ${file} cannot be read (${code ?? String(error)})`, {
      cause: error,
    });
  }
  try {
    describeCredentials(creds);
  } catch {
    throw new Error(`NATS credentials file ${file} does not hold NATS user credentials (.creds)`);
  }
  return creds;
}

/** The authenticator of a connection that presents these `.creds` (user JWT and seed). */
export function credentialsAuthenticator(creds: string): Authenticator {
  return credsAuthenticator(new TextEncoder().encode(creds));
}

/**
 * Connection options that authenticate with the `.creds` file at `file` (typically `NATS_CREDS`);
 * none when `file` is undefined, for a server without authentication.
 */
export async function natsCredentialsOptions(
  file: string | undefined,
): Promise<{ authenticator?: Authenticator }> {
  if (file === undefined) return {};
  return { authenticator: credentialsAuthenticator(await readCredentialsFile(file)) };
}

/**
 * How a Canopy service connects to NATS: the servers of `NATS_URL`, the connection's name, the
 * reconnect behaviour every service shares, and the credentials of `NATS_CREDS` when it is set.
 */
export async function serviceConnectionOptions(
  name: string,
  config: { readonly NATS_URL: string; readonly NATS_CREDS?: string | undefined },
) {
  return {
    servers: natsServers(config.NATS_URL),
    name,
    ...natsConnectionBehaviour,
    ...(await natsCredentialsOptions(config.NATS_CREDS)),
  };
}
