import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { objectIdParameter } from '../http/object-id-parameter.js';
import { answerPage, parsePageParameters } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { jsonObjectBody } from '../http/request-body.js';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonBody,
  ApiJsonResponse,
  ApiObjectIdParam,
  ApiPageParameters,
  nextPageLinkHeader,
} from '../openapi/api-description.js';
import {
  functionListSchema,
  functionRegistrationSchema,
  functionWithMetricsSchema,
  registeredFunctionSchema,
} from './function-api-schemas.js';
import { FunctionCatalog } from './function-catalog.js';
import type { FunctionJson, FunctionWithMetricsJson } from './function-catalog.js';

const functionExample = {
  name: 'echo',
  description: 'Answers with what it was sent',
  lang: 'sh',
  type: 'process',
  capabilities: { timeout: 10, cpuCount: 1, memSize: 128, networkLatency: 0, privileged: false },
  runtime: { kind: 'process', command: 'cat' },
};

@Controller('v1/function')
export class FunctionController {
  constructor(@Inject(FunctionCatalog) private readonly functions: FunctionCatalog) {}

  /** 201 `{ "id" }`. */
  @Post()
  @ApiOperation({
    summary: 'Register a function',
    description:
      'Registers what tasks invoke: its requirements of a node and how a node runs it. Functions cannot be changed; register a new one.',
  })
  @ApiJsonBody({
    description: 'The function',
    schema: functionRegistrationSchema,
    example: functionExample,
  })
  @ApiJsonResponse(201, {
    description: 'The function is registered',
    schema: registeredFunctionSchema,
    example: { id: '6404b3da46551827c611ffe5' },
  })
  @ApiErrorResponses({
    400: 'the body is not a JSON object, or a field is missing or invalid (named in `field`)',
    ...AUTHENTICATED_ROUTE_ERRORS,
    413: "the body is larger than the gateway's limit",
    415: 'the body is not `application/json`',
  })
  async register(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
  ): Promise<{ readonly id: string }> {
    return { id: await this.functions.register(caller.accountId, jsonObjectBody(body)) };
  }

  /** The account's functions, newest first, paged like the task list. */
  @Get('list')
  @ApiOperation({
    summary: "List the account's functions",
    description: 'Newest first, paged with `limit` and the `cursor` of the `Link` header.',
  })
  @ApiPageParameters()
  @ApiJsonResponse(200, {
    description: 'A page of functions',
    schema: functionListSchema,
    headers: nextPageLinkHeader,
  })
  @ApiErrorResponses({
    400: '`limit` or `cursor` is invalid',
    ...AUTHENTICATED_ROUTE_ERRORS,
  })
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: QueryRecord,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FunctionJson[]> {
    return answerPage(
      request,
      reply,
      await this.functions.list(caller.accountId, parsePageParameters(query)),
    );
  }

  /** The function, with `metrics` counting its tasks (from the projector's counters). */
  @Get(':id')
  @ApiOperation({
    summary: 'Get a function',
    description:
      'The function as registered, with `metrics` counting its tasks (from counters the projector keeps: a task issued a moment ago may not be counted yet).',
  })
  @ApiObjectIdParam('id', 'The function (`functionId`)', '6404b3da46551827c611ffe5')
  @ApiJsonResponse(200, { description: 'The function', schema: functionWithMetricsSchema })
  @ApiErrorResponses({
    400: 'the id is not 24 lower-case hex characters',
    ...AUTHENTICATED_ROUTE_ERRORS,
    404: "no such function in the caller's account",
  })
  async get(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
  ): Promise<FunctionWithMetricsJson> {
    return this.functions.get(caller.accountId, objectIdParameter('functionId', id));
  }
}
