import { applyDecorators } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonResponse,
} from '../openapi/api-description.js';
import { accountMetricsSchema } from './metrics-schemas.js';

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
    ApiErrorResponses(AUTHENTICATED_ROUTE_ERRORS),
  );
