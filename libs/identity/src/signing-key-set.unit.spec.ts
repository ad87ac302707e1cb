import {
  activateSigningKey,
  activeKid,
  addSigningKey,
  generateSigningKey,
  newSigningKeySet,
  parseSigningKeySet,
  publicJwks,
  retireSigningKey,
} from './signing-key-set.js';

describe('signing key sets', () => {
  test('a new set holds one active Ed25519 key and survives a JSON round trip', () => {
    const set = newSigningKeySet(new Date('2026-11-30T02:00:00Z'));
    expect(set.keys).toHaveLength(1);
    const [key] = set.keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(key?.kid).toMatch(/^20261130-[0-9a-f]{8}$/);
    expect(activeKid(set)).toBe(key?.kid);
    expect(parseSigningKeySet(JSON.stringify(set))).toEqual(set);
  });

  test('rotation: add (not active), activate, retire the old one', () => {
    const first = newSigningKeySet();
    const oldKid = activeKid(first);
    const next = generateSigningKey();
    const added = addSigningKey(first, next);
    expect(activeKid(added)).toBe(oldKid);
    expect(added.keys.map((key) => key.kid)).toEqual([oldKid, next.kid]);
    expect(() => retireSigningKey(added, oldKid)).toThrow(/active key/);
    const activated = activateSigningKey(added, next.kid);
    expect(activeKid(activated)).toBe(next.kid);
    const retired = retireSigningKey(activated, oldKid);
    expect(retired.keys.map((key) => key.kid)).toEqual([next.kid]);
    expect(() => addSigningKey(retired, next)).toThrow(/already/);
    expect(() => activateSigningKey(retired, oldKid)).toThrow(/no key/);
  });

  test('the published set holds public halves only', () => {
    const set = addSigningKey(newSigningKeySet(), generateSigningKey());
    const published = publicJwks(set);
    expect(published.keys).toHaveLength(2);
    for (const key of published.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    }
    expect(JSON.stringify(published)).not.toContain(set.keys[0]?.d ?? 'no key');
  });

  test.each([
    ['not JSON', '{', /not JSON/],
    ['no keys', '{"keys":[]}', /keys must hold at least one key/],
    ['an HMAC key', '{"keys":[{"kid":"a","kty":"oct","k":"c2VjcmV0"}]}', /keys\.0\.kty/],
    [
      'a key without its private half',
      () => {
        const { d: _d, ...publicOnly } = generateSigningKey();
        return JSON.stringify({ keys: [publicOnly] });
      },
      /keys\.0\.d/,
    ],
    [
      'two keys without active',
      () => JSON.stringify({ keys: [generateSigningKey(), generateSigningKey()] }),
      /active is required/,
    ],
    [
      'an active kid of no key',
      () => JSON.stringify({ active: 'nope', keys: [generateSigningKey()] }),
      /active names no key/,
    ],
    [
      'a kid twice',
      () => {
        const key = generateSigningKey();
        return JSON.stringify({ active: key.kid, keys: [key, key] });
      },
      /appears twice/,
    ],
  ])('a set with %s is refused', (_name, text, problem) => {
    const json = typeof text === 'string' ? text : text();
    expect(() => parseSigningKeySet(json)).toThrow(problem);
  });
});
