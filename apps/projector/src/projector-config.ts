import { commonConfigShape, positiveInt } from '@canopy/service-runtime';
import { z } from 'zod';

export const projectorConfigSchema = z
  .object({
    ...commonConfigShape,
    /** Largest batch of events applied in one transaction. */
    PROJECTOR_BATCH_SIZE: positiveInt().max(10_000).default(500),
    /** While the projector is behind, how often it logs how far. */
    PROJECTOR_LAG_LOG_SECONDS: positiveInt().default(10),
  })
  .refine(
    (config) => config.EVENT_STORE !== 'eventstoredb' || config.EVENTSTORE_URL !== undefined,
    { path: ['EVENTSTORE_URL'], message: 'is required when EVENT_STORE=eventstoredb' },
  );

export type ProjectorConfig = z.infer<typeof projectorConfigSchema>;
