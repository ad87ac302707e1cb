import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAccount, createOperator, encodeOperator } from '@nats-io/jwt';
import { z } from 'zod';
import { encodeCanopyAccount, encodeSystemAccount } from './account-claims.js';
import { keyPair, seedText, type AuthoritySeeds } from './authority-keys.js';

/** Name of the account every platform service and every node is a user of. */
export const CANOPY_ACCOUNT_NAME = 'CANOPY';
export const SYSTEM_ACCOUNT_NAME = 'SYS';
export const OPERATOR_NAME = 'canopy';

/**
 * The root of trust of a Canopy NATS deployment: the seeds that sign operator, account and user
 * JWTs, and the account JWTs the server is first loaded with. Whoever holds it can mint credentials
 * for anything, so it lives in a file of mode 0600 and is read only by the services that mint or
 * revoke credentials.
 *
 * The first account JWTs are kept rather than re-encoded at each start: the server keeps the newest
 * JWT of an account (by issue time), so a fresh copy preloaded at start would undo revocations.
 */
export interface NatsAuthoritySecrets extends AuthoritySeeds {
  readonly format: typeof AUTHORITY_FORMAT;
  readonly operatorJwt: string;
  readonly systemAccountJwt: string;
  readonly accountJwt: string;
}

const AUTHORITY_FORMAT = 'canopy-nats-authority/1';

/** A file that should hold a NATS authority but does not (unreadable JSON, missing or wrong keys). */
export class NatsAuthorityFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`NATS authority file ${file} is not usable: ${problem}`);
    this.name = 'NatsAuthorityFileError';
  }
}

/** Creates new operator, system account, CANOPY account and account signing keys. */
export async function createNatsAuthority(): Promise<NatsAuthoritySecrets> {
  const operator = createOperator();
  const systemAccount = createAccount();
  const account = createAccount();
  const signingKey = createAccount();
  const seeds = {
    operatorSeed: seedText(operator),
    systemAccountSeed: seedText(systemAccount),
    accountSeed: seedText(account),
    accountSigningKeySeed: seedText(signingKey),
  };
  return {
    format: AUTHORITY_FORMAT,
    ...seeds,
    operatorJwt: await encodeOperator(OPERATOR_NAME, operator, {
      system_account: systemAccount.getPublicKey(),
    }),
    systemAccountJwt: await encodeSystemAccount(seeds),
    accountJwt: await encodeCanopyAccount(seeds, {}),
  };
}

/** Writes the authority to `file` (mode 0600), creating its folder. */
export async function saveNatsAuthority(
  file: string,
  authority: NatsAuthoritySecrets,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(authority, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(file, 0o600);
}

/** Reads an authority written by {@link saveNatsAuthority}; a {@link NatsAuthorityFileError} names the file otherwise. */
export async function loadNatsAuthority(file: string): Promise<NatsAuthoritySecrets> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NatsAuthorityFileError(
      file,
      code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code ?? String(error)})`,
    );
  }
  return parseNatsAuthority(text, file);
}

/** The authority in `file`, created and saved first when the file does not exist yet. */
export async function loadOrCreateNatsAuthority(file: string): Promise<NatsAuthoritySecrets> {
  try {
    await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const authority = await createNatsAuthority();
    await saveNatsAuthority(file, authority);
    return authority;
  }
  return loadNatsAuthority(file);
}

/** Checks an authority's JSON text; `source` names where it came from in errors. */
export function parseNatsAuthority(text: string, source: string): NatsAuthoritySecrets {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NatsAuthorityFileError(source, `it is not JSON (${(error as Error).message})`);
  }
  const parsed = authoritySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new NatsAuthorityFileError(
      source,
      `${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** A seed string of the given kind (`O` operator, `A` account), checked by decoding it. */
function seed(kind: 'O' | 'A') {
  return z.string().refine(
    (value) => {
      try {
        return keyPair(value).getPublicKey().startsWith(kind);
      } catch {
        return false;
      }
    },
    { message: `must be an ${kind === 'O' ? 'operator' : 'account'} nkey seed (S${kind}...)` },
  );
}

const jwt = z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'must be a JWT');

const authoritySchema = z.object({
  format: z.literal(AUTHORITY_FORMAT),
  operatorSeed: seed('O'),
  systemAccountSeed: seed('A'),
  accountSeed: seed('A'),
  accountSigningKeySeed: seed('A'),
  operatorJwt: jwt,
  systemAccountJwt: jwt,
  accountJwt: jwt,
});
