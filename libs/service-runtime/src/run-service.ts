import type { LevelWithSilent } from 'pino';
import type { z } from 'zod';
import {
  shutdownTracingWithin,
  tracingConfigSchema,
  tracingPlanOf,
  type RunningTracing,
} from '@canopy/observability';
import { ConfigurationError, readConfig } from './service-config.js';
import { nodeProcess, type ServiceProcess } from './service-process.js';
import type { ServiceLogger } from './service-logger.js';
import { stopOnSignals } from './shutdown.js';

/** How a service's process ends. */
export const ServiceExitCode = {
  /** Stopped on SIGINT / SIGTERM, or a one-shot command finished. */
  done: 0,
  /** Could not start, failed, crashed, or did not stop cleanly in time. */
  failed: 1,
  /** Its configuration (environment or arguments) is invalid; stderr names every problem. */
  badConfiguration: 2,
} as const;

/** A started service, running until it is stopped. */
export interface RunningService {
  stop(): Promise<void>;
}

/**
 * Starts the service from its configuration. Resolves with the running service, or with nothing
 * for a one-shot command that has finished. Throws ConfigurationError for invalid arguments.
 */
export type StartService<Config> = (
  config: Config,
  logger: ServiceLogger,
  args: readonly string[],
) => Promise<RunningService | undefined>;

type ServiceShape = z.ZodRawShape & { readonly LOG_LEVEL: z.ZodType<LevelWithSilent> };

/** The longest a stopping service waits for its last spans to be sent. */
const TRACING_FLUSH_MS = 3_000;

/**
 * A service's whole process: reads and validates its configuration from the environment, once,
 * creates its logger, names its PostgreSQL connections `canopy-<name>` (PGAPPNAME, when set, wins),
 * starts tracing when the OTEL_* variables ask for it (`tracingConfigShape`),
 * starts the service and stops it on SIGINT / SIGTERM. Exits with a ServiceExitCode: 2
 * for a bad configuration (every problem on stderr), 1 for a failed start or a crash (logged as
 * fatal), 0 once it stopped or its one-shot command finished.
 */
export async function runService<Shape extends ServiceShape>(
  name: string,
  schema: z.ZodObject<Shape>,
  start: StartService<z.infer<z.ZodObject<Shape>>>,
  host: ServiceProcess = nodeProcess,
): Promise<void> {
  const refuse = (error: ConfigurationError) => {
    host.writeError(`${name}: ${error.message}\n`);
    host.exit(ServiceExitCode.badConfiguration);
  };
  let config: z.infer<z.ZodObject<Shape>>;
  let tracingConfig: z.infer<typeof tracingConfigSchema>;
  try {
    // Both read before either is refused, so that one start names every problem.
    const problems: string[] = [];
    const read = <T>(reading: () => T): T | undefined => {
      try {
        return reading();
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        problems.push(...error.problems);
        return undefined;
      }
    };
    const service = read(() => readConfig(schema, host.env));
    const tracing = read(() => readConfig(tracingConfigSchema, host.env));
    if (service === undefined || tracing === undefined) throw new ConfigurationError(problems);
    config = service;
    tracingConfig = tracing;
  } catch (error) {
    if (error instanceof ConfigurationError) refuse(error);
    else {
      host.writeError(`${name}: cannot read the configuration: ${String(error)}\n`);
      host.exit(ServiceExitCode.failed);
    }
    return;
  }
  // ServiceShape requires the variable; TypeScript cannot see it through z.infer of a generic shape.
  const { LOG_LEVEL } = config as { readonly LOG_LEVEL: LevelWithSilent };
  const plan = tracingPlanOf(tracingConfig);
  const logger = host.createLogger(name, LOG_LEVEL, { traceIds: plan.enabled });
  host.onCrash((error) => {
    logger.fatal({ err: error }, `${name} crashed`);
    host.exit(ServiceExitCode.failed);
  });
  host.nameDatabaseConnections(`canopy-${name}`);
  const tracing = host.startTracing(name, plan, logger);
  if (tracing.enabled) logger.info({ tracing: plan }, 'tracing on');
  let running: RunningService | undefined;
  try {
    running = await start(config, logger, host.args);
  } catch (error) {
    if (error instanceof ConfigurationError) refuse(error);
    else {
      logger.fatal({ err: error }, `${name} failed`);
      host.exit(ServiceExitCode.failed);
    }
    return;
  }
  if (running === undefined) {
    await flush(tracing, logger);
    host.exit(ServiceExitCode.done);
    return;
  }
  const service = running;
  stopOnSignals(
    logger,
    async () => {
      await service.stop();
      await flush(tracing, logger);
    },
    undefined,
    host,
  );
}

// The spans of the last moments are worth a short wait, not a stop that overruns its grace.
async function flush(tracing: RunningTracing, logger: ServiceLogger): Promise<void> {
  if (!(await shutdownTracingWithin(tracing, TRACING_FLUSH_MS))) {
    logger.warn({ waitedMs: TRACING_FLUSH_MS }, 'the last spans were not all sent');
  }
}
