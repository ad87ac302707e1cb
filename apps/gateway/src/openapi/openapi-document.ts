import { documentJson } from '@canopy/contracts';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { GatewayModule } from '../gateway.module.js';
import type { GatewayParts } from '../gateway.module.js';
import { ACCESS_TOKEN_SCHEME, API_ERROR_SCHEMA, apiErrorBodySchema } from './api-description.js';
import { declaredRoutes } from './declared-routes.js';
import { openApiSchema } from './json-schema.js';

// The OpenAPI document of the HTTP API, generated from the controllers: Nest's route metadata gives
// the paths, methods and parameters; the @Api… decorators beside each handler (api-description.ts)
// give summaries, bodies and responses. The same function describes the running gateway (served at
// /docs/openapi.json) and a documentation-only instance (`npm run docs:openapi` → docs/openapi.json).

const description = `Canopy's HTTP API: API keys for access tokens, functions, and the GreenCloud-compatible task API.

Every route but \`POST /v1/auth/apiKey\` needs \`Authorization: Bearer <accessToken>\`, the token that route gives for an API key. \
Every error is JSON \`{ "error": "CODE", "message": "…", "field"?: "…" }\` (the \`ApiError\` schema), \`field\` naming the \
parameter or body field at fault. A resource of another account answers 404, as a missing one does. \
Times in task resources are unix seconds as strings, \`null\` until reached; ids are 24 lower-case hex characters. \
Every response carries \`X-Request-Id\`: the request's own \`X-Request-Id\` when it is 1 to 128 letters, digits or \
\`_ . : @ / + = -\`, a new UUID otherwise. A W3C \`traceparent\` is continued when the platform traces. \
Every answer of a route that needs an access token, a 429 included, says what is left of the account's rate limit: \
\`RateLimit-Limit\` (requests per window), \`RateLimit-Remaining\` (left in the current window) and \
\`RateLimit-Reset\` (seconds until it ends); none while the gateway does not limit accounts. \
The key exchange and the key set are limited per client address instead, and answer the same headers about that allowance.`;

const REQUEST_ID_HEADER = 'RequestId';

/**
 * The rate limit's headers on every answer of a route that is not @Public() (the account's
 * allowance) or is @LimitedPerAddress() (the client address's), by component name.
 */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': {
    component: 'RateLimitLimit',
    description:
      "Requests allowed per window: the account's (the gateway's RATE_LIMIT_BURST), or on the key exchange and the key set the client address's (RATE_LIMIT_KEY_EXCHANGE_PER_SECOND, per second)",
  },
  'RateLimit-Remaining': {
    component: 'RateLimitRemaining',
    description: 'Requests still allowed in the current window',
  },
  'RateLimit-Reset': {
    component: 'RateLimitReset',
    description: 'Seconds until the current window ends and the allowance is whole again',
  },
} as const;

/** The part of an operation's response the document adds to. */
interface DescribedResponse {
  headers?: Record<string, unknown>;
}

export function describeGatewayApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Canopy API')
    .setDescription(description)
    .setVersion('1.0.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'The `accessToken` of `POST /v1/auth/apiKey` (an EdDSA-signed JWT, short-lived; keys at `/.well-known/jwks.json`)',
      },
      ACCESS_TOKEN_SCHEME,
    )
    .addSecurityRequirements(ACCESS_TOKEN_SCHEME)
    .build();
  config.components = {
    ...config.components,
    schemas: { [API_ERROR_SCHEMA]: openApiSchema(apiErrorBodySchema) },
    headers: {
      ...Object.fromEntries(
        Object.values(RATE_LIMIT_HEADERS).map(({ component, description }) => [
          component,
          { description, schema: { type: 'string', pattern: '^[0-9]+$' } },
        ]),
      ),
      [REQUEST_ID_HEADER]: {
        description:
          "The request's id: the one it was sent with when that is sane (1 to 128 of A-Z a-z 0-9 _ . : @ / + = -), else a new UUID",
        schema: { type: 'string' },
      },
    },
  };
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  // The document requires the token everywhere; routes that are @Public() say they need nothing.
  // The others are counted against the account's rate limit, public ones marked so against the
  // client address's, and every answer of theirs says so.
  for (const route of declaredRoutes(app)) {
    const operation = document.paths[route.path]?.[route.method as 'get'];
    if (operation === undefined) continue;
    if (route.isPublic) operation.security = [];
    if (route.isPublic && route.addressLimit === undefined) continue;
    for (const response of Object.values(operation.responses ?? {}) as DescribedResponse[]) {
      response.headers = {
        ...response.headers,
        ...Object.fromEntries(
          Object.entries(RATE_LIMIT_HEADERS).map(([name, { component }]) => [
            name,
            { $ref: `#/components/headers/${component}` },
          ]),
        ),
      };
    }
  }
  // Every response, whatever its route and status, is answered with the request's id.
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      const responses = (operation as { responses?: Record<string, DescribedResponse> }).responses;
      for (const response of Object.values(responses ?? {})) {
        response.headers = {
          'X-Request-Id': { $ref: `#/components/headers/${REQUEST_ID_HEADER}` },
          ...response.headers,
        };
      }
    }
  }
  return document;
}

/**
 * The gateway's controllers with nothing behind them, in Nest's preview mode: no provider or
 * controller is instantiated and nothing connects. Enough to read the routes' metadata.
 */
export async function documentationOnlyGateway(): Promise<INestApplication> {
  return NestFactory.create(GatewayModule.with(inertParts()), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
}

/** The document of the code as it is now, in its committed form (documentJson). */
export async function currentOpenApiJson(): Promise<string> {
  const app = await documentationOnlyGateway();
  try {
    return documentJson(describeGatewayApi(app));
  } finally {
    await app.close();
  }
}

// Stand-ins for the gateway's parts, which GatewayModule.with only stores (preview mode never calls
// a controller): every part is an empty object, so a module that starts using one while it is being
// built fails loudly here rather than connecting anything.
function inertParts(): GatewayParts {
  return new Proxy({} as GatewayParts, { get: () => Object.freeze({}) });
}
