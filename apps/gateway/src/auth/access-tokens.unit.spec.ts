import { SignJWT } from 'jose';
import { AccessTokens } from './access-tokens.js';

const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const caller = { accountId: '64057f3c9956fae80d7e0e84', keyId: 'a1b2c3d4e5f6' };
const at = (iso: string) => () => new Date(iso);

describe('access tokens', () => {
  test('a token names the caller until it expires', async () => {
    const issuer = new AccessTokens(secret, 900, at('2026-11-29T10:00:00Z'));
    const { accessToken, expiresIn } = await issuer.issue(caller);
    expect(expiresIn).toBe(900);
    expect(accessToken.split('.')).toHaveLength(3);

    expect(
      await new AccessTokens(secret, 900, at('2026-11-29T10:14:59Z')).verify(accessToken),
    ).toEqual(caller);
    expect(
      await new AccessTokens(secret, 900, at('2026-11-29T10:15:00Z')).verify(accessToken),
    ).toBeNull();
  });

  test('carries the issuer, the account as subject and the key as kid', async () => {
    const { accessToken } = await new AccessTokens(secret, 60).issue(caller);
    const [header, payload] = accessToken
      .split('.')
      .slice(0, 2)
      .map(
        (part) =>
          JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
      );
    expect(header).toMatchObject({ alg: 'HS256', kid: caller.keyId });
    expect(payload).toMatchObject({ iss: 'canopy', sub: caller.accountId });
    expect((payload?.['exp'] as number) - (payload?.['iat'] as number)).toBe(60);
  });

  test('a token signed with another secret is refused', async () => {
    const other = new TextEncoder().encode('another secret of at least 32 bytes!');
    const { accessToken } = await new AccessTokens(other, 900).issue(caller);
    expect(await new AccessTokens(secret, 900).verify(accessToken)).toBeNull();
  });

  test('a token from another issuer is refused', async () => {
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: caller.keyId })
      .setIssuer('someone-else')
      .setSubject(caller.accountId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    expect(await new AccessTokens(secret, 900).verify(foreign)).toBeNull();
  });

  test('a token without expiry or with a subject that is not an account is refused', async () => {
    const forever = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: caller.keyId })
      .setIssuer('canopy')
      .setSubject(caller.accountId)
      .setIssuedAt()
      .sign(secret);
    const notAnAccount = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: caller.keyId })
      .setIssuer('canopy')
      .setSubject('admin')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    const tokens = new AccessTokens(secret, 900);
    expect(await tokens.verify(forever)).toBeNull();
    expect(await tokens.verify(notAnAccount)).toBeNull();
  });

  test('an unsigned token is refused', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: caller.keyId })).toString(
      'base64url',
    );
    const payload = Buffer.from(
      JSON.stringify({ iss: 'canopy', sub: caller.accountId, iat: 0, exp: 4102444800 }),
    ).toString('base64url');
    expect(await new AccessTokens(secret, 900).verify(`${header}.${payload}.`)).toBeNull();
  });

  test.each(['', 'garbage', 'a.b.c'])('%j is refused', async (token) => {
    expect(await new AccessTokens(secret, 900).verify(token)).toBeNull();
  });
});
