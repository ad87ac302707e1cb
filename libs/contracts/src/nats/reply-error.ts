import { z } from 'zod';

/** The error half of every `{ ok: false }` reply. */
export const replyErrorSchema = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE_CASE code'),
  message: z.string(),
  /** Dotted path of the offending field, when the request itself was invalid. */
  field: z.string().optional(),
});
export type ReplyError = z.infer<typeof replyErrorSchema>;

/**
 * Every refusal the scheduler sends: `retry` says whether the same request may succeed later
 * (required in node report acknowledgements, informative elsewhere).
 */
export const refusalSchema = z.object({
  ok: z.literal(false),
  error: replyErrorSchema,
  retry: z.boolean().optional(),
});
