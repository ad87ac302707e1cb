import {
  activateSigningKey,
  activeKid,
  addSigningKey,
  generateSigningKey,
  newSigningKeySet,
  retireSigningKey,
} from '@canopy/identity';
import type { SigningKeySet } from '@canopy/identity';
import { readSigningKeys, signingKeysFile, writeSigningKeys } from '../local-stack/signing-keys.js';

export const authKeysHelp = `
Manages the Ed25519 key set that signs access tokens: AUTH_SIGNING_KEYS_FILE, or
<CANOPY_DATA_DIR>/auth-signing-keys.json. Running gateways reload the file when it changes.
Prints JSON; never a private key.

Rotation without downtime (apps/gateway/README.md):
  1. add            a new key: published in the JWKS, not signing yet
  2. wait at least 5 minutes (the JWKS cache max-age), then
     activate KID   the new key signs new tokens
  3. wait at least AUTH_TOKEN_TTL_SECONDS (900 s by default), then
     retire KID     the old key: tokens it signed stop verifying

Commands:
  init            create the file with one active key, unless it exists (for a deployment's
                  secret: AUTH_SIGNING_KEYS_FILE=infra/auth/signing-keys.json canopy auth keys init)
  list            the keys, which one is active
  add             generate a new key and add it to the set (not active)
  activate KID    make the key the one that signs
  retire KID      remove a key (never the active one)
  rotate          add + activate at once: only where nothing else verifies the tokens
                  (one gateway that reads the file, as with \`canopy start\`)`;

export interface AuthKeysInput {
  readonly command: string | undefined;
  readonly kid: string | undefined;
}

interface KeyListing {
  readonly file: string;
  readonly active: string;
  readonly keys: { kid: string; createdAt: string | null; active: boolean }[];
}

/** Runs one `auth keys` command on the key file; resolves with what to print. */
export async function runAuthKeys(
  config: { readonly dataDir: string; readonly AUTH_SIGNING_KEYS_FILE?: string | undefined },
  input: AuthKeysInput,
): Promise<KeyListing & { readonly added?: string }> {
  const file = signingKeysFile(config.dataDir, config.AUTH_SIGNING_KEYS_FILE);
  const existing = await readSigningKeys(file);
  if (input.command === 'init') {
    if (existing !== null) return listing(file, existing);
    const created = newSigningKeySet();
    await writeSigningKeys(file, created);
    return listing(file, created);
  }
  const current = existing;
  if (current === null) {
    throw new Error(
      `${file} does not exist: \`canopy auth keys init\` (or \`canopy start\`) creates it`,
    );
  }
  const kid = () => {
    if (input.kid === undefined) throw new Error(`auth keys ${input.command ?? ''} needs a KID`);
    return input.kid;
  };
  switch (input.command) {
    case 'list':
      return listing(file, current);
    case 'add': {
      const key = generateSigningKey();
      const next = addSigningKey(current, key);
      await writeSigningKeys(file, next);
      return { ...listing(file, next), added: key.kid };
    }
    case 'activate': {
      const next = activateSigningKey(current, kid());
      await writeSigningKeys(file, next);
      return listing(file, next);
    }
    case 'retire': {
      const next = retireSigningKey(current, kid());
      await writeSigningKeys(file, next);
      return listing(file, next);
    }
    case 'rotate': {
      const key = generateSigningKey();
      const next = activateSigningKey(addSigningKey(current, key), key.kid);
      await writeSigningKeys(file, next);
      return { ...listing(file, next), added: key.kid };
    }
    default:
      throw new Error(`unknown command "auth keys ${input.command ?? ''}"`);
  }
}

function listing(file: string, set: SigningKeySet): KeyListing {
  const active = activeKid(set);
  return {
    file,
    active,
    keys: set.keys.map((key) => ({
      kid: key.kid,
      createdAt: key.createdAt ?? null,
      active: key.kid === active,
    })),
  };
}
