import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// API keys: `cnpy_<accountId>_<keyId>_<secret>`.
//   accountId - the account's 24 lower-case hex id, so a key names the stream to verify it against;
//   keyId     - 12 lower-case hex characters (6 random bytes), the key's id within its account;
//   secret    - 32 random bytes as base64url without padding (43 characters of A-Z a-z 0-9 _ -).
// Only the SHA-256 of the secret's text (lower-case hex) is stored, as ApiKeyIssued.keyHash: the
// secret is 256 random bits, so a fast hash is enough (there is nothing to brute-force), and the plain
// key is shown once to whoever created it. The secret may itself contain "_": the format is parsed by
// position, never by splitting.

const API_KEY = /^cnpy_([0-9a-f]{24})_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  readonly accountId: string;
  readonly keyId: string;
  readonly secret: string;
}

export interface GeneratedApiKey extends ParsedApiKey {
  /** The whole key, to hand to its owner once. */
  readonly key: string;
  /** What the account stores: SHA-256 of the secret, lower-case hex. */
  readonly keyHash: string;
}

/** A new random key of the account. */
export function generateApiKey(accountId: string): GeneratedApiKey {
  const keyId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `cnpy_${accountId}_${keyId}_${secret}`;
  if (parseApiKey(key) === null) throw new Error(`invalid account id for an API key: ${accountId}`);
  return { key, accountId, keyId, secret, keyHash: hashApiKeySecret(secret) };
}

/** The parts of a well-formed key; null for anything else. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const match = API_KEY.exec(key);
  if (match === null) return null;
  const [, accountId, keyId, secret] = match;
  if (accountId === undefined || keyId === undefined || secret === undefined) return null;
  return { accountId, keyId, secret };
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether the secret hashes to the stored hash, compared in constant time. */
export function secretMatches(secret: string, keyHash: string): boolean {
  const expected = Buffer.from(keyHash, 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
