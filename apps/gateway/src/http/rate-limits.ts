import type { RateLimiter, RateLimitStore } from '@canopy/rate-limits';
import { ApiError } from './api-error.js';

// Accounts: RATE_LIMIT_BURST requests per window of BURST / PER_SECOND seconds, which averages to
// RATE_LIMIT_PER_SECOND while letting a client spend the whole burst at once. Keyed by the account id
// of a verified access token only: an unverified value as a key would let anyone exhaust another
// account's allowance or spread their own over made-up keys.
// Key exchanges and JWKS reads: per client address, since the caller is not known.
// The counts live where the store keeps them (RATE_LIMIT_STORE): in PostgreSQL by default, shared by
// every gateway on the database, so N replicas together allow the configured rates.

/** What an account's request left of its allowance: sent as the RateLimit-* headers. */
export interface AccountAllowance {
  readonly allowed: boolean;
  /** Requests per window (RATE_LIMIT_BURST). */
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window ends. */
  readonly resetMs: number;
}

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly keyExchangesPerSecond: number;
}

export class RateLimits {
  private readonly accounts: RateLimiter | null;
  private readonly accountLimit: number;
  private readonly keyExchanges: RateLimiter | null;
  private readonly keySetReads: RateLimiter | null;

  constructor(store: RateLimitStore, options: RateLimitOptions) {
    this.accountLimit = options.burst;
    this.accounts =
      options.perSecond === 0 || options.burst === 0
        ? null
        : store.limiter({
            keyPrefix: 'account',
            points: options.burst,
            durationSeconds: options.burst / options.perSecond,
          });
    this.keyExchanges =
      options.keyExchangesPerSecond === 0
        ? null
        : store.limiter({
            keyPrefix: 'key-exchange',
            points: options.keyExchangesPerSecond,
            durationSeconds: 1,
          });
    // The JWKS is fetched rarely (it is cacheable); its own allowance, so fetching it never costs a
    // client its key exchanges.
    this.keySetReads =
      options.keyExchangesPerSecond === 0
        ? null
        : store.limiter({
            keyPrefix: 'key-set',
            points: options.keyExchangesPerSecond,
            durationSeconds: 1,
          });
  }

  /**
   * Counts one request of the (verified) account: what it left of the allowance, or null when
   * accounts are not limited. Over the limit, `allowed` is false: answer {@link accountLimited}.
   */
  async account(accountId: string): Promise<AccountAllowance | null> {
    if (this.accounts === null) return null;
    const decision = await this.accounts.consume(accountId);
    return { ...decision, limit: this.accountLimit };
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

async function consume(limiter: RateLimiter | null, key: string, message: string) {
  if (limiter === null) return;
  const decision = await limiter.consume(key);
  if (!decision.allowed) throw tooManyRequests('RATE_LIMITED', message, decision.resetMs / 1000);
}

/** The 429 of an account over its limit. */
export function accountLimited(allowance: AccountAllowance): ApiError {
  return tooManyRequests(
    'RATE_LIMITED',
    'too many requests for this account; slow down',
    allowance.resetMs / 1000,
  );
}

/**
 * The RateLimit-Limit, -Remaining and -Reset headers (draft-ietf-httpapi-ratelimit-headers): the
 * requests of a window, those left in the current one, and the seconds until it ends.
 */
export function rateLimitHeaders(allowance: AccountAllowance): Record<string, string> {
  return {
    'ratelimit-limit': String(allowance.limit),
    'ratelimit-remaining': String(allowance.remaining),
    'ratelimit-reset': String(Math.ceil(allowance.resetMs / 1000)),
  };
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
