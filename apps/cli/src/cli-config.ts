import path from 'node:path';
import { z } from 'zod';
import { commonConfigShape, positiveInt, readConfig } from '@canopy/service-runtime';

// What the CLI reads from the environment, once. DATABASE_URL and NATS_URL stay optional here: when
// they are unset the CLI finds or starts local services instead of assuming the defaults.
const cliConfigSchema = z.object({
  DATABASE_URL: z.url().optional(),
  NATS_URL: z.string().min(1).optional(),
  /** With NATS_URL: the services' credentials, passed on as they are (the operator's to provide). */
  NATS_CREDS: commonConfigShape.NATS_CREDS,
  /** Where the NATS authority is kept; default `<data dir>/nats/authority.json`. */
  NATS_AUTHORITY_FILE: commonConfigShape.NATS_AUTHORITY_FILE,
  /** `true`: run NATS without authentication, as before JWT auth existed (same as --insecure-nats). */
  CANOPY_NATS_INSECURE: z.enum(['true', 'false']).default('false'),
  /** Port of the secured nats-server `canopy start` spawns; default 4223 (another free port if taken). */
  CANOPY_NATS_PORT: positiveInt().max(65_535).optional(),
  EVENT_STORE: commonConfigShape.EVENT_STORE,
  EVENTSTORE_URL: commonConfigShape.EVENTSTORE_URL,
  LOG_LEVEL: commonConfigShape.LOG_LEVEL,
  PORT: positiveInt().default(3000),
  CANOPY_DATA_DIR: z.string().min(1).default('.data'),
  /** Passed to the gateway; checked there. */
  AUTH_SIGNING_KEYS: z.string().min(1).optional(),
  AUTH_SIGNING_KEYS_FILE: z.string().min(1).optional(),
});

export type CliConfig = z.infer<typeof cliConfigSchema> & { readonly dataDir: string };

export function readCliConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const config = readConfig(cliConfigSchema, env);
  return { ...config, dataDir: path.resolve(config.CANOPY_DATA_DIR) };
}
