import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import {
  ApiAuthenticatedRouteErrors,
  ApiIdempotentCreation,
  ApiJsonBody,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiOptionalQuery,
  ApiPageListOperation,
} from '../openapi/api-description.js';
import {
  MAX_FUNCTION_VERSION,
  functionChangesSchema,
  functionJsonSchema,
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
        'Registers what tasks invoke: its requirements of a node and how a node runs it, as version 1. `PATCH` makes later versions.',
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
    ApiIdempotentCreation('function', 201, {
      description: 'The function is registered',
      schema: registeredFunctionSchema,
      example: { id: '6404b3da46551827c611ffe5' },
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the body is not a JSON object, or a field is missing or invalid (named in `field`)',
      413: "the body is larger than the gateway's limit",
      415: 'the body is not `application/json`',
    }),
  );

export const ApiListFunctions = () =>
  ApiPageListOperation({
    summary: "List the account's functions",
    description:
      'Newest first, paged with `limit` and the `cursor` of the `Link` header. Read from the read models: a registration, change or deletion shows once the projector has applied it (`GET /v1/function/{id}` shows it at once).',
    page: { description: 'A page of functions', schema: functionListSchema },
  });

export const ApiGetFunction = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Get a function',
      description:
        'The current version of the function, or the version `version` names, with `metrics` counting all its tasks, whatever their version (from counters the projector keeps: a task issued a moment ago may not be counted yet). A deleted function is a 404.',
    }),
    ApiObjectIdParam('id', 'The function (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiOptionalQuery(
      'version',
      'A version of the function (1 is the registration); default the current one',
      {
        type: 'integer',
        minimum: 1,
        maximum: MAX_FUNCTION_VERSION,
      },
    ),
    ApiJsonResponse(200, { description: 'The function', schema: functionWithMetricsSchema }),
    ApiAuthenticatedRouteErrors({
      400: 'the id is not 24 lower-case hex characters, or `version` is not a positive integer',
      404: "no such function in the caller's account (or it was deleted), or no such version of it",
    }),
  );

export const ApiChangeFunction = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Change a function',
      description:
        'Makes a new version: fields left out stay as they are, `capabilities` may name only the requirements that change, a `runtime` replaces the old one whole. Tasks issued before keep running the version they were issued against; tasks issued from now on run the new one. Changing nothing makes no new version. `name`, `lang` and `type` cannot change.',
    }),
    ApiObjectIdParam('id', 'The function (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiJsonBody({
      description: 'The changes',
      schema: functionChangesSchema,
      example: {
        description: 'Answers in upper case',
        capabilities: { timeout: 20 },
        runtime: { kind: 'process', command: 'tr', args: ['a-z', 'A-Z'] },
      },
    }),
    ApiJsonResponse(200, {
      description: 'The function as it is after the change',
      schema: functionJsonSchema,
    }),
    ApiAuthenticatedRouteErrors({
      400: 'the body is not a JSON object, or a field is invalid or cannot be changed (named in `field`)',
      404: "no such function in the caller's account, or it was deleted",
      413: "the body is larger than the gateway's limit",
      415: 'the body is not `application/json`',
    }),
  );

export const ApiDeleteFunction = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Delete a function',
      description:
        'No new task of it is accepted (`POST /v1/task/:functionId` answers 404) and it answers 404 from now on. The tasks it has keep running the version they were issued against; they, their results and the CSV of its tasks stay readable.',
    }),
    ApiObjectIdParam('id', 'The function (`functionId`)', '6404b3da46551827c611ffe5'),
    ApiResponse({ status: 204, description: 'Deleted' }),
    ApiAuthenticatedRouteErrors({
      400: 'the id is not 24 lower-case hex characters',
      404: "no such function in the caller's account, or it was deleted already",
    }),
  );
