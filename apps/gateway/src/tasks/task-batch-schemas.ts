import { MAX_ISSUE_TASK_BATCH, taskIdSchema } from '@canopy/contracts';
import { z } from 'zod';
import { DECLARED_JSON_PROBLEM, breaksDeclaredJson } from '../http/request-body.js';
import { apiErrorBodySchema } from '../openapi/api-description.js';
import { contentTypeInput, queryInput, taskBodyInput } from '../schedules/schedule-api-schemas.js';

// POST /v1/task/:functionId/batch: the body is a JSON array of task requests, each checked on its
// own (one that is invalid is answered in its place, the others are issued); the answer is an array
// of the same length, in the same order.

/** The content type of a batch entry that does not give one, as for a schedule's tasks. */
const DEFAULT_BATCH_CONTENT_TYPE = 'application/json';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One task of a batch, in the terms of a single issue: the function's query, content type, body. */
export const taskBatchEntrySchema = z
  .strictObject({
    query: queryInput.default('').meta({
      description: 'The query string the function receives, without the leading `?`',
      example: 'city=Berlin',
    }),
    contentType: contentTypeInput.default(DEFAULT_BATCH_CONTENT_TYPE).meta({
      description: 'Content type of the body, or null for none; default `application/json`',
      example: 'application/json',
    }),
    body: taskBodyInput.default('').meta({
      description:
        'The body the function receives: a string as it is (UTF-8, or base64 with `bodyEncoding`), any other JSON value as its JSON text; default empty. Checked as JSON when the content type is JSON',
    }),
    bodyEncoding: z.enum(['utf8', 'base64']).default('utf8').meta({
      description:
        "`base64`: `body` is the body's bytes in base64 (RFC 4648, padded), for binary bodies; default `utf8`",
    }),
  })
  .superRefine((entry, context) => {
    if (entry.bodyEncoding === 'base64' && !BASE64.test(entry.body)) {
      context.addIssue({
        code: 'custom',
        path: ['body'],
        message: 'must be base64 (RFC 4648, padded) with bodyEncoding "base64"',
      });
      return;
    }
    if (breaksDeclaredJson(Buffer.from(entry.body, entry.bodyEncoding), entry.contentType)) {
      context.addIssue({ code: 'custom', path: ['body'], message: DECLARED_JSON_PROBLEM });
    }
  })
  .transform(({ query, contentType, body, bodyEncoding }) => ({
    query,
    contentType,
    body: bodyEncoding === 'base64' ? body : Buffer.from(body, 'utf8').toString('base64'),
  }));
export type TaskBatchEntry = z.output<typeof taskBatchEntrySchema>;

/** The request body as the OpenAPI document describes it (the controller checks entries one by one). */
export const taskBatchBodySchema = z
  .array(taskBatchEntrySchema)
  .min(1)
  .max(MAX_ISSUE_TASK_BATCH)
  .meta({ description: `1 to ${MAX_ISSUE_TASK_BATCH} task requests` });

export const issuedBatchEntrySchema = z.object({
  status: z.literal(201).meta({ description: 'The task is recorded' }),
  id: taskIdSchema.meta({ description: 'The new task', example: '63f47d24dab5eb85451f3b61' }),
});

export const refusedBatchEntrySchema = apiErrorBodySchema.extend({
  status: z.int().min(400).max(599).meta({
    description:
      'What a single POST of this request would have been answered: 400 invalid, 413 too large, 429 NO_QUOTA_AVAILABLE, 503 not recorded in time (try it again)',
    example: 400,
  }),
});

export const taskBatchAnswerSchema = z
  .array(z.union([issuedBatchEntrySchema, refusedBatchEntrySchema]))
  .meta({ description: 'One entry per request of the batch, in its order' });

export type TaskBatchAnswerEntry =
  z.output<typeof issuedBatchEntrySchema> | z.output<typeof refusedBatchEntrySchema>;
