import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import {
  ApiAuthenticatedRouteErrors,
  ApiErrorResponses,
  ApiJsonBody,
  ApiJsonResponse,
} from '../openapi/api-description.js';
import {
  apiKeyExchangeBodySchema,
  apiKeyListSchema,
  createApiKeyBodySchema,
  createdApiKeySchema,
  issuedTokenSchema,
  jwksSchema,
} from './auth-api-schemas.js';

// The OpenAPI description of AuthController's and JwksController's operations
// (openapi/api-description.ts).

export const ApiExchangeApiKey = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Exchange an API key for an access token',
      description:
        'The key is checked against its account at once: a new key works immediately, a revoked one never again. Tokens already issued stay valid until they expire (`AUTH_TOKEN_TTL_SECONDS`, 900 s by default). Limited per client address (`RATE_LIMIT_KEY_EXCHANGE_PER_SECOND`).',
    }),
    ApiJsonBody({ description: 'The API key', schema: apiKeyExchangeBodySchema }),
    ApiJsonResponse(200, { description: 'A short-lived access token', schema: issuedTokenSchema }),
    ApiErrorResponses({
      400: 'the body is not a JSON object, or its `key` is missing or not a string',
      401: 'the key is malformed, fails its checksum, is unknown or revoked (one answer for all)',
      429: {
        description: 'too many key exchanges from this address: wait `Retry-After` seconds',
        codes: ['RATE_LIMITED'],
      },
    }),
  );

export const ApiListApiKeys = () =>
  applyDecorators(
    ApiOperation({
      summary: "List the account's API keys",
      description: 'Oldest first, revoked ones included. Never a key or its hash.',
    }),
    ApiJsonResponse(200, { description: "The account's keys", schema: apiKeyListSchema }),
    ApiAuthenticatedRouteErrors(),
  );

export const ApiCreateApiKey = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Create an API key',
      description:
        'The answer holds the whole key, shown this once; only its hash is kept. An account holds at most 20 keys that are not revoked.',
    }),
    ApiJsonBody({ description: 'Optional', schema: createApiKeyBodySchema, required: false }),
    ApiJsonResponse(201, { description: 'The new key', schema: createdApiKeySchema }),
    ApiAuthenticatedRouteErrors({
      400: {
        description:
          'the body is not a JSON object, or `name` is not a string of at most 100 characters',
        example: {
          error: 'INVALID_REQUEST',
          message: 'name must be at most 100 characters',
          field: 'name',
        },
      },
      409: {
        description: 'the account already holds 20 keys that are not revoked: revoke one first',
        codes: ['TOO_MANY_API_KEYS'],
      },
    }),
  );

export const ApiRevokeApiKey = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Revoke an API key',
      description:
        'Idempotent; the key the caller is using may be revoked too. The key can no longer be exchanged; tokens already issued stay valid until they expire.',
    }),
    ApiParam({
      name: 'id',
      required: true,
      description: "The key's id",
      schema: { type: 'string', pattern: '^[0-9a-f]{12}$', example: 'a1b2c3d4e5f6' },
    }),
    ApiResponse({ status: 204, description: 'The key is revoked' }),
    ApiAuthenticatedRouteErrors({
      404: { description: "no such key in the caller's account", codes: ['API_KEY_NOT_FOUND'] },
    }),
  );

export const ApiJwks = () =>
  applyDecorators(
    ApiOperation({
      summary: 'The public keys of access tokens (JWK Set)',
      description:
        "Every key that may have signed a token still valid; a token's `kid` names its key. Cacheable for 5 minutes.",
    }),
    ApiJsonResponse(200, { description: 'The JWK Set', schema: jwksSchema }),
    ApiErrorResponses({
      429: {
        description: 'too many reads from this address: wait `Retry-After` seconds',
        codes: ['RATE_LIMITED'],
      },
    }),
  );
