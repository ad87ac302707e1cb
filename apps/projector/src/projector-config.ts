import { commonConfigSchema, positiveInt } from '@canopy/service-runtime';
import type { z } from 'zod';

export const projectorConfigSchema = commonConfigSchema.safeExtend({
  /** Largest batch of events applied in one transaction. */
  PROJECTOR_BATCH_SIZE: positiveInt().max(10_000).default(500),
  /** While the projector is behind, how often it logs how far. */
  PROJECTOR_LAG_LOG_SECONDS: positiveInt().default(10),
});

export type ProjectorConfig = z.infer<typeof projectorConfigSchema>;
