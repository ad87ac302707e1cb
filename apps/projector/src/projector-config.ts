import { adminConfigShape } from '@canopy/observability';
import { commonConfigSchema, nonNegativeInt, positiveInt } from '@canopy/service-runtime';
import type { z } from 'zod';

export const projectorConfigSchema = commonConfigSchema.safeExtend({
  /** The admin listener (/metrics, /healthz, /readyz): ADMIN_PORT unset means none. */
  ...adminConfigShape,
  /** /readyz answers 503 while the oldest event not yet projected is older than this. */
  PROJECTOR_READY_LAG_SECONDS: positiveInt().default(30),
  /**
   * Largest batch of events applied in one transaction. A batch costs the same statements whatever
   * its size, and the more of a task's events it holds the fewer times the task's row is written:
   * large batches make catching up cheap; a projector that keeps up gets smaller ones anyway.
   */
  PROJECTOR_BATCH_SIZE: positiveInt().max(10_000).default(2000),
  /**
   * Once caught up, how long the projector lets new events gather before it reads them (0: read at
   * once). A batch costs the same statements whatever its size: under a steady trickle of commits,
   * reading at once makes a batch of every commit, and the projector and PostgreSQL spend their
   * CPU on those fixed costs; a few milliseconds' wait makes one batch of many commits. The read
   * models lag by up to this much more; results (`?wait`) do not wait for them.
   */
  PROJECTOR_LINGER_MS: nonNegativeInt().max(1_000).default(25),
  /**
   * The projector's CPU priority as a nice value (0 normal, 19 lowest; only ever lowered): on a
   * machine shared with the services a task's answers wait on, they go first and the projector
   * works in the gaps, in larger batches. Read models lag a little more under load; 0 turns it off.
   */
  PROJECTOR_NICE: nonNegativeInt().max(19).default(10),
  /** While the projector is behind, how often it logs how far. */
  PROJECTOR_LAG_LOG_SECONDS: positiveInt().default(10),
});

export type ProjectorConfig = z.infer<typeof projectorConfigSchema>;
