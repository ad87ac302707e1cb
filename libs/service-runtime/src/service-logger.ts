import { activeTraceLogFields } from '@canopy/observability';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type ServiceLogger = Logger;

// Anything that could carry a secret or a task's payload is removed before a line is written.
const redactedPaths = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  'accessToken',
  'apiKey',
  'key',
  'password',
  'credentials',
  'creds',
  'seed',
  '*.credentials',
  '*.creds',
  'body',
  'request.body',
  'response.body',
  '*.body',
];

export interface ServiceLoggerOptions {
  /**
   * Each line logged inside a span carries its `trace_id` and `span_id` (set while tracing is on:
   * without it, no line is looked at for a span).
   */
  readonly traceIds?: boolean;
}

/** Structured JSON logs on stdout, one line per entry, tagged with the service name. */
export function createServiceLogger(
  service: string,
  level: LevelWithSilent,
  options: ServiceLoggerOptions = {},
): ServiceLogger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.traceIds === true ? { mixin: activeTraceLogFields } : {}),
  });
}
