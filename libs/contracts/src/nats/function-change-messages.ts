import { z } from 'zod';
import { parseContract } from '../contract-violation.js';
import { functionIdSchema } from '../identifiers.js';
import { refusalSchema } from './reply-error.js';

/**
 * Gateway → leading scheduler on LEADER_FUNCTION_CHANGED_SUBJECT, once a change or deletion of a
 * function is in the event store and before the gateway answers it: the function's stream is now at
 * `version`. The leader replies once the function as it issues tasks is at that version or later,
 * so a task issued after the answer is issued against the change. Repeating the notice is
 * harmless.
 */
export const functionChangedNoticeSchema = z.object({
  functionId: functionIdSchema,
  /** The function stream's version after the change. */
  version: z.int().min(1),
});
export type FunctionChangedNotice = z.infer<typeof functionChangedNoticeSchema>;

/** Error codes of a FunctionChanged notice the leader could not act on. */
export const functionChangedErrorCodes = {
  /** The notice did not match its schema; `field` names the problem. */
  CONTRACT_VIOLATION: 'CONTRACT_VIOLATION',
  /** The event store did not answer: the leader's memory may still hold the version before. */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;

/** `version`: the version of the function the leader holds now (0: the function has no stream). */
export const functionChangedReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), version: z.int().min(0) }),
  refusalSchema,
]);
export type FunctionChangedReply = z.infer<typeof functionChangedReplySchema>;

export function parseFunctionChangedNotice(value: unknown): FunctionChangedNotice {
  return parseContract(functionChangedNoticeSchema, 'FunctionChanged notice', value);
}

export function parseFunctionChangedReply(value: unknown): FunctionChangedReply {
  return parseContract(functionChangedReplySchema, 'FunctionChanged reply', value);
}
