import { adminConfigShape } from '@canopy/observability';
import { commonConfigSchema, nonNegativeInt, positiveInt } from '@canopy/service-runtime';
import type { z } from 'zod';

/** The scheduler's configuration: the common variables and its own (README.md lists them). */
export const schedulerConfigSchema = commonConfigSchema
  .safeExtend({
    /** The admin listener (/metrics, /healthz, /readyz): ADMIN_PORT unset means none. */
    ...adminConfigShape,
    SCHEDULER_MAX_ATTEMPTS: positiveInt().default(3),
    SCHEDULER_PENDING_DEADLINE_SECONDS: positiveInt().default(300),
    SCHEDULER_HEARTBEAT_INTERVAL_MS: positiveInt().default(2_000),
    SCHEDULER_HEARTBEAT_TIMEOUT_MS: positiveInt().default(6_000),
    SCHEDULER_OFFER_TIMEOUT_MS: positiveInt().default(2_000),
    /** Unfinished tasks an account may have; an IssueTask beyond is refused. 0 = no limit. */
    MAX_WAITING_TASKS_PER_ACCOUNT: nonNegativeInt().default(10_000),
    /**
     * How long the leader's lease lasts without renewal: a standby takes over within about this long
     * after the leader dies (within a sixth of it after a graceful stop).
     */
    SCHEDULER_LEASE_TTL_MS: positiveInt().min(300).default(3_000),
    /**
     * After an outage of the platform (event store, NATS, no leader), no deadline of an active task
     * falls due for at least this long, so that results nodes could not deliver meanwhile can arrive.
     */
    SCHEDULER_OUTAGE_GRACE_MS: nonNegativeInt().default(30_000),
    /**
     * Waiting this long counts as one priority level more (aging): the rule in README.md, "Priority
     * and delay".
     */
    SCHEDULER_PRIORITY_AGING_SECONDS: positiveInt().max(86_400).default(60),
    /**
     * How long the scheduler may wait before reading back its own appends from the event store (it
     * applied them as it made them): one read per this long instead of one per commit. Appends of
     * other replicas are read at once. 0: at once.
     */
    SCHEDULER_OWN_COMMITS_READ_DELAY_MS: nonNegativeInt().max(1_000).default(20),
    /**
     * How long a standby waits for the leader's answer to an issue request it handed on, before it
     * records the task itself; 0: a standby records what it takes itself.
     */
    SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS: nonNegativeInt().max(10_000).default(500),
    /** A schedule's tick overdue by more than this is missed: of missed ticks only the latest fires. */
    SCHEDULER_MISSED_TICK_GRACE_SECONDS: nonNegativeInt().max(86_400).default(10),
  })
  .refine(
    (config) => config.SCHEDULER_HEARTBEAT_TIMEOUT_MS > config.SCHEDULER_HEARTBEAT_INTERVAL_MS,
    {
      path: ['SCHEDULER_HEARTBEAT_TIMEOUT_MS'],
      message: 'must be greater than SCHEDULER_HEARTBEAT_INTERVAL_MS',
    },
  );

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
