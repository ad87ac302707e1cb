import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { objectId } from '../http/object-id-parameter.js';
import { PageQuery, Paged } from '../http/page-parameters.js';
import type { Page, PageParameters } from '../http/page-parameters.js';
import { JsonBody } from '../http/request-body.js';
import { IdempotentRequests } from '../idempotency/idempotent-requests.js';
import { functionRegistrationSchema } from './function-api-schemas.js';
import type { FunctionRegistration } from './function-api-schemas.js';
import { FunctionCatalog } from './function-catalog.js';
import type { FunctionJson, FunctionWithMetricsJson } from './function-catalog.js';
import { ApiGetFunction, ApiListFunctions, ApiRegisterFunction } from './function.openapi.js';

@Controller('v1/function')
export class FunctionController {
  constructor(
    @Inject(FunctionCatalog) private readonly functions: FunctionCatalog,
    @Inject(IdempotentRequests) private readonly idempotency: IdempotentRequests,
  ) {}

  /** 201 `{ "id" }`; once per Idempotency-Key. */
  @Post()
  @ApiRegisterFunction()
  async register(
    @CurrentCaller() caller: Caller,
    @JsonBody(functionRegistrationSchema) registration: FunctionRegistration,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ readonly id: string }> {
    const id = await this.idempotency.create(caller.accountId, request, reply, async (as) => {
      await this.functions.register(caller.accountId, registration, as);
    });
    return { id };
  }

  /** The account's functions, newest first, paged like the task list. */
  @Get('list')
  @Paged()
  @ApiListFunctions()
  list(
    @CurrentCaller() caller: Caller,
    @PageQuery() page: PageParameters,
  ): Promise<Page<FunctionJson>> {
    return this.functions.list(caller.accountId, page);
  }

  /** The function, with `metrics` counting its tasks (from the projector's counters). */
  @Get(':id')
  @ApiGetFunction()
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
  ): Promise<FunctionWithMetricsJson> {
    return this.functions.get(caller.accountId, functionId);
  }
}
