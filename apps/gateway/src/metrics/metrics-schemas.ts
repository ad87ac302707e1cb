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

export type AccountMetricsJson = z.output<typeof accountMetricsSchema>;
export type FunctionMetricsJson = z.output<typeof functionMetricsSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const accountBodyMatches: Same<AccountMetricsJson, AccountMetrics & { pendingBuilds: 0 }> = true;
const functionBodyMatches: Same<FunctionMetricsJson, FunctionMetrics> = true;
void accountBodyMatches;
void functionBodyMatches;
