import { commonConfigShape, positiveInt } from '@canopy/service-runtime';
import { z } from 'zod';

/** The gateway's environment variables (apps/gateway/README.md). */
export const gatewayConfigSchema = z
  .object({
    ...commonConfigShape,
    /** 0 picks a free port (tests). */
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** HMAC secret of the access tokens; at least 32 characters. Unset: a random one per start. */
    AUTH_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_TOKEN_TTL_SECONDS: positiveInt().max(86_400).default(900),
    GATEWAY_BODY_LIMIT_BYTES: positiveInt().default(1_048_576),
    GATEWAY_ISSUE_TIMEOUT_MS: positiveInt().default(5000),
  })
  .refine(
    (config) => config.EVENT_STORE !== 'eventstoredb' || config.EVENTSTORE_URL !== undefined,
    { path: ['EVENTSTORE_URL'], message: 'is required when EVENT_STORE=eventstoredb' },
  );

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
