import { commonConfigShape, positiveInt } from '@canopy/service-runtime';
import { z } from 'zod';

/** The scheduler's configuration: the common variables and its own (README.md lists them). */
export const schedulerConfigSchema = z
  .object({
    ...commonConfigShape,
    SCHEDULER_MAX_ATTEMPTS: positiveInt().default(3),
    SCHEDULER_PENDING_DEADLINE_SECONDS: positiveInt().default(300),
    SCHEDULER_HEARTBEAT_INTERVAL_MS: positiveInt().default(2_000),
    SCHEDULER_HEARTBEAT_TIMEOUT_MS: positiveInt().default(6_000),
    SCHEDULER_OFFER_TIMEOUT_MS: positiveInt().default(2_000),
  })
  .refine(
    (config) => config.EVENT_STORE !== 'eventstoredb' || config.EVENTSTORE_URL !== undefined,
    { path: ['EVENTSTORE_URL'], message: 'is required when EVENT_STORE=eventstoredb' },
  )
  .refine(
    (config) => config.SCHEDULER_HEARTBEAT_TIMEOUT_MS > config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
    {
      path: ['SCHEDULER_HEARTBEAT_TIMEOUT_MS'],
      message: 'must be greater than SCHEDULER_HEARTBEAT_INTERVAL_MS',
    },
  );

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
