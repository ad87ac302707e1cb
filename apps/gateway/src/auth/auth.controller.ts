import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RateLimits } from '../http/rate-limits.js';
import { bodyBytes, jsonObjectBody } from '../http/request-body.js';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonBody,
  ApiJsonResponse,
} from '../openapi/api-description.js';
import { openApiSchema } from '../openapi/json-schema.js';
import type { Caller, IssuedToken } from './access-tokens.js';
import { ApiKeyExchange } from './api-key-exchange.js';
import { ApiKeys } from './api-keys.js';
import type { ApiKeyJson, CreatedApiKeyJson } from './api-keys.js';
import {
  apiKeyExchangeBodySchema,
  apiKeyListSchema,
  createApiKeyBodySchema,
  createdApiKeySchema,
  issuedTokenSchema,
  jwksSchema,
} from './auth-api-schemas.js';
import { CurrentCaller, Public } from './authentication.js';
import { SigningKeys } from './signing-keys.js';

const API_KEY_ID_PARAMETER = {
  type: 'string',
  pattern: '^[0-9a-f]{12}$',
  example: 'a1b2c3d4e5f6',
} as const;

@Controller('v1/auth')
export class AuthController {
  constructor(
    @Inject(ApiKeyExchange) private readonly exchange: ApiKeyExchange,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {}

  /** `{ "key": "cnpy_..." }` → `{ "expiresIn": seconds, "accessToken": "..." }`. */
  @Post('apiKey')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange an API key for an access token',
    description:
      'The key is checked against its account at once: a new key works immediately, a revoked one never again. Tokens already issued stay valid until they expire (`AUTH_TOKEN_TTL_SECONDS`, 900 s by default). Limited per client address (`RATE_LIMIT_KEY_EXCHANGE_PER_SECOND`).',
  })
  @ApiJsonBody({ description: 'The API key', schema: apiKeyExchangeBodySchema })
  @ApiJsonResponse(200, { description: 'A short-lived access token', schema: issuedTokenSchema })
  @ApiErrorResponses({
    400: 'the body is not a JSON object',
    401: 'the key is malformed, fails its checksum, is unknown or revoked (one answer for all)',
    429: {
      description: 'too many key exchanges from this address: wait `Retry-After` seconds',
      codes: ['RATE_LIMITED'],
    },
  })
  async accessToken(@Body() body: unknown, @Req() request: FastifyRequest): Promise<IssuedToken> {
    await this.limits.keyExchange(request.ip);
    const { expiresIn, accessToken } = await this.exchange.exchange(jsonObjectBody(body)['key']);
    return { expiresIn, accessToken };
  }

  /** The account's keys, oldest first, revoked ones included; never a secret. */
  @Get('keys')
  @ApiOperation({
    summary: "List the account's API keys",
    description: 'Oldest first, revoked ones included. Never a key or its hash.',
  })
  @ApiJsonResponse(200, { description: "The account's keys", schema: apiKeyListSchema })
  @ApiErrorResponses({ ...AUTHENTICATED_ROUTE_ERRORS })
  list(@CurrentCaller() caller: Caller): Promise<ApiKeyJson[]> {
    return this.keys.list(caller.accountId);
  }

  /** 201 with the new key, shown this once. The body (`{ "name"? }`) may be left out. */
  @Post('keys')
  @ApiOperation({
    summary: 'Create an API key',
    description:
      'The answer holds the whole key, shown this once; only its hash is kept. An account holds at most 20 keys that are not revoked.',
  })
  @ApiConsumes('application/json')
  @ApiBody({
    required: false,
    description: 'Optional',
    schema: openApiSchema(createApiKeyBodySchema, 'input'),
  })
  @ApiJsonResponse(201, { description: 'The new key', schema: createdApiKeySchema })
  @ApiErrorResponses({
    400: {
      description:
        'the body is not a JSON object, or `name` is not a string of at most 100 characters',
      example: {
        error: 'INVALID_REQUEST',
        message: 'name must be at most 100 characters',
        field: 'name',
      },
    },
    ...AUTHENTICATED_ROUTE_ERRORS,
    409: {
      description: 'the account already holds 20 keys that are not revoked: revoke one first',
      codes: ['TOO_MANY_API_KEYS'],
    },
  })
  create(@CurrentCaller() caller: Caller, @Body() body: unknown): Promise<CreatedApiKeyJson> {
    const fields = bodyBytes(body).length === 0 ? {} : jsonObjectBody(body);
    return this.keys.create(caller.accountId, fields);
  }

  /** 204, also for a key already revoked; 404 API_KEY_NOT_FOUND for one the account never had. */
  @Delete('keys/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      'Idempotent; the key the caller is using may be revoked too. The key can no longer be exchanged; tokens already issued stay valid until they expire.',
  })
  @ApiParam({
    name: 'id',
    required: true,
    description: "The key's id",
    schema: API_KEY_ID_PARAMETER,
  })
  @ApiResponse({ status: 204, description: 'The key is revoked' })
  @ApiErrorResponses({
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: { description: "no such key in the caller's account", codes: ['API_KEY_NOT_FOUND'] },
  })
  async revoke(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(caller.accountId, id);
  }
}

@Controller('.well-known')
export class JwksController {
  constructor(
    @Inject(SigningKeys) private readonly signingKeys: SigningKeys,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {}

  /** The public keys that verify access tokens: every key that may have signed one still valid. */
  @Get('jwks.json')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The public keys of access tokens (JWK Set)',
    description:
      "Every key that may have signed a token still valid; a token's `kid` names its key. Cacheable for 5 minutes.",
  })
  @ApiJsonResponse(200, { description: 'The JWK Set', schema: jwksSchema })
  @ApiErrorResponses({
    429: {
      description: 'too many reads from this address: wait `Retry-After` seconds',
      codes: ['RATE_LIMITED'],
    },
  })
  async jwks(@Req() request: FastifyRequest): Promise<unknown> {
    await this.limits.keySetRead(request.ip);
    return this.signingKeys.jwks();
  }
}
