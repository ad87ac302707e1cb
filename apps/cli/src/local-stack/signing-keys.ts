import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newSigningKeySet, parseSigningKeySet } from '@canopy/identity';
import type { SigningKeySet } from '@canopy/identity';

// The gateways' signing keys for a local stack: AUTH_SIGNING_KEYS (inline) or AUTH_SIGNING_KEYS_FILE
// when set, otherwise `<data dir>/auth-signing-keys.json`, generated once (mode 0600) so access
// tokens survive a restart. `canopy auth keys` edits the same file; the gateway reloads it.

export const LOCAL_SIGNING_KEYS_FILE = 'auth-signing-keys.json';

/** Where the key set lives when nothing is configured. */
export function signingKeysFile(dataDir: string, configured: string | undefined): string {
  return configured ?? path.join(dataDir, LOCAL_SIGNING_KEYS_FILE);
}

/** The gateway's signing key variables for a local stack; creates the local file when missing. */
export async function localSigningKeys(config: {
  readonly dataDir: string;
  readonly AUTH_SIGNING_KEYS?: string | undefined;
  readonly AUTH_SIGNING_KEYS_FILE?: string | undefined;
}): Promise<{ AUTH_SIGNING_KEYS: string } | { AUTH_SIGNING_KEYS_FILE: string }> {
  if (config.AUTH_SIGNING_KEYS !== undefined)
    return { AUTH_SIGNING_KEYS: config.AUTH_SIGNING_KEYS };
  if (config.AUTH_SIGNING_KEYS_FILE !== undefined)
    return { AUTH_SIGNING_KEYS_FILE: path.resolve(config.AUTH_SIGNING_KEYS_FILE) };
  const file = signingKeysFile(config.dataDir, undefined);
  if ((await readSigningKeys(file)) === null) await writeSigningKeys(file, newSigningKeySet());
  return { AUTH_SIGNING_KEYS_FILE: file };
}

/** The set in the file; null when there is no file. Throws when the file holds no valid set. */
export async function readSigningKeys(file: string): Promise<SigningKeySet | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return parseSigningKeySet(text);
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Replaces the file in one step (a new file renamed over it), so a gateway reloading it never reads
 * half a key set; readable by its owner only.
 */
export async function writeSigningKeys(file: string, set: SigningKeySet): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const next = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(next, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600 });
  await rename(next, file);
}
