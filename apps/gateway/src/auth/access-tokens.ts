import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { JWTHeaderParameters } from 'jose';
import type { SigningKeys } from './signing-keys.js';

// Short-lived access tokens, exchanged for an API key: JWTs shaped as RFC 9068 access tokens
// (header typ `at+jwt`), signed with Ed25519 (alg EdDSA) by the active key of the gateway's signing
// key set, whose id is the header's `kid`. Claims: iss, aud, sub = the account, client_id = the API
// key the token was exchanged for (RFC 9068's name for the client), iat, exp, jti. Verification needs
// no database: tokens stay valid until they expire, so a revoked key stops working at the latest
// AUTH_TOKEN_TTL_SECONDS after its revocation.

/** Clock skew allowed between gateways when checking exp and iat. */
export const CLOCK_TOLERANCE_SECONDS = 5;

export const ACCESS_TOKEN_TYPE = 'at+jwt';

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

export interface AccessTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

const ACCOUNT_ID = /^[0-9a-f]{24}$/;
const KEY_ID = /^[0-9a-f]{12}$/;

/** Tokens verified recently, remembered so that a client's next request costs no signature check. */
const REMEMBERED_TOKENS = 10_000;

interface VerifiedToken {
  readonly caller: Caller;
  /** The signing key that signed it: the token stops verifying once the key leaves the set. */
  readonly kid: string;
  /** Epoch ms until which it is valid, the clock tolerance included. */
  readonly validUntilMs: number;
}

export class AccessTokens {
  // A client sends the same token with every request until it expires, and checking an Ed25519
  // signature costs about a millisecond of CPU: each token is checked once, then remembered until
  // it expires or its key leaves the set (most recently used first, at most REMEMBERED_TOKENS).
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly keys: SigningKeys,
    private readonly options: AccessTokenOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  async issue(caller: Caller): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const { kid, key } = this.keys.signingKey();
    const accessToken = await new SignJWT({ client_id: caller.keyId })
      .setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYPE, kid })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(caller.accountId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
    return { accessToken, expiresIn: this.options.ttlSeconds };
  }

  /**
   * The caller a valid token names; null for a token that is malformed, forged, foreign, expired, of
   * another algorithm or type, or signed by a key that is not in the set (any more).
   */
  async verify(token: string): Promise<Caller | null> {
    const remembered = this.remembered(token);
    if (remembered !== undefined) return remembered;
    try {
      const { payload, protectedHeader } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = header.kid === undefined ? undefined : this.keys.verificationKey(header.kid);
          if (key === undefined) throw new Error('unknown signing key');
          return key;
        },
        {
          algorithms: ['EdDSA'],
          issuer: this.options.issuer,
          audience: this.options.audience,
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
          currentDate: this.now(),
        },
      );
      const accountId = payload.sub;
      const keyId = payload['client_id'];
      if (accountId === undefined || !ACCOUNT_ID.test(accountId)) return null;
      if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) return null;
      const caller = { accountId, keyId };
      const { kid } = protectedHeader;
      if (kid !== undefined && payload.exp !== undefined) {
        this.remember(token, {
          caller,
          kid,
          validUntilMs: (payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000,
        });
      }
      return caller;
    } catch {
      return null;
    }
  }

  private remembered(token: string): Caller | undefined {
    const known = this.verified.get(token);
    if (known === undefined) return undefined;
    this.verified.delete(token);
    if (this.now().getTime() >= known.validUntilMs) return undefined;
    if (this.keys.verificationKey(known.kid) === undefined) return undefined;
    this.verified.set(token, known);
    return known.caller;
  }

  private remember(token: string, verified: VerifiedToken): void {
    this.verified.set(token, verified);
    if (this.verified.size <= REMEMBERED_TOKENS) return;
    const oldest = this.verified.keys().next();
    if (oldest.done !== true) this.verified.delete(oldest.value);
  }
}
