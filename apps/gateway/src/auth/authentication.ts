import { Inject, SetMetadata, createParamDecorator } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../http/api-error.js';
import { RateLimits, enforceAllowance } from '../http/rate-limits.js';
import type { AddressLimit } from '../http/rate-limits.js';
import { AccessTokens } from './access-tokens.js';
import type { Caller } from './access-tokens.js';

// Every route needs `Authorization: Bearer <access token>` except those marked @Public() (the key
// exchange, the JWKS). The guard puts the token's caller on the request for @CurrentCaller(), then
// counts the request against the caller's rate limit: only after verification, so the limit is keyed
// by an account the token proves. A public route marked @LimitedPerAddress() is counted against the
// client address's allowance instead, before anything else of the request is looked at. Every answer
// of a counted route says what is left of the allowance (RateLimit-* headers), the 429 of a request
// over it included.

const PUBLIC_ROUTE = 'canopy:public-route';
const ADDRESS_LIMIT = 'canopy:address-limit';

const addressLimitMessages: Readonly<Record<AddressLimit, string>> = {
  keyExchanges: 'too many key exchanges from this address; slow down',
  keySetReads: 'too many key set reads from this address; slow down',
};

type AuthenticatedRequest = FastifyRequest & { caller?: Caller };

/** The route needs no access token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** A public route whose requests are counted against the client address's allowance `limit`. */
export const LimitedPerAddress = (limit: AddressLimit) => SetMetadata(ADDRESS_LIMIT, limit);

export class AccessTokenGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessTokens) private readonly tokens: AccessTokens,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (isPublic === true) {
      const limit = this.reflector.get<AddressLimit | undefined>(
        ADDRESS_LIMIT,
        context.getHandler(),
      );
      if (limit !== undefined) {
        const allowance = await this.limits.address(limit, request.ip);
        enforceAllowance(http.getResponse<FastifyReply>(), allowance, addressLimitMessages[limit]);
      }
      return true;
    }
    const match = /^Bearer +([^\s]+) *$/i.exec(request.headers.authorization ?? '');
    if (match?.[1] === undefined) {
      throw unauthorized('an access token is required: Authorization: Bearer <token>');
    }
    const caller = await this.tokens.verify(match[1]);
    if (caller === null) throw unauthorized('the access token is invalid or expired');
    enforceAllowance(
      http.getResponse<FastifyReply>(),
      await this.limits.account(caller.accountId),
      'too many requests for this account; slow down',
    );
    request.caller = caller;
    return true;
  }
}

/** The authenticated caller of the current request. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (caller === undefined) throw new Error('CurrentCaller on a route without authentication');
  return caller;
});
