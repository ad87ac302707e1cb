import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

// API keys: `cnpy_<accountId>_<keyId>_<secret><checksum>`, always 92 characters.
//   accountId - the account's 24 lower-case hex id, so a key names the stream to verify it against;
//   keyId     - 12 lower-case hex characters (6 random bytes), the key's id within its account;
//   secret    - 32 random bytes as base64url without padding (43 characters of A-Z a-z 0-9 _ -);
//   checksum  - CRC32 of everything before it, as 6 base62 characters (0-9 A-Z a-z), zero-padded.
// The fixed prefix and the checksum let a secret scanner find leaked keys with few false positives
// (a random match of the regex also has to get the CRC right), and let parseApiKey refuse a mistyped
// or truncated key without reading anything. node:zlib's crc32 is there from Node 20.15 on; the
// workspace needs 20.19.
// Only the SHA-256 of the secret's text (lower-case hex) is stored, as ApiKeyIssued.keyHash: the
// secret is 256 random bits, so a fast hash is enough (there is nothing to brute-force), and the plain
// key is shown once to whoever created it. The secret may itself contain "_": the format is parsed by
// position, never by splitting.

/** Matches exactly one whole API key; a secret scanner may drop the anchors. */
export const API_KEY_PATTERN =
  /^cnpy_([0-9a-f]{24})_([0-9a-f]{12})_([A-Za-z0-9_-]{43})([0-9A-Za-z]{6})$/;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_LENGTH = 6;

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
  const body = `cnpy_${accountId}_${keyId}_${secret}`;
  const key = `${body}${apiKeyChecksum(body)}`;
  if (parseApiKey(key) === null) throw new Error(`invalid account id for an API key: ${accountId}`);
  return { key, accountId, keyId, secret, keyHash: hashApiKeySecret(secret) };
}

/** The parts of a well-formed key with a correct checksum; null for anything else. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(key);
  if (match === null) return null;
  const [, accountId, keyId, secret, checksum] = match;
  if (accountId === undefined || keyId === undefined || secret === undefined) return null;
  if (checksum !== apiKeyChecksum(key.slice(0, -CHECKSUM_LENGTH))) return null;
  return { accountId, keyId, secret };
}

/** CRC32 of the key's text before the checksum, in base62, 6 characters (62^6 > 2^32). */
export function apiKeyChecksum(body: string): string {
  let value = crc32(body);
  let text = '';
  for (let index = 0; index < CHECKSUM_LENGTH; index += 1) {
    text = `${BASE62[value % 62] ?? ''}${text}`;
    value = Math.floor(value / 62);
  }
  return text;
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
