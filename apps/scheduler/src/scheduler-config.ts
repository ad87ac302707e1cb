import { commonConfigSchema, positiveInt } from '@canopy/service-runtime';
import { z } from 'zod';

/** The scheduler's configuration: the common variables and its own (README.md lists them). */
export const schedulerConfigSchema = commonConfigSchema
  .safeExtend({
    SCHEDULER_MAX_ATTEMPTS: positiveInt().default(3),
    SCHEDULER_PENDING_DEADLINE_SECONDS: positiveInt().default(300),
    SCHEDULER_HEARTBEAT_INTERVAL_MS: positiveInt().default(2_000),
    SCHEDULER_HEARTBEAT_TIMEOUT_MS: positiveInt().default(6_000),
    SCHEDULER_OFFER_TIMEOUT_MS: positiveInt().default(2_000),
    /** Unfinished tasks an account may have; an IssueTask beyond is refused. 0 = no limit. */
    MAX_WAITING_TASKS_PER_ACCOUNT: z.coerce.number().int().min(0).default(10_000),
    /** A schedule's tick overdue by more than this is missed: of missed ticks only the latest fires. */
    SCHEDULER_MISSED_TICK_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(10),
  })
  .refine(
    (config) => config.SCHEDULER_HEARTBEAT_TIMEOUT_MS > config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
    {
      path: ['SCHEDULER_HEARTBEAT_TIMEOUT_MS'],
      message: 'must be greater than SCHEDULER_HEARTBEAT_INTERVAL_MS',
    },
  );

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
