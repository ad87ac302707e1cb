import { z } from 'zod';
import { natsServers } from './nats-servers.js';

/** Start-up configuration that does not hold: every problem, one per line, named by variable. */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads a service's configuration once, at start-up, from an environment-like record. Each app
 * declares its own zod object whose keys are the variable names; nothing else reads process.env.
 */
export function readConfig<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: Readonly<Record<string, string | undefined>>,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .map((name) => [name, env[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigurationError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`),
  );
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every Canopy service understands. */
export const commonConfigShape = {
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/canopy'),
  /** One NATS server URL, or several separated by commas (read with natsServers). */
  NATS_URL: z
    .string()
    .min(1)
    .refine(
      (url) => natsServers(url).every((server) => server !== ''),
      'must be server URLs separated by commas, without empty entries',
    )
    .default('nats://127.0.0.1:4222'),
  /** Path of the service's NATS `.creds` file (user JWT and seed); unset for a server without authentication. */
  NATS_CREDS: z.string().min(1).optional(),
  /** Path of the NATS authority file, for the services that mint or revoke node credentials. */
  NATS_AUTHORITY_FILE: z.string().min(1).optional(),
  EVENT_STORE: z.enum(['postgres', 'eventstoredb']).default('postgres'),
  EVENTSTORE_URL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
};

export const EVENTSTORE_URL_REQUIRED = 'is required when EVENT_STORE=eventstoredb';

/**
 * The common variables and the rules between them. A service's schema extends it with
 * `commonConfigSchema.safeExtend({ ...its own variables })`, which keeps the rules.
 */
export const commonConfigSchema = z
  .object(commonConfigShape)
  .refine(
    (config) => config.EVENT_STORE !== 'eventstoredb' || config.EVENTSTORE_URL !== undefined,
    {
      path: ['EVENTSTORE_URL'],
      message: EVENTSTORE_URL_REQUIRED,
      // Checked even when other variables are invalid, so that one start names every problem.
      when: ({ issues }) =>
        !issues.some(({ path = [] }) => path[0] === 'EVENT_STORE' || path[0] === 'EVENTSTORE_URL'),
    },
  );
export type CommonConfig = z.infer<typeof commonConfigSchema>;

/** Positive integer read from an environment variable. */
export const positiveInt = () => z.coerce.number().int().positive();

/** Integer from 0 up read from an environment variable (0 usually switching something off). */
export const nonNegativeInt = () => z.coerce.number().int().min(0);
