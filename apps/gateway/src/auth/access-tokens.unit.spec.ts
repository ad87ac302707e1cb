import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  activateSigningKey,
  addSigningKey,
  generateSigningKey,
  newSigningKeySet,
  retireSigningKey,
} from '@canopy/identity';
import type { SigningJwk, SigningKeySet } from '@canopy/identity';
import { SignJWT } from 'jose';
import { AccessTokens } from './access-tokens.js';
import { SigningKeys } from './signing-keys.js';

const caller = { accountId: '64057f3c9956fae80d7e0e84', keyId: 'a1b2c3d4e5f6' };
const options = { issuer: 'canopy', audience: 'canopy-api', ttlSeconds: 900 };
const at = (iso: string) => () => new Date(iso);
const decodePart = (token: string, index: number) =>
  JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

const privateKeyOf = ({ kty, crv, x, d }: SigningJwk): KeyObject =>
  createPrivateKey({ key: { kty, crv, x, d }, format: 'jwk' });

const set: SigningKeySet = newSigningKeySet();
const [signingJwk] = set.keys;
if (signingJwk === undefined) throw new Error('no key');
const keys = new SigningKeys(set);
const tokens = new AccessTokens(keys, options);

/** A token as the gateway would make it, with parts overridden. */
function craft(
  overrides: {
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
    key?: KeyObject | Uint8Array;
    drop?: string[];
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: 'canopy',
    aud: 'canopy-api',
    sub: caller.accountId,
    client_id: caller.keyId,
    iat: now,
    exp: now + 600,
    jti: 'b8f3c1e2-0000-4000-8000-000000000000',
    ...overrides.claims,
  };
  for (const name of overrides.drop ?? []) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: signingJwk?.kid,
      ...overrides.header,
    } as { alg: string })
    .sign(overrides.key ?? privateKeyOf(signingJwk as SigningJwk));
}

