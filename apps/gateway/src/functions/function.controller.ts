import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import type { MessageOrigin } from '@canopy/observability';
import { objectId } from '../http/object-id-parameter.js';
import { RequestOrigin } from '../observability/request-observation.js';
import { PageQuery, Paged } from '../http/page-parameters.js';
import type { Page, PageParameters } from '../http/page-parameters.js';
import { integerParameter, singleParameter } from '../http/query-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { JsonBody } from '../http/request-body.js';
import { Creation, IdempotentRequests } from '../idempotency/idempotent-requests.js';
import type { CreationExchange, Created } from '../idempotency/idempotent-requests.js';
import {
  MAX_FUNCTION_VERSION,
  functionChangesSchema,
  functionRegistrationSchema,
} from './function-api-schemas.js';
import type { FunctionChangesBody, FunctionRegistration } from './function-api-schemas.js';
import { FunctionCatalog } from './function-catalog.js';
import type { FunctionJson, FunctionWithMetricsJson } from './function-catalog.js';
import {
  ApiChangeFunction,
  ApiDeleteFunction,
  ApiGetFunction,
  ApiListFunctions,
  ApiRegisterFunction,
} from './function.openapi.js';

@Controller('v1/function')
export class FunctionController {
  constructor(
    @Inject(FunctionCatalog) private readonly functions: FunctionCatalog,
    @Inject(IdempotentRequests) private readonly idempotency: IdempotentRequests,
  ) {}

  /** 201 `{ "id" }`; once per Idempotency-Key. */
  @Post()
  @ApiRegisterFunction()
  register(
    @CurrentCaller() caller: Caller,
    @JsonBody(functionRegistrationSchema) registration: FunctionRegistration,
    @Creation() creation: CreationExchange,
  ): Promise<Created> {
    return this.idempotency.create(caller.accountId, creation, (as) =>
      this.functions.register(caller.accountId, registration, as),
    );
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

  /**
   * The function's current version (or `?version=N`), with `metrics` counting its tasks (from the
   * projector's counters).
   */
  @Get(':id')
  @ApiGetFunction()
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @Query() query: QueryRecord,
  ): Promise<FunctionWithMetricsJson> {
    const version = singleParameter(query, 'version');
    return this.functions.get(
      caller.accountId,
      functionId,
      version === undefined
        ? undefined
        : integerParameter('version', version, 1, MAX_FUNCTION_VERSION),
    );
  }

  /** A new version with the changes: 200 with the function as it is afterwards. */
  @Patch(':id')
  @ApiChangeFunction()
  change(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @JsonBody(functionChangesSchema) changes: FunctionChangesBody,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<FunctionJson> {
    return this.functions.change(caller.accountId, functionId, changes, origin);
  }

  /** 204; no new task from now on, the function answers 404; its tasks stay readable. */
  @Delete(':id')
  @HttpCode(204)
  @ApiDeleteFunction()
  async delete(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('functionId')) functionId: string,
    @RequestOrigin() origin: MessageOrigin,
  ): Promise<void> {
    await this.functions.delete(caller.accountId, functionId, origin);
  }
}
