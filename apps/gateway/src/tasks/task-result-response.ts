import type { FastifyReply } from 'fastify';
import { ApiError, notFound } from '../http/api-error.js';
import { passedResultHeaders } from './result-headers.js';
import type { TaskOutcome } from './task-reads.js';

// GET /v1/task/:taskId/result answers with what the task came to: the function's own response once
// it finished, 202 while it has not, the platform's failure as an ApiError.

/** Longest `?wait` of a result request, in seconds. */
export const MAX_WAIT_SECONDS = 60;
const PENDING_RETRY_AFTER_SECONDS = 1;

export const failureMessages = {
  TIMEOUT: 'the function did not finish within its timeout',
  NO_RUNNER: 'no node able to run the function became available in time',
  NODE_LOST: 'the node running the task was lost and no attempt is left',
  CANCELLED: 'the task was cancelled',
} as const;

export async function sendTaskOutcome(
  taskId: string,
  outcome: TaskOutcome,
  reply: FastifyReply,
): Promise<void> {
  switch (outcome.kind) {
    case 'finished': {
      if (outcome.status < 200) {
        // An interim status cannot end an HTTP exchange.
        throw new ApiError(
          502,
          'INVALID_FUNCTION_RESPONSE',
          `the function answered with status ${outcome.status}`,
        );
      }
      void reply.code(outcome.status).headers(passedResultHeaders(outcome.headers));
      if (outcome.contentType !== null) void reply.header('content-type', outcome.contentType);
      await reply.send(outcome.body);
      return;
    }
    case 'failed':
      throw new ApiError(outcome.status, outcome.reason, failureMessages[outcome.reason]);
    case 'pending':
      await reply
        .code(202)
        .header('retry-after', String(PENDING_RETRY_AFTER_SECONDS))
        .header('cache-control', 'no-store')
        .send({ progress: outcome.progress, status: 0 });
      return;
    case 'missing':
      throw notFound(`no task ${taskId}`);
    default:
      return unknownOutcome(outcome);
  }
}

function unknownOutcome(outcome: never): never {
  throw new Error(`Unhandled task outcome ${JSON.stringify(outcome)}`);
}
