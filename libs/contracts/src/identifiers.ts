import { z } from 'zod';

const OBJECT_ID = /^[0-9a-f]{24}$/;
// Node ids become NATS subject tokens, so they must never contain '.', '*', '>' or whitespace.
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Task, function, schedule and account ids: 24 lower-case hex characters, as GreenCloud's MongoDB ObjectIds. */
export const objectIdSchema = z
  .string()
  .regex(OBJECT_ID, 'must be 24 lower-case hexadecimal characters');
export const taskIdSchema = objectIdSchema;
export const functionIdSchema = objectIdSchema;
export const scheduleIdSchema = objectIdSchema;
export const accountIdSchema = objectIdSchema;

/** 1 to 64 of `A-Z a-z 0-9 _ -`: safe as a single NATS subject token. */
export const nodeIdSchema = z
  .string()
  .regex(NODE_ID, 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"');

/** ISO 8601 UTC time with a `Z` suffix, e.g. `2024-06-22T21:05:48Z` or `2024-06-22T21:05:48.123Z`. */
export const utcTimeSchema = z.iso.datetime(
  'must be an ISO 8601 UTC time such as 2024-06-22T21:05:48Z',
);

/** Bytes as padded standard base64 (RFC 4648); '' is the empty body. */
export const base64Schema = z.base64('must be base64 (RFC 4648, padded)');

/** Report ids a node generates so the scheduler can drop duplicate deliveries. */
export const reportIdSchema = z.uuid('must be a UUID');

export const attemptSchema = z.int().min(1);

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

export function isNodeId(value: string): boolean {
  return NODE_ID.test(value);
}
