import { applyDecorators } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiIdempotencyKey,
  IDEMPOTENCY_KEY_ERRORS,
  idempotentReplayHeader,
  ApiJsonBody,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiPageListOperation,
} from '../openapi/api-description.js';
import {
  functionListSchema,
  functionRegistrationSchema,
  functionWithMetricsSchema,
  registeredFunctionSchema,
} from './function-api-schemas.js';

// The OpenAPI description of FunctionController's operations (openapi/api-description.ts).

export const ApiRegisterFunction = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Register a function',
      description:
        'Registers what tasks invoke: its requirements of a node and how a node runs it. Functions cannot be changed; register a new one.',
    }),
    ApiJsonBody({
      description: 'The function',
      schema: functionRegistrationSchema,
      example: {
        name: 'echo',
        description: 'Answers with what it was sent',
        lang: 'sh',
        type: 'process',
        capabilities: {
          timeout: 10,
          cpuCount: 1,
          memSize: 128,
          networkLatency: 0,
          privileged: false,
        },
        runtime: { kind: 'process', command: 'cat' },
      },
    }),
    ApiIdempotencyKey('function'),
    ApiJsonResponse(201, {
      description: 'The function is registered',
      schema: registeredFunctionSchema,
      headers: idempotentReplayHeader,
      example: { id: '6404b3da46551827c611ffe5' },
    }),
    ApiErrorResponses({
      400: 'the body is not a JSON object, or a field is missing or invalid (named in `field`)',
      ...AUTHENTICATED_ROUTE_ERRORS,
      ...IDEMPOTENCY_KEY_ERRORS,
      413: "the body is larger than the gateway's limit",
      415: 'the body is not `application/json`',
    }),
  );

export const ApiListFunctions = () =>
  ApiPageListOperation({
    summary: "List the account's functions",
    description: 'Newest first, paged with `limit` and the `cursor` of the `Link` header.',
    page: { description: 'A page of functions', schema: functionListSchema },
  });

export const ApiGetFunction = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Get a function',
      description:
        'The function as registered, with `metrics` counting its tasks (from counters the projector keeps: a task issued a moment ago may not be counted yet).',
    }),
    ApiObjectIdParam('id', 'The function (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiJsonResponse(200, { description: 'The function', schema: functionWithMetricsSchema }),
    ApiErrorResponses({
      400: 'the id is not 24 lower-case hex characters',
      ...AUTHENTICATED_ROUTE_ERRORS,
      404: "no such function in the caller's account",
    }),
  );
