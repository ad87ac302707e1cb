import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '@canopy/service-runtime';

// What `canopy login` keeps for the user commands: the API's URL, the API key (to get a new access
// token when one expires) and the current token. One JSON file of mode 0600 in the user's config
// directory ($XDG_CONFIG_HOME/canopy/config.json, else ~/.config/canopy/config.json).

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

const storedConfigSchema = z.object({
  apiUrl: z.url(),
  apiKey: z.string().min(1),
  accessToken: z.object({ token: z.string().min(1), expiresAt: z.number() }).optional(),
});

export type StoredConfig = z.infer<typeof storedConfigSchema>;

/** What the user commands read from the environment, once. */
export interface UserEnvironment {
  /** CANOPY_API_URL: the API to use instead of the one `canopy login` kept. */
  readonly apiUrl: string | undefined;
  /** CANOPY_API_KEY: an API key to use instead of the one `canopy login` kept. */
  readonly apiKey: string | undefined;
  readonly configFile: string;
}

export function readUserEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): UserEnvironment {
  const configHome =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : path.join(os.homedir(), '.config');
  const nonEmpty = (value: string | undefined) => (value === '' ? undefined : value);
  return {
    apiUrl: nonEmpty(env['CANOPY_API_URL']),
    apiKey: nonEmpty(env['CANOPY_API_KEY']),
    configFile: path.join(configHome, 'canopy', 'config.json'),
  };
}

/** The stored configuration, or undefined when there is none. */
export async function readStoredConfig(file: string): Promise<StoredConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigurationError([`${file} is not JSON: run \`canopy login\` again`]);
  }
  const parsed = storedConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigurationError([
      `${file} is not a canopy configuration: run \`canopy login\` again`,
    ]);
  }
  return parsed.data;
}

/** Writes the configuration readable by its owner only, replacing the file in one step. */
export async function writeStoredConfig(file: string, config: StoredConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
