import { rm } from 'node:fs/promises';
import { CanopyClient } from '@canopy/client';
import type { AccessToken } from '@canopy/client';
import { ExitCode, ExitError } from '../exit-codes.js';
import { DEFAULT_API_URL, readStoredConfig, writeStoredConfig } from './user-config.js';
import type { StoredConfig, UserEnvironment } from './user-config.js';

export interface ApiSession {
  readonly apiUrl: string;
  readonly client: CanopyClient;
}

/**
 * A client of the API for a user command: the URL from `--api-url`, CANOPY_API_URL or the login,
 * the API key from CANOPY_API_KEY or the login. A token the login kept is used while valid; a new
 * one is kept in its place when the stored key had to be exchanged again.
 */
export async function openApiSession(
  environment: UserEnvironment,
  apiUrlOption: string | undefined,
): Promise<ApiSession> {
  const stored = await readStoredConfig(environment.configFile);
  const apiUrl = apiUrlOption ?? environment.apiUrl ?? stored?.apiUrl ?? DEFAULT_API_URL;
  // What the login kept belongs to the API it signed in to, and only to that one.
  const login = stored !== undefined && sameUrl(stored.apiUrl, apiUrl) ? stored : undefined;
  const apiKey = environment.apiKey ?? login?.apiKey;
  if (apiKey === undefined) {
    throw new ExitError(
      ExitCode.unauthorized,
      `not signed in to ${apiUrl}: run \`canopy login\` (or set CANOPY_API_KEY)`,
    );
  }
  const usesStoredKey = login !== undefined && apiKey === login.apiKey;
  const client = new CanopyClient({
    baseUrl: apiUrl,
    apiKey,
    accessToken: usesStoredKey ? login.accessToken : undefined,
    onAccessToken: usesStoredKey
      ? (token: AccessToken) => keepToken(environment.configFile, login, token)
      : undefined,
  });
  return { apiUrl, client };
}

/** Signs in with the key and keeps URL, key and token for the next commands. */
export async function signIn(
  environment: UserEnvironment,
  apiUrl: string,
  apiKey: string,
): Promise<AccessToken> {
  const client = new CanopyClient({ baseUrl: apiUrl, apiKey });
  const accessToken = await client.signIn();
  await writeStoredConfig(environment.configFile, { apiUrl, apiKey, accessToken });
  return accessToken;
}

/** Forgets the login: removes the file with the key and the token. False when there was none. */
export async function signOut(environment: UserEnvironment): Promise<boolean> {
  const stored = await readStoredConfig(environment.configFile);
  if (stored === undefined) return false;
  await rm(environment.configFile, { force: true });
  return true;
}

export function resolveApiUrl(
  environment: UserEnvironment,
  apiUrlOption: string | undefined,
): string {
  return apiUrlOption ?? environment.apiUrl ?? DEFAULT_API_URL;
}

async function keepToken(file: string, login: StoredConfig, token: AccessToken): Promise<void> {
  await writeStoredConfig(file, { ...login, accessToken: token });
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
