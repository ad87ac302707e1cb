import type { LoggerService } from '@nestjs/common';
import type { ServiceLogger } from '@canopy/service-runtime';

/** Nest's own log lines (start-up, transport status) go through the service's pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: ServiceLogger) {}

  log(message: unknown, ...context: unknown[]): void {
    this.logger.info(fields(context), text(message));
  }

  error(message: unknown, ...context: unknown[]): void {
    this.logger.error(fields(context), text(message));
  }

  warn(message: unknown, ...context: unknown[]): void {
    this.logger.warn(fields(context), text(message));
  }

  debug(message: unknown, ...context: unknown[]): void {
    this.logger.debug(fields(context), text(message));
  }

  verbose(message: unknown, ...context: unknown[]): void {
    this.logger.trace(fields(context), text(message));
  }

  fatal(message: unknown, ...context: unknown[]): void {
    this.logger.fatal(fields(context), text(message));
  }
}

function text(message: unknown): string {
  if (message instanceof Error) return message.message;
  return typeof message === 'string' ? message : JSON.stringify(message);
}

function fields(context: unknown[]): { nest: string } | Record<string, never> {
  const last = context.at(-1);
  return typeof last === 'string' ? { nest: last } : {};
}
