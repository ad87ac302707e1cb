import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The gateways' token signing secret for a local stack: AUTH_TOKEN_SECRET when set, otherwise one
 * generated once and kept in the data dir (mode 0600), so access tokens survive a restart.
 */
export async function localTokenSecret(
  dataDir: string,
  configured: string | undefined,
): Promise<string> {
  if (configured !== undefined) return configured;
  const file = path.join(dataDir, 'auth-token-secret');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
