import { ContractViolationError } from '@canopy/contracts';
import type { TaskResponse } from '@canopy/contracts';
import { platformResponse, responseFromResult } from './function-response.js';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import type { AttemptRef } from './slot-ledger.js';
import type { RunOutcome } from './task-run.js';

/**
 * The response to report for a finished run, or undefined when the attempt is handed back without
 * one. Logs how the run ended.
 */
export function responseToReport(
  ref: AttemptRef,
  outcome: RunOutcome,
  logger: NodeLogger,
): TaskResponse | undefined {
  switch (outcome.kind) {
    case 'responded':
      try {
        const response = responseFromResult(outcome.result);
        logger.info({ ...ref, status: response.status }, 'task finished');
        return response;
      } catch (failure) {
        const problem = errorSummary(failure);
        logger.warn({ ...ref, problem }, 'the handler returned an invalid response');
        return platformResponse(
          500,
          `The node's handler returned an invalid response (${
            failure instanceof ContractViolationError ? failure.message : 'unreadable'
          }).`,
        );
      }
    case 'threw':
      logger.error({ ...ref, reason: errorSummary(outcome.error) }, 'the handler failed');
      return platformResponse(500, 'The node failed to run the function.');
    case 'aborted': {
      const { abort } = outcome;
      switch (abort.kind) {
        case 'timeout':
          // The platform decides a timeout: the scheduler records TaskFailed(TIMEOUT, 504) on its
          // own clock. A node's 504 would make it look like the function's own answer.
          logger.info({ ...ref, timeout: abort.timeoutSeconds }, 'task timed out');
          return undefined;
        case 'cancelled':
          logger.info({ ...ref, reason: abort.reason }, 'task cancelled');
          return undefined;
        case 'stopping':
          logger.info(ref, 'task aborted: the node is stopping');
          return undefined;
        default: {
          const unknown: never = abort;
          throw new Error(`unknown task abort ${JSON.stringify(unknown)}`);
        }
      }
    }
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
    }
  }
}
