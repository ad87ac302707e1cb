import { generateApiKey, hashApiKeySecret, parseApiKey, secretMatches } from './api-key.js';

const accountId = '64057f3c9956fae80d7e0e84';

describe('API keys', () => {
  test('a generated key has the documented format and parses back to its parts', () => {
    const generated = generateApiKey(accountId);
    expect(generated.key).toMatch(/^cnpy_64057f3c9956fae80d7e0e84_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(generated.secret, 'base64url')).toHaveLength(32);
    expect(parseApiKey(generated.key)).toEqual({
      accountId,
      keyId: generated.keyId,
      secret: generated.secret,
    });
    expect(generated.keyHash).toBe(hashApiKeySecret(generated.secret));
    expect(generated.keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('two keys never share an id or a secret', () => {
    const first = generateApiKey(accountId);
    const second = generateApiKey(accountId);
    expect(first.keyId).not.toBe(second.keyId);
    expect(first.secret).not.toBe(second.secret);
  });

  test('a secret containing "_" is parsed by position', () => {
    const secret = `${'_'.repeat(10)}${'a'.repeat(33)}`;
    expect(parseApiKey(`cnpy_${accountId}_a1b2c3d4e5f6_${secret}`)).toEqual({
      accountId,
      keyId: 'a1b2c3d4e5f6',
      secret,
    });
  });

  test('the stored hash is the SHA-256 of the secret text', () => {
    // echo -n abc | sha256sum
    expect(hashApiKeySecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test.each([
    ['an empty text', ''],
    ['another prefix', `key_${accountId}_a1b2c3d4e5f6_${'a'.repeat(43)}`],
    ['an upper-case account id', `cnpy_${accountId.toUpperCase()}_a1b2c3d4e5f6_${'a'.repeat(43)}`],
    ['a short key id', `cnpy_${accountId}_a1b2c3_${'a'.repeat(43)}`],
    ['a short secret', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(42)}`],
    ['a long secret', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(44)}`],
    ['padding', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(42)}=`],
    ['standard base64 characters', `cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(42)}+`],
    ['surrounding spaces', ` cnpy_${accountId}_a1b2c3d4e5f6_${'a'.repeat(43)}`],
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
