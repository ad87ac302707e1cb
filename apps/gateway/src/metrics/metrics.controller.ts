import { findAccountMetrics, findRecentTaskActivity } from '@canopy/read-models';
import type { ReadModelDatabase } from '@canopy/read-models';
import { Controller, Get, Inject } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { READ_MODEL_DB } from '../gateway-tokens.js';
import type { AccountMetricsJson, RecentActivityJson } from './metrics-schemas.js';
import { ApiAccountMetrics, ApiRecentActivity } from './metrics.openapi.js';
import { unixSeconds } from '../tasks/task-json.js';

const RECENT_MINUTES = 60;

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

  /** The last hour by minute of issue (read-models' task-activity-queries.ts: one index range scan). */
  @Get('recent')
  @ApiRecentActivity()
  async recent(@CurrentCaller() caller: Caller): Promise<RecentActivityJson> {
    const minutes = await findRecentTaskActivity(
      this.db,
      caller.accountId,
      new Date(),
      RECENT_MINUTES,
    );
    return {
      minuteSeconds: 60,
      minutes: minutes.map((minute) => ({
        at: unixSeconds(minute.startsAt),
        issued: minute.issued,
        finished: minute.finished,
        failed: minute.failed,
        latencyP50: minute.latencyP50,
        latencyP95: minute.latencyP95,
      })),
    };
  }
}
