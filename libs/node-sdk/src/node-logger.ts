import { pino } from 'pino';

/**
 * Where the node writes its structured logs. A pino logger fits as is; any object with these four
 * methods does. When it also has a `child(bindings)` method, as pino's does, the node calls it once
 * for a logger that adds its id to every line. The SDK logs task ids, subjects and error codes;
 * never request or response bodies, never credentials.
 */
export interface NodeLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export function defaultNodeLogger(): NodeLogger {
  return pino({ name: 'canopy-node' });
}

/**
 * A logger that adds `bindings` (e.g. the node id) to every line: the logger's own child when it can
 * make one (pino writes a child's bindings once, where copying them into the fields of every call
 * costs more than the call itself when its level is off).
 */
export function withFields(logger: NodeLogger, bindings: Record<string, unknown>): NodeLogger {
  if (hasChildren(logger)) return logger.child(bindings);
  return {
    debug: (fields, message) => logger.debug({ ...bindings, ...fields }, message),
    info: (fields, message) => logger.info({ ...bindings, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bindings, ...fields }, message),
    error: (fields, message) => logger.error({ ...bindings, ...fields }, message),
  };
}

function hasChildren(
  logger: NodeLogger,
): logger is NodeLogger & { child(bindings: Record<string, unknown>): NodeLogger } {
  return typeof (logger as { child?: unknown }).child === 'function';
}

/** Name and message of an error, without its stack or any attached data (which may carry payloads). */
export function errorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
