import { isObjectId } from '@canopy/contracts';
import type { PipeTransform } from '@nestjs/common';
import { invalidParameter } from './api-error.js';

/** A path or query parameter that must be a task, function or schedule id. */
export function objectIdParameter(name: string, value: unknown): string {
  if (typeof value === 'string' && isObjectId(value)) return value;
  throw invalidParameter(name, 'must be 24 lower-case hexadecimal characters');
}

/** `@Param('id', objectId('taskId'))`: the parameter as an id, or a 400 naming it `taskId`. */
export function objectId(name: string): PipeTransform<unknown, string> {
  return { transform: (value) => objectIdParameter(name, value) };
}
