import { writeSync } from 'node:fs';
import type { LevelWithSilent } from 'pino';
import { startTracing, type RunningTracing, type TracingPlan } from '@canopy/observability';
import {
  createServiceLogger,
  type ServiceLogger,
  type ServiceLoggerOptions,
} from './service-logger.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The parts of its process a service's start and stop touch: the real one, or a test's. */
export interface ServiceProcess {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The arguments after the script's path. */
  readonly args: readonly string[];
  /** Writes to stderr at once: the process may exit right after. */
  writeError(text: string): void;
  exit(code: number): void;
  onceSignal(signal: StopSignal, listener: (signal: StopSignal) => void): void;
  /** An exception nothing caught, or a promise rejection nothing handled. */
  onCrash(listener: (error: unknown) => void): void;
  createLogger(
    service: string,
    level: LevelWithSilent,
    options: ServiceLoggerOptions,
  ): ServiceLogger;
  /** Starts the process's tracing as planned (nothing when the plan says off). */
  startTracing(service: string, plan: TracingPlan, logger: ServiceLogger): RunningTracing;
  /**
   * Names the PostgreSQL connections the process opens from now on (their `application_name`, as
   * `pg_stat_activity` shows it), unless PGAPPNAME names them already.
   */
  nameDatabaseConnections(applicationName: string): void;
}

/** This Node process: logs on stdout, problems with the configuration on stderr. */
export const nodeProcess: ServiceProcess = {
  get env() {
    return process.env;
  },
  get args() {
    return process.argv.slice(2);
  },
  writeError: (text) => {
    writeSync(2, text);
  },
  exit: (code) => process.exit(code),
  onceSignal: (signal, listener) => {
    process.once(signal, listener);
  },
  // With an uncaughtException listener, an unhandled rejection arrives there too.
  onCrash: (listener) => {
    process.on('uncaughtException', listener);
  },
  createLogger: createServiceLogger,
  startTracing: (service, plan, logger) => startTracing(`canopy-${service}`, plan, { logger }),
  // node-postgres takes a connection's application_name from PGAPPNAME unless its pool names one.
  nameDatabaseConnections: (applicationName) => {
    process.env['PGAPPNAME'] ??= applicationName;
  },
};
