import { isObjectId } from '@canopy/contracts';
import { invalidParameter } from './api-error.js';

/** A path or query parameter that must be a task, function or schedule id. */
export function objectIdParameter(name: string, value: unknown): string {
  if (typeof value === 'string' && isObjectId(value)) return value;
  throw invalidParameter(name, 'must be 24 lower-case hexadecimal characters');
}
