import { SignJWT, jwtVerify } from 'jose';

// Short-lived access tokens, exchanged for an API key: HS256 JWTs issued by `canopy` whose subject is
// the account and whose `kid` header names the API key they were exchanged for (for audit logs; the
// HMAC secret itself is the gateway's). Verification needs no database: tokens stay valid until they
// expire, so a revoked key stops working at the latest AUTH_TOKEN_TTL_SECONDS after its revocation.

export const TOKEN_ISSUER = 'canopy';

export interface Caller {
  readonly accountId: string;
  /** The API key the token was exchanged for. */
  readonly keyId: string;
}

export interface IssuedToken {
  readonly accessToken: string;
  /** Seconds until the token expires. */
  readonly expiresIn: number;
}

const ACCOUNT_ID = /^[0-9a-f]{24}$/;
const KEY_ID = /^[0-9a-f]{12}$/;

export class AccessTokens {
  constructor(
    private readonly secret: Uint8Array,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(caller: Caller): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const accessToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: caller.keyId })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(caller.accountId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.secret);
    return { accessToken, expiresIn: this.ttlSeconds };
  }

  /** The caller a valid token names; null for a token that is malformed, forged, foreign or expired. */
  async verify(token: string): Promise<Caller | null> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.secret, {
        issuer: TOKEN_ISSUER,
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: this.now(),
      });
      const accountId = payload.sub;
      const keyId = protectedHeader.kid;
      if (accountId === undefined || !ACCOUNT_ID.test(accountId)) return null;
      if (keyId === undefined || !KEY_ID.test(keyId)) return null;
      return { accountId, keyId };
    } catch {
      return null;
    }
  }
}
