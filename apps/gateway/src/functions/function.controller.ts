import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { objectIdParameter } from '../http/object-id-parameter.js';
import { nextPageLink, parsePageParameters } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { jsonObjectBody } from '../http/request-body.js';
import { FunctionCatalog } from './function-catalog.js';
import type { FunctionJson } from './function-catalog.js';

@Controller('v1/function')
export class FunctionController {
  constructor(@Inject(FunctionCatalog) private readonly functions: FunctionCatalog) {}

  /** 201 `{ "id" }`. */
  @Post()
  async register(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
  ): Promise<{ readonly id: string }> {
    return { id: await this.functions.register(caller.accountId, jsonObjectBody(body)) };
  }

  /** The account's functions, newest first, paged like the task list. */
  @Get('list')
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: QueryRecord,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FunctionJson[]> {
    const { entries, nextCursor } = await this.functions.list(
      caller.accountId,
      parsePageParameters(query),
    );
    if (nextCursor !== null) void reply.header('link', nextPageLink(request.url, nextCursor));
    return entries;
  }

  @Get(':id')
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<FunctionJson> {
    return this.functions.get(caller.accountId, objectIdParameter('functionId', id));
  }
}
