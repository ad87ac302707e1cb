import path from 'node:path';
import { z } from 'zod';
import { commonConfigShape, positiveInt, readConfig } from '@canopy/service-runtime';

// What the CLI reads from the environment, once. DATABASE_URL and NATS_URL stay optional here: when
// they are unset the CLI finds or starts local services instead of assuming the defaults.
const cliConfigSchema = z.object({
  DATABASE_URL: z.url().optional(),
  NATS_URL: z.string().min(1).optional(),
  EVENT_STORE: commonConfigShape.EVENT_STORE,
  EVENTSTORE_URL: commonConfigShape.EVENTSTORE_URL,
  LOG_LEVEL: commonConfigShape.LOG_LEVEL,
  PORT: positiveInt().default(3000),
  CANOPY_DATA_DIR: z.string().min(1).default('.data'),
  AUTH_TOKEN_SECRET: z.string().min(32).optional(),
});

export type CliConfig = z.infer<typeof cliConfigSchema> & { readonly dataDir: string };

export function readCliConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const config = readConfig(cliConfigSchema, env);
  return { ...config, dataDir: path.resolve(config.CANOPY_DATA_DIR) };
}
