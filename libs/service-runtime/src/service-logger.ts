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

/** Structured JSON logs on stdout, one line per entry, tagged with the service name. */
export function createServiceLogger(service: string, level: LevelWithSilent): ServiceLogger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
