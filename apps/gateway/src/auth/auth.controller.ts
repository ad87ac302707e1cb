import { Controller, Delete, Get, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { JsonBody } from '../http/request-body.js';
import type { Caller, IssuedToken } from './access-tokens.js';
import { ApiKeyExchange } from './api-key-exchange.js';
import { ApiKeys } from './api-keys.js';
import type { ApiKeyJson, CreatedApiKeyJson } from './api-keys.js';
import { apiKeyExchangeBodySchema, createApiKeyBodySchema } from './auth-api-schemas.js';
import type { ApiKeyExchangeBody, CreateApiKeyBody } from './auth-api-schemas.js';
import {
  ApiCreateApiKey,
  ApiExchangeApiKey,
  ApiJwks,
  ApiListApiKeys,
  ApiRevokeApiKey,
} from './auth.openapi.js';
import { CurrentCaller, LimitedPerAddress, Public } from './authentication.js';
import { SigningKeys } from './signing-keys.js';

@Controller('v1/auth')
export class AuthController {
  constructor(
    @Inject(ApiKeyExchange) private readonly exchange: ApiKeyExchange,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
  ) {}

  /** `{ "key": "cnpy_..." }` → `{ "expiresIn": seconds, "accessToken": "..." }`. */
  @Post('apiKey')
  @Public()
  @LimitedPerAddress('keyExchanges')
  @HttpCode(200)
  @ApiExchangeApiKey()
  async accessToken(
    @JsonBody(apiKeyExchangeBodySchema) { key }: ApiKeyExchangeBody,
  ): Promise<IssuedToken> {
    const { expiresIn, accessToken } = await this.exchange.exchange(key);
    return { expiresIn, accessToken };
  }

  /** The account's keys, oldest first, revoked ones included; never a secret. */
  @Get('keys')
  @ApiListApiKeys()
  list(@CurrentCaller() caller: Caller): Promise<ApiKeyJson[]> {
    return this.keys.list(caller.accountId);
  }

  /** 201 with the new key, shown this once. The body (`{ "name"? }`) may be left out. */
  @Post('keys')
  @ApiCreateApiKey()
  create(
    @CurrentCaller() caller: Caller,
    @JsonBody(createApiKeyBodySchema, { optional: true }) key: CreateApiKeyBody,
  ): Promise<CreatedApiKeyJson> {
    return this.keys.create(caller.accountId, key);
  }

  /** 204, also for a key already revoked; 404 API_KEY_NOT_FOUND for one the account never had. */
  @Delete('keys/:id')
  @HttpCode(204)
  @ApiRevokeApiKey()
  async revoke(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(caller.accountId, id);
  }
}

@Controller('.well-known')
export class JwksController {
  constructor(@Inject(SigningKeys) private readonly signingKeys: SigningKeys) {}

  /** The public keys that verify access tokens: every key that may have signed one still valid. */
  @Get('jwks.json')
  @Public()
  @LimitedPerAddress('keySetReads')
  @Header('cache-control', 'public, max-age=300')
  @ApiJwks()
  jwks(): unknown {
    return this.signingKeys.jwks();
  }
}