describe('access tokens', () => {
  test('a token names the caller until it expires, with 5 s of tolerance', async () => {
    const issuer = new AccessTokens(keys, options, at('2026-11-29T10:00:00Z'));
    const { accessToken, expiresIn } = await issuer.issue(caller);
    expect(expiresIn).toBe(900);
    const verifyAt = (iso: string) => new AccessTokens(keys, options, at(iso)).verify(accessToken);
    expect(await verifyAt('2026-11-29T10:14:59Z')).toEqual(caller);
    expect(await verifyAt('2026-11-29T10:15:04Z')).toEqual(caller);
    expect(await verifyAt('2026-11-29T10:15:05Z')).toBeNull();
  });

  test('a token verified once is remembered, but not past its expiry', async () => {
    let now = new Date('2026-11-29T10:00:00Z');
    const remembering = new AccessTokens(keys, options, () => now);
    const { accessToken } = await remembering.issue(caller);
    expect(await remembering.verify(accessToken)).toEqual(caller);
    now = new Date('2026-11-29T10:15:04Z');
    expect(await remembering.verify(accessToken)).toEqual(caller);
    now = new Date('2026-11-29T10:15:05Z');
    expect(await remembering.verify(accessToken)).toBeNull();
    // A forged token that differs from a remembered one by one character is checked, and refused.
    now = new Date('2026-11-29T10:00:01Z');
    expect(await remembering.verify(accessToken)).toEqual(caller);
    // The signature's first character carries six bits of it (its last only four: the rest is
    // padding, which a decoder may ignore, so changing it can leave the signature as it was).
    const signatureStart = accessToken.lastIndexOf('.') + 1;
    const changed = accessToken[signatureStart] === 'A' ? 'B' : 'A';
    const forged = `${accessToken.slice(0, signatureStart)}${changed}${accessToken.slice(signatureStart + 1)}`;
    expect(await remembering.verify(forged)).toBeNull();
  });

  test('is an RFC 9068 access token signed with EdDSA by the active key', async () => {
    const { accessToken } = await new AccessTokens(keys, { ...options, ttlSeconds: 60 }).issue(
      caller,
    );
    expect(decodePart(accessToken, 0)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: set.active });
    const payload = decodePart(accessToken, 1);
    expect(payload).toMatchObject({
      iss: 'canopy',
      aud: 'canopy-api',
      sub: caller.accountId,
      client_id: caller.keyId,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((payload['exp'] as number) - (payload['iat'] as number)).toBe(60);
    const second = await tokens.issue(caller);
    expect(decodePart(second.accessToken, 1)['jti']).not.toBe(payload['jti']);
  });

  test('a token crafted like ours verifies (so the refusals below are about their one change)', async () => {
    expect(await tokens.verify(await craft())).toEqual(caller);
  });

  test('an unsigned token (alg none) is refused', async () => {
    const valid = await craft();
    const header = Buffer.from(
      JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: signingJwk.kid }),
    ).toString('base64url');
    const payload = valid.split('.')[1] ?? '';
    expect(await tokens.verify(`${header}.${payload}.`)).toBeNull();
  });

  test('HS256 with the public key as the HMAC secret is refused', async () => {
    const publicKey = createPublicKey(privateKeyOf(signingJwk));
    const secrets = [
      Buffer.from(signingJwk.x, 'base64url'),
      new TextEncoder().encode(publicKey.export({ format: 'pem', type: 'spki' }).toString()),
      new TextEncoder().encode(signingJwk.x),
    ];
    for (const secret of secrets) {
      expect(
        await tokens.verify(await craft({ header: { alg: 'HS256' }, key: secret })),
      ).toBeNull();
    }
  });

  test('a token signed by a key outside the set, even under a known kid, is refused', async () => {
    const stranger = privateKeyOf(generateSigningKey());
    expect(await tokens.verify(await craft({ key: stranger }))).toBeNull();
  });

  test.each([
    ['another issuer', { claims: { iss: 'someone-else' } }],
    ['another audience', { claims: { aud: 'another-api' } }],
    ['type JWT', { header: { typ: 'JWT' } }],
    ['no type', { header: { typ: undefined } }],
    ['an unknown kid', { header: { kid: 'unknown-kid' } }],
    ['no kid', { header: { kid: undefined } }],
    ['an expiry 6 s ago', { claims: { exp: Math.floor(Date.now() / 1000) - 6 } }],
    ['no expiry', { drop: ['exp'] }],
    ['no jti', { drop: ['jti'] }],
    ['no client_id', { drop: ['client_id'] }],
    ['a subject that is not an account', { claims: { sub: 'admin' } }],
    ['a client_id that is not a key id', { claims: { client_id: 42 } }],
  ])('a token with %s is refused', async (_name, overrides) => {
    expect(await tokens.verify(await craft(overrides))).toBeNull();
  });

  test.each(['', 'garbage', 'a.b.c'])('%j is refused', async (token) => {
    expect(await tokens.verify(token)).toBeNull();
  });

  test('rotation: old tokens verify while their key is in the set, not after it is removed', async () => {
    const first = newSigningKeySet();
    const rotating = new SigningKeys(first);
    const rotatingTokens = new AccessTokens(rotating, options);
    const old = (await rotatingTokens.issue(caller)).accessToken;

    const next = generateSigningKey();
    rotating.replace(addSigningKey(first, next));
    // Published but not yet signing: new tokens still come from the old key.
    expect(decodePart((await rotatingTokens.issue(caller)).accessToken, 0)['kid']).toBe(
      first.active,
    );

    const activated = activateSigningKey(addSigningKey(first, next), next.kid);
    rotating.replace(activated);
    const fresh = (await rotatingTokens.issue(caller)).accessToken;
    expect(decodePart(fresh, 0)['kid']).toBe(next.kid);
    expect(await rotatingTokens.verify(old)).toEqual(caller);
    expect(await rotatingTokens.verify(fresh)).toEqual(caller);

    rotating.replace(retireSigningKey(activated, first.active ?? ''));
    expect(await rotatingTokens.verify(old)).toBeNull();
    expect(await rotatingTokens.verify(fresh)).toEqual(caller);
  });

  test('a set whose public half does not match its private half is refused', () => {
    const other = generateSigningKey();
    expect(() => new SigningKeys({ keys: [{ ...signingJwk, x: other.x }] })).toThrow(
      /not the public key/,
    );
  });
});
