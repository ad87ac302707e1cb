import { apiKeyIdSchema } from '@canopy/contracts';
import { z } from 'zod';
import { unixSecondsSchema } from '../openapi/api-description.js';
import type { IssuedToken } from './access-tokens.js';
import type { ApiKeyJson, CreatedApiKeyJson } from './api-keys.js';
import { MAX_KEY_NAME_LENGTH } from './api-keys.js';

// The auth routes' bodies as zod schemas: the request bodies the controller parses, and what the
// OpenAPI document says the responses are. The type checks at the end fail to compile when a schema
// and the type the controller returns drift apart.

const keyId = apiKeyIdSchema.meta({ description: "The key's id", example: 'a1b2c3d4e5f6' });
const keyName = z
  .string()
  .max(MAX_KEY_NAME_LENGTH)
  .nullable()
  .meta({ description: 'A name for the key; null when none was given', example: 'ci' });

/** POST /v1/auth/apiKey. Whether the key is valid is the exchange's answer (a 401), not a 400. */
export const apiKeyExchangeBodySchema = z.object({
  key: z.string().meta({
    description: 'An API key of the account',
    example: 'cnpy_64057f3c9956fae80d7e0e84_a1b2c3d4e5f6_…',
  }),
});
export type ApiKeyExchangeBody = z.output<typeof apiKeyExchangeBodySchema>;

export const issuedTokenSchema = z.object({
  expiresIn: z.int().positive().meta({ description: 'Seconds until it expires', example: 900 }),
  accessToken: z.string().meta({
    description: 'An EdDSA-signed JWT (RFC 9068 access token) for `Authorization: Bearer`',
  }),
});

/** POST /v1/auth/keys; an empty body is `{}`. A name that is blank once trimmed is no name (null). */
export const createApiKeyBodySchema = z.object({
  name: z
    .string()
    .trim()
    .max(MAX_KEY_NAME_LENGTH, `must be at most ${MAX_KEY_NAME_LENGTH} characters`)
    .nullable()
    .optional()
    .transform((name) => (name === undefined || name === '' ? null : name))
    .meta({
      description: `A name for the key, at most ${MAX_KEY_NAME_LENGTH} characters (trimmed)`,
      example: 'ci',
    }),
});
export type CreateApiKeyBody = z.output<typeof createApiKeyBodySchema>;

export const createdApiKeySchema = z.object({
  id: keyId,
  name: keyName,
  key: z.string().meta({
    description: 'The whole key: shown this once, never again',
    example: 'cnpy_64057f3c9956fae80d7e0e84_a1b2c3d4e5f6_…',
  }),
  createdAt: unixSecondsSchema,
});

export const apiKeyListSchema = z.array(
  z.object({
    id: keyId,
    name: keyName,
    createdAt: unixSecondsSchema,
    revokedAt: unixSecondsSchema
      .nullable()
      .meta({ description: 'When the key was revoked; null while it is live' }),
  }),
);

export const jwksSchema = z.object({
  keys: z.array(
    z.object({
      kid: z.string().meta({ description: "The signing key's id, the `kid` of tokens it signed" }),
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      alg: z.literal('EdDSA'),
      use: z.literal('sig'),
      x: z.string().meta({ description: 'The public key, base64url' }),
    }),
  ),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameShapes: [
  Same<z.infer<typeof issuedTokenSchema>, IssuedToken>,
  Same<z.infer<typeof createdApiKeySchema>, CreatedApiKeyJson>,
  Same<z.infer<typeof apiKeyListSchema>[number], ApiKeyJson>,
] = [true, true, true];
void sameShapes;
