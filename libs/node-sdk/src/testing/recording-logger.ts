import type { NodeLogger } from '../node-logger.js';

/** One line a {@link recordingLogger} kept. */
export interface RecordedLogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A node logger that keeps every line in `lines`, for tests of what a node logs. */
export function recordingLogger(lines: RecordedLogLine[]): NodeLogger {
  const at =
    (level: RecordedLogLine['level']) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
