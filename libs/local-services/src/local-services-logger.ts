/**
 * Where provisioning reports what it found and what it started. Structurally compatible with a
 * pino logger (and with `console`), so callers pass whatever they already have.
 */
export interface LocalServicesLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: LocalServicesLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
