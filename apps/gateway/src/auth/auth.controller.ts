import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { jsonObjectBody } from '../http/request-body.js';
import type { IssuedToken } from './access-tokens.js';
import { ApiKeyExchange } from './api-key-exchange.js';
import { Public } from './authentication.js';

@Controller('v1/auth')
export class AuthController {
  constructor(@Inject(ApiKeyExchange) private readonly exchange: ApiKeyExchange) {}

  /** `{ "key": "cnpy_..." }` → `{ "expiresIn": seconds, "accessToken": "..." }`. */
  @Post('apiKey')
  @Public()
  @HttpCode(200)
  async accessToken(@Body() body: unknown): Promise<IssuedToken> {
    const { expiresIn, accessToken } = await this.exchange.exchange(jsonObjectBody(body)['key']);
    return { expiresIn, accessToken };
  }
}
