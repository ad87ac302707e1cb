import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

/**
 * A pino logger that keeps every line it writes, parsed, for a test to read: what a service logs
 * through the same logger type it runs with, no stream or transport in between.
 */
export function recordingLogger<Line = Record<string, unknown>>(
  options: LoggerOptions = {},
): { readonly logger: Logger; readonly lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino(options, {
    write: (line: string) => void lines.push(JSON.parse(line) as Line),
  });
  return { logger, lines };
}
