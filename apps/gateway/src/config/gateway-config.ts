import { adminConfigShape } from '@canopy/observability';
import { commonConfigSchema, nonNegativeInt, positiveInt } from '@canopy/service-runtime';
import { z } from 'zod';

/** The gateway's environment variables (apps/gateway/README.md). */
export const gatewayConfigSchema = commonConfigSchema
  .safeExtend({
    /** 0 picks a free port (tests). */
    PORT: nonNegativeInt().max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Unset: /metrics is served on PORT beside the API. Set: /metrics (and /healthz, /readyz) on
     * this port of ADMIN_HOST instead, and not on PORT; 0 picks a free port.
     */
    ...adminConfigShape,
    /** Path of a JSON file holding the private Ed25519 JWK set that signs access tokens; watched. */
    AUTH_SIGNING_KEYS_FILE: z.string().min(1).optional(),
    /** The same JSON inline (no reload). Neither set: a random key per start. */
    AUTH_SIGNING_KEYS: z.string().min(1).optional(),
    AUTH_TOKEN_ISSUER: z.string().min(1).default('canopy'),
    AUTH_TOKEN_AUDIENCE: z.string().min(1).default('canopy-api'),
    AUTH_TOKEN_TTL_SECONDS: positiveInt().max(86_400).default(900),
    /** Requests per second per account, on average; 0 disables the limit. */
    RATE_LIMIT_PER_SECOND: nonNegativeInt().default(50),
    /** Requests an account may make at once; 0 disables the limit. */
    RATE_LIMIT_BURST: nonNegativeInt().default(100),
    /** Key exchanges (POST /v1/auth/apiKey) per second per client address; 0 disables the limit. */
    RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: nonNegativeInt().default(10),
    /**
     * Where the counts of the rate limits live: `postgres`, shared by every gateway on the database;
     * `memory`, in each gateway process (N gateways allow N times the rates).
     */
    RATE_LIMIT_STORE: z.enum(['postgres', 'memory']).default('postgres'),
    GATEWAY_BODY_LIMIT_BYTES: positiveInt().default(1_048_576),
    /** Largest body of POST /v1/task/:functionId/batch (each task's body stays within the one above). */
    GATEWAY_BATCH_BODY_LIMIT_BYTES: positiveInt().default(16_777_216),
    GATEWAY_ISSUE_TIMEOUT_MS: positiveInt().default(5000),
    /** The web console's build, served at /console (default: apps/console/dist beside this app). */
    CONSOLE_DIR: z.string().min(1).optional(),
    /** How long an Idempotency-Key is remembered (at most 30 days). */
    IDEMPOTENCY_TTL_SECONDS: positiveInt().max(2_592_000).default(86_400),
  })
  .refine(
    (config) =>
      config.AUTH_SIGNING_KEYS === undefined || config.AUTH_SIGNING_KEYS_FILE === undefined,
    {
      path: ['AUTH_SIGNING_KEYS'],
      message: 'set either AUTH_SIGNING_KEYS or AUTH_SIGNING_KEYS_FILE, not both',
    },
  );

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
