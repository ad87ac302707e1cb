import { ContractViolationError, issueTaskErrorCodes } from '@canopy/contracts';
import type { ReplyError } from '@canopy/contracts';
import {
  EventIdConflictError,
  EventStoreUnavailableError,
  ExpectedVersionConflictError,
} from '@canopy/event-store';
import { TaskRuleViolation } from '@canopy/task-domain';

/** The function of an IssueTask request does not exist in the caller's account. */
export class FunctionNotFoundError extends Error {
  constructor(readonly functionId: string) {
    super(`no function ${functionId} in this account`);
    this.name = 'FunctionNotFoundError';
  }
}

/** How an error is answered at the NATS edge. */
export interface RpcFailure {
  readonly error: ReplyError;
  /** False when repeating the same request can only fail the same way. */
  readonly retry: boolean;
  /** False for a failure nobody anticipated: it deserves an error log with its stack. */
  readonly expected: boolean;
}

export const INTERNAL = 'INTERNAL';

export const internalErrorReply = {
  ok: false,
  error: { code: INTERNAL, message: 'the scheduler failed to handle the request' },
} as const;

/** The one translation of our error vocabulary into replies; never a stack trace in a reply. */
export function rpcFailureOf(error: unknown): RpcFailure {
  if (error instanceof ContractViolationError) {
    return {
      error: {
        code: issueTaskErrorCodes.CONTRACT_VIOLATION,
        message: error.message,
        ...(error.field === '' ? {} : { field: error.field }),
      },
      retry: false,
      expected: true,
    };
  }
  if (error instanceof FunctionNotFoundError) {
    return {
      error: { code: issueTaskErrorCodes.FUNCTION_NOT_FOUND, message: error.message },
      retry: false,
      expected: true,
    };
  }
  if (error instanceof TaskRuleViolation) {
    return { error: { code: error.code, message: error.message }, retry: false, expected: true };
  }
  if (error instanceof EventStoreUnavailableError) {
    return {
      error: { code: issueTaskErrorCodes.UNAVAILABLE, message: 'the event store is unavailable' },
      retry: true,
      expected: true,
    };
  }
  if (error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError) {
    // Still conflicting after the bounded retries: contention, worth another try later.
    return {
      error: {
        code: issueTaskErrorCodes.UNAVAILABLE,
        message: 'the task changed concurrently; try again',
      },
      retry: true,
      expected: true,
    };
  }
  return { error: internalErrorReply.error, retry: true, expected: false };
}
