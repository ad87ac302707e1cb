import { findAccountMetrics } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { READ_MODEL_DB } from '../gateway-tokens.js';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonResponse,
} from '../openapi/api-description.js';
import { accountMetricsSchema } from './metrics-schemas.js';
import type { AccountMetricsJson } from './metrics-schemas.js';

@Controller('v1/metrics')
export class MetricsController {
  constructor(@Inject(READ_MODEL_DB) private readonly db: Kysely<ReadModelDatabase>) {}

  /** GreenCloud's account metrics, from the counters the projector keeps (no count over tasks). */
  @Get()
  @ApiOperation({
    summary: "The account's metrics",
    description:
      "Counts of the caller's tasks and nodes, from counters the projector keeps up to date: a task issued a moment ago may not be counted yet.",
  })
  @ApiJsonResponse(200, {
    description: 'The metrics',
    schema: accountMetricsSchema,
    example: {
      pendingTasks: 3,
      pendingBuilds: 0,
      activeNodes: 2,
      freeNodes: 1,
      busyNodes: 1,
      todayTasks: 17,
      completedTasks: 120,
    },
  })
  @ApiErrorResponses(AUTHENTICATED_ROUTE_ERRORS)
  async metrics(@CurrentCaller() caller: Caller): Promise<AccountMetricsJson> {
    const metrics = await findAccountMetrics(this.db, caller.accountId, new Date());
    return {
      pendingTasks: metrics.pendingTasks,
      pendingBuilds: 0,
      activeNodes: metrics.activeNodes,
      freeNodes: metrics.freeNodes,
      busyNodes: metrics.busyNodes,
      todayTasks: metrics.todayTasks,
      completedTasks: metrics.completedTasks,
    };
  }
}
