import type { AccountMetrics, FunctionMetrics } from '@canopy/read-models';
import { z } from 'zod';

// The metrics response bodies as zod schemas, for the OpenAPI document. The checks below fail to
// compile when a schema and the type the code returns drift apart.

const countSchema = (description: string, example: number) =>
  z.int().min(0).meta({ description, example });

const pendingTasks = () =>
  countSchema('Tasks issued and not terminal yet: waiting for a node or running', 3);
const completedTasks = () =>
  countSchema(
    'Tasks that finished: the function answered, whatever its status (tasks the platform failed are not counted)',
    120,
  );

export const accountMetricsSchema = z
  .object({
    pendingTasks: pendingTasks(),
    pendingBuilds: z.literal(0).meta({
      description: 'Always 0: Canopy builds nothing (functions name what nodes run)',
    }),
    activeNodes: countSchema(
      "The account's registered nodes that are connected (announced, not left or lost) and not disabled",
      2,
    ),
    freeNodes: countSchema('Active nodes running no task', 1),
    busyNodes: countSchema('Active nodes running at least one task', 1),
    todayTasks: countSchema('Tasks issued today (UTC day)', 17),
    completedTasks: completedTasks(),
  })
  .meta({ description: "The caller's account at a glance" });

export const functionMetricsSchema = z
  .object({
    todaysTasks: countSchema('Tasks of the function issued today (UTC day)', 4),
    pendingTasks: pendingTasks(),
    weekTasks: countSchema('Tasks issued in the last 7 UTC days, today included', 31),
    completedTasks: completedTasks(),
  })
  .meta({ description: "The function's tasks at a glance" });

const latencySchema = (description: string, example: number) =>
  z
    .number()
    .min(0)
    .nullable()
    .meta({
      description: `${description}, in seconds (to the millisecond); null when none of the minute's tasks finished`,
      example,
    });

export const recentActivitySchema = z
  .object({
    minuteSeconds: z.literal(60).meta({ description: 'The length of each entry: one minute' }),
    minutes: z
      .array(
        z.object({
          at: z.string().meta({
            description: "The minute's first second (unix seconds)",
            example: '1678087200',
          }),
          issued: countSchema('Tasks issued in the minute', 12),
          finished: countSchema(
            'Of those, tasks that finished (the function answered, whatever its status)',
            11,
          ),
          failed: countSchema(
            'Of those, tasks the platform failed (timeout, no node, cancelled...)',
            0,
          ),
          latencyP50: latencySchema('Median time from issue to finish of the finished ones', 0.42),
          latencyP95: latencySchema('95th percentile of the same', 1.3),
        }),
      )
      .meta({
        description:
          'The last 60 minutes, oldest first, the current (unfinished) minute last; every minute is present',
      }),
  })
  .meta({
    description:
      "The caller's tasks of the last hour by the minute they were issued: how many, how they ended, how long they took",
  });

export type AccountMetricsJson = z.output<typeof accountMetricsSchema>;
export type RecentActivityJson = z.output<typeof recentActivitySchema>;
export type FunctionMetricsJson = z.output<typeof functionMetricsSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const accountBodyMatches: Same<AccountMetricsJson, AccountMetrics & { pendingBuilds: 0 }> = true;
const functionBodyMatches: Same<FunctionMetricsJson, FunctionMetrics> = true;
void accountBodyMatches;
void functionBodyMatches;
