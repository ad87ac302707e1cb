import { crc32 } from 'node:zlib';
import {
  API_KEY_PATTERN,
  apiKeyChecksum,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
  secretMatches,
} from './api-key.js';

const accountId = '64057f3c9956fae80d7e0e84';
const withChecksum = (body: string) => `${body}${apiKeyChecksum(body)}`;
const aKey = (secret = 'a'.repeat(43), keyId = 'a1b2c3d4e5f6') =>
  withChecksum(`cnpy_${accountId}_${keyId}_${secret}`);

describe('API keys', () => {
  test('a generated key has the documented format and parses back to its parts', () => {
    const generated = generateApiKey(accountId);
    expect(generated.key).toMatch(
      /^cnpy_64057f3c9956fae80d7e0e84_[0-9a-f]{12}_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}$/,
    );
    expect(generated.key).toHaveLength(92);
    expect(generated.key).toMatch(API_KEY_PATTERN);
    expect(Buffer.from(generated.secret, 'base64url')).toHaveLength(32);
    expect(parseApiKey(generated.key)).toEqual({
      accountId,
      keyId: generated.keyId,
      secret: generated.secret,
    });
    expect(generated.keyHash).toBe(hashApiKeySecret(generated.secret));
    expect(generated.keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the checksum is the CRC32 of the text before it, 6 base62 digits', () => {
    // crc32("") = 0; crc32("123456789") = 0xCBF43926, the CRC-32 check value.
    expect(apiKeyChecksum('')).toBe('000000');
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(apiKeyChecksum('123456789')).toBe('3jZRME');
  });

  test('two keys never share an id or a secret', () => {
    const first = generateApiKey(accountId);
    const second = generateApiKey(accountId);
    expect(first.keyId).not.toBe(second.keyId);
    expect(first.secret).not.toBe(second.secret);
  });

  test('a secret containing "_" is parsed by position', () => {
    const secret = `${'_'.repeat(10)}${'a'.repeat(33)}`;
    expect(parseApiKey(aKey(secret))).toEqual({ accountId, keyId: 'a1b2c3d4e5f6', secret });
  });

  test('a key with one character changed fails its checksum', () => {
    const { key } = generateApiKey(accountId);
    for (const index of [0, 10, 40, 60, 85, 91]) {
      const original = key[index] ?? '';
      const replacement = original === 'a' ? 'b' : 'a';
      const changed = `${key.slice(0, index)}${replacement}${key.slice(index + 1)}`;
      expect(parseApiKey(changed)).toBeNull();
    }
  });

  test('the stored hash is the SHA-256 of the secret text', () => {
    // echo -n abc | sha256sum
    expect(hashApiKeySecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test.each([
    ['an empty text', ''],
    ['another prefix', withChecksum(`key_${accountId}_a1b2c3d4e5f6_${'a'.repeat(43)}`)],
    [
      'an upper-case account id',
      withChecksum(`cnpy_${accountId.toUpperCase()}_a1b2c3d4e5f6_${'a'.repeat(43)}`),
    ],
    ['a short key id', aKey('a'.repeat(43), 'a1b2c3')],
    ['a short secret', aKey('a'.repeat(42))],
    ['a long secret', aKey('a'.repeat(44))],
    ['padding', aKey(`${'a'.repeat(42)}=`)],
    ['standard base64 characters', aKey(`${'a'.repeat(42)}+`)],
    ['surrounding spaces', ` ${aKey()}`],
    ['no checksum', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(43)}`],
    ['a wrong checksum', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(43)}000000`],
  ])('%s is not a key', (_name, key) => {
    expect(parseApiKey(key)).toBeNull();
  });

  test('verification accepts only the secret the hash was made from', () => {
    const { secret, keyHash } = generateApiKey(accountId);
    expect(secretMatches(secret, keyHash)).toBe(true);
    expect(
      secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, keyHash),
    ).toBe(false);
    expect(secretMatches(secret, 'f'.repeat(64))).toBe(false);
    expect(secretMatches(secret, 'not hex')).toBe(false);
  });
});
