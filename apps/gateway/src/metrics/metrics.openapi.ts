import { applyDecorators } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ApiAuthenticatedRouteErrors, ApiJsonResponse } from '../openapi/api-description.js';
import { accountMetricsSchema, recentActivitySchema } from './metrics-schemas.js';

// The OpenAPI description of MetricsController's operation (openapi/api-description.ts).

export const ApiAccountMetrics = () =>
  applyDecorators(
    ApiOperation({
      summary: "The account's metrics",
      description:
        "Counts of the caller's tasks and nodes, from counters the projector keeps up to date: a task issued a moment ago may not be counted yet.",
    }),
    ApiJsonResponse(200, {
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
    }),
    ApiAuthenticatedRouteErrors(),
  );

export const ApiRecentActivity = () =>
  applyDecorators(
    ApiOperation({
      summary: "The account's last hour, minute by minute",
      description:
        "For each of the last 60 minutes (the current one last), the caller's tasks issued in it: how many, how many finished or failed, and the median and 95th percentile of their time from issue to finish. Tasks count in the minute they were issued, from the read models: a task issued a moment ago may not be counted yet, and one still running counts as issued only.",
    }),
    ApiJsonResponse(200, {
      description: 'The minutes',
      schema: recentActivitySchema,
      example: {
        minuteSeconds: 60,
        minutes: [
          {
            at: '1678087140',
            issued: 0,
            finished: 0,
            failed: 0,
            latencyP50: null,
            latencyP95: null,
          },
          {
            at: '1678087200',
            issued: 12,
            finished: 11,
            failed: 1,
            latencyP50: 0.42,
            latencyP95: 1.3,
          },
        ],
      },
    }),
    ApiAuthenticatedRouteErrors(),
  );
