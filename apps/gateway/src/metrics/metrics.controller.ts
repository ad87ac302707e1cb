import { findAccountMetrics } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { Controller, Get, Inject } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { READ_MODEL_DB } from '../gateway-tokens.js';
import type { AccountMetricsJson } from './metrics-schemas.js';
import { ApiAccountMetrics } from './metrics.openapi.js';

@Controller('v1/metrics')
export class MetricsController {
  constructor(@Inject(READ_MODEL_DB) private readonly db: Kysely<ReadModelDatabase>) {}

  /** GreenCloud's account metrics, from the counters the projector keeps (no count over tasks). */
  @Get()
  @ApiAccountMetrics()
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
