import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type Authenticator } from '@nats-io/transport-node';
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
