import type { RateLimiter, RateLimitStore } from '@canopy/rate-limits';
import type { FastifyReply } from 'fastify';
import { ApiError } from './api-error.js';

// Accounts: RATE_LIMIT_BURST requests per window of BURST / PER_SECOND seconds, which averages to
// RATE_LIMIT_PER_SECOND while letting a client spend the whole burst at once. Keyed by the account id
// of a verified access token only: an unverified value as a key would let anyone exhaust another
// account's allowance or spread their own over made-up keys.
// Key exchanges and JWKS reads: per client address, since the caller is not known.
// The counts live where the store keeps them (RATE_LIMIT_STORE): in PostgreSQL by default, shared by
// every gateway on the database, so N replicas together allow the configured rates.

/**
 * What a request left of the allowance it was counted against (its account's, or its address's on
 * the key exchange and the key set): sent as the RateLimit-* headers.
 */
export interface Allowance {
  readonly allowed: boolean;
  /** Requests per window (RATE_LIMIT_BURST for accounts). */
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window ends. */
  readonly resetMs: number;
}

/** The allowances counted per client address, on routes that need no access token. */
export type AddressLimit = 'keyExchanges' | 'keySetReads';

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly keyExchangesPerSecond: number;
}

export class RateLimits {
  private readonly accounts: RateLimiter | null;
  private readonly accountLimit: number;
  private readonly perAddress: Readonly<Record<AddressLimit, RateLimiter | null>>;
  private readonly addressLimit: number;

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
    this.addressLimit = options.keyExchangesPerSecond;
    const perAddress = (keyPrefix: string) =>
      options.keyExchangesPerSecond === 0
        ? null
        : store.limiter({ keyPrefix, points: options.keyExchangesPerSecond, durationSeconds: 1 });
    // The JWKS is fetched rarely (it is cacheable); its own allowance, so fetching it never costs a
    // client its key exchanges.
    this.perAddress = {
      keyExchanges: perAddress('key-exchange'),
      keySetReads: perAddress('key-set'),
    };
  }

  /**
   * Counts one request of the (verified) account: what it left of the allowance, or null when
   * accounts are not limited.
   */
  async account(accountId: string): Promise<Allowance | null> {
    if (this.accounts === null) return null;
    const decision = await this.accounts.consume(accountId);
    return { ...decision, limit: this.accountLimit };
  }

  /** Counts one request from the client address against `limit`: null when it is off. */
  async address(limit: AddressLimit, address: string): Promise<Allowance | null> {
    const limiter = this.perAddress[limit];
    if (limiter === null) return null;
    const decision = await limiter.consume(address);
    return { ...decision, limit: this.addressLimit };
  }
}

/**
 * The RateLimit-Limit, -Remaining and -Reset headers (draft-ietf-httpapi-ratelimit-headers): the
 * requests of a window, those left in the current one, and the seconds until it ends.
 */
function rateLimitHeaders(allowance: Allowance): Record<string, string> {
  return {
    'ratelimit-limit': String(allowance.limit),
    'ratelimit-remaining': String(allowance.remaining),
    'ratelimit-reset': String(Math.ceil(allowance.resetMs / 1000)),
  };
}

/**
 * Says what the request left of `allowance` (the RateLimit-* headers, on `reply`) and, when nothing
 * was left, refuses it: 429 RATE_LIMITED with `message`. Nothing when the limit is off.
 */
export function enforceAllowance(
  reply: FastifyReply,
  allowance: Allowance | null,
  message: string,
): void {
  if (allowance === null) return;
  void reply.headers(rateLimitHeaders(allowance));
  if (!allowance.allowed) throw tooManyRequests('RATE_LIMITED', message, allowance.resetMs / 1000);
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
