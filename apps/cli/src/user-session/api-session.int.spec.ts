import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openApiSession } from './api-session.js';
import { DEFAULT_API_URL, writeStoredConfig } from './user-config.js';
import type { UserEnvironment } from './user-config.js';

// Which API a user command talks to, and with which key: the order `canopy --help` and
// apps/cli/README.md give.

describe('the API a user command uses', () => {
  let directory: string;
  let configFile: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'canopy-api-session-'));
    configFile = path.join(directory, 'canopy', 'config.json');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const environment = (apiUrl?: string, apiKey?: string): UserEnvironment => ({
    apiUrl,
    apiKey,
    configFile,
  });

  test('--api-url, else CANOPY_API_URL, else the login, else the default', async () => {
    await writeStoredConfig(configFile, { apiUrl: 'http://login.example', apiKey: 'cnpy_stored' });
    const url = async (option: string | undefined, env: string | undefined) =>
      (await openApiSession(environment(env, 'cnpy_env'), option)).apiUrl;
    expect(await url('http://option.example', 'http://env.example')).toBe('http://option.example');
    expect(await url(undefined, 'http://env.example')).toBe('http://env.example');
    expect(await url(undefined, undefined)).toBe('http://login.example');
    await rm(configFile);
    expect(await url(undefined, undefined)).toBe(DEFAULT_API_URL);
  });

  test("the login's key goes only to the API it signed in to", async () => {
    await writeStoredConfig(configFile, { apiUrl: 'http://login.example', apiKey: 'cnpy_stored' });
    await expect(openApiSession(environment(), undefined)).resolves.toMatchObject({
      apiUrl: 'http://login.example',
    });
    await expect(openApiSession(environment('http://other.example'), undefined)).rejects.toThrow(
      'not signed in to http://other.example: run `canopy login` (or set CANOPY_API_KEY)',
    );
    await expect(
      openApiSession(environment('http://other.example', 'cnpy_env'), undefined),
    ).resolves.toMatchObject({ apiUrl: 'http://other.example' });
  });
});
