import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { objectId } from '../http/object-id-parameter.js';
import { PageQuery, Paged } from '../http/page-parameters.js';
import type { Page, PageParameters } from '../http/page-parameters.js';
import { JsonBody } from '../http/request-body.js';
import { Creation, IdempotentRequests } from '../idempotency/idempotent-requests.js';
import type { CreationExchange, Created } from '../idempotency/idempotent-requests.js';
import { newScheduleBodySchema, scheduleChangesBodySchema } from './schedule-api-schemas.js';
import type { NewSchedule, ScheduleChangesBody } from './schedule-api-schemas.js';
import { ScheduleCatalog } from './schedule-catalog.js';
import type { ScheduleJson } from './schedule-json.js';
import {
  ApiChangeSchedule,
  ApiCreateSchedule,
  ApiDeleteSchedule,
  ApiGetSchedule,
  ApiListSchedules,
} from './schedule.openapi.js';

@Controller('v1/schedule')
export class ScheduleController {
  constructor(
    @Inject(ScheduleCatalog) private readonly schedules: ScheduleCatalog,
    @Inject(IdempotentRequests) private readonly idempotency: IdempotentRequests,
  ) {}

  /** 201 `{ "id" }`; once per Idempotency-Key. */
  @Post()
  @ApiCreateSchedule()
  create(
    @CurrentCaller() caller: Caller,
    @JsonBody(newScheduleBodySchema) schedule: NewSchedule,
    @Creation() creation: CreationExchange,
  ): Promise<Created> {
    return this.idempotency.create(caller.accountId, creation, (as) =>
      this.schedules.create(caller.accountId, schedule, as),
    );
  }

  /** The account's schedules, newest first, paged like the task list. */
  @Get('list')
  @Paged()
  @ApiListSchedules()
  list(
    @CurrentCaller() caller: Caller,
    @PageQuery() page: PageParameters,
  ): Promise<Page<ScheduleJson>> {
    return this.schedules.list(caller.accountId, page);
  }

  @Get(':id')
  @ApiGetSchedule()
  get(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('scheduleId')) scheduleId: string,
  ): Promise<ScheduleJson> {
    return this.schedules.get(caller.accountId, scheduleId);
  }

  /** Pause, resume or change: 200 with the schedule as it is afterwards. */
  @Patch(':id')
  @ApiChangeSchedule()
  change(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('scheduleId')) scheduleId: string,
    @JsonBody(scheduleChangesBodySchema) changes: ScheduleChangesBody,
  ): Promise<ScheduleJson> {
    return this.schedules.change(caller.accountId, scheduleId, changes);
  }

  /** 204; the schedule never fires again and answers 404 from now on. */
  @Delete(':id')
  @HttpCode(204)
  @ApiDeleteSchedule()
  async delete(
    @CurrentCaller() caller: Caller,
    @Param('id', objectId('scheduleId')) scheduleId: string,
  ): Promise<void> {
    await this.schedules.delete(caller.accountId, scheduleId);
  }
}
