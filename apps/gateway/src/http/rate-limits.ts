import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from './api-error.js';

// Per-process limits (every gateway replica counts on its own, so N replicas behind a load balancer
// allow N times the configured rates; divide the rates by N to keep a global figure).
//
// Accounts: RATE_LIMIT_BURST requests per window of BURST / PER_SECOND seconds, which averages to
// RATE_LIMIT_PER_SECOND while letting a client spend the whole burst at once. Keyed by the account id
// of a verified access token only: an unverified value as a key would let anyone exhaust another
// account's allowance or spread their own over made-up keys.
// Key exchanges and JWKS reads: per client address, since the caller is not known.

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly keyExchangesPerSecond: number;
}

export class RateLimits {
  private readonly accounts: RateLimiterMemory | null;
  private readonly keyExchanges: RateLimiterMemory | null;
  private readonly keySetReads: RateLimiterMemory | null;

  constructor(options: RateLimitOptions) {
    this.accounts =
      options.perSecond === 0 || options.burst === 0
        ? null
        : new RateLimiterMemory({
            keyPrefix: 'account',
            points: options.burst,
            duration: options.burst / options.perSecond,
          });
    this.keyExchanges =
      options.keyExchangesPerSecond === 0
        ? null
        : new RateLimiterMemory({
            keyPrefix: 'key-exchange',
            points: options.keyExchangesPerSecond,
            duration: 1,
          });
    // The JWKS is fetched rarely (it is cacheable); its own allowance, so fetching it never costs a
    // client its key exchanges.
    this.keySetReads =
      options.keyExchangesPerSecond === 0
        ? null
        : new RateLimiterMemory({
            keyPrefix: 'key-set',
            points: options.keyExchangesPerSecond,
            duration: 1,
          });
  }

  /** Counts one request of the (verified) account; throws 429 RATE_LIMITED over the limit. */
  async account(accountId: string): Promise<void> {
    await consume(this.accounts, accountId, 'too many requests for this account; slow down');
  }

  /** Counts one JWKS read from the address; throws 429 RATE_LIMITED over the limit. */
  async keySetRead(address: string): Promise<void> {
    await consume(this.keySetReads, address, 'too many key set reads from this address; slow down');
  }

  /** Counts one key exchange from the address; throws 429 RATE_LIMITED over the limit. */
  async keyExchange(address: string): Promise<void> {
    await consume(
      this.keyExchanges,
      address,
      'too many key exchanges from this address; slow down',
    );
  }
}

async function consume(limiter: RateLimiterMemory | null, key: string, message: string) {
  if (limiter === null) return;
  try {
    await limiter.consume(key, 1);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw tooManyRequests('RATE_LIMITED', message, rejection.msBeforeNext / 1000);
  }
}

/** 429 with Retry-After in whole seconds, at least 1. */
export function tooManyRequests(
  code: string,
  message: string,
  retryAfterSeconds: number,
): ApiError {
  return new ApiError(429, code, message, {
    retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)),
  });
}
