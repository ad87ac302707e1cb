import type { LoggerService } from '@nestjs/common';
import type { ServiceLogger } from './service-logger.js';

/**
 * Nest's own messages (start-up, routes, transport status, unexpected errors) as structured lines of
 * the service's logger. Nest's `log` is start-up chatter, so it is `debug`; `verbose` is `trace`.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: ServiceLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.logger.debug(fieldsOf(message, params), textOf(message));
  }

  error(message: unknown, ...params: unknown[]): void {
    this.logger.error(fieldsOf(message, params), textOf(message));
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.logger.warn(fieldsOf(message, params), textOf(message));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.logger.debug(fieldsOf(message, params), textOf(message));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.logger.trace(fieldsOf(message, params), textOf(message));
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.logger.fatal(fieldsOf(message, params), textOf(message));
  }
}

interface NestFields {
  context?: string;
  trace?: string;
  err?: Error;
}

// Nest passes `(message, ...params, context)`: the context, when there is one, comes last, and an
// error's stack as a string before it.
function fieldsOf(message: unknown, params: readonly unknown[]): NestFields {
  const fields: NestFields = {};
  if (message instanceof Error) fields.err = message;
  for (const param of params) {
    if (typeof param !== 'string') continue;
    if (isStack(param)) fields.trace = param;
    else fields.context = param;
  }
  return fields;
}

function textOf(message: unknown): string {
  if (message instanceof Error) return message.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(message) ?? String(message);
}

function isStack(text: string): boolean {
  return /\n\s+at .+/.test(text);
}
