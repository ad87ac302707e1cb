import {
  ContractViolationError,
  NODE_DISABLED,
  RuleViolation,
  UNKNOWN_NODE,
  issueTaskErrorCodes,
} from '@canopy/contracts';
import type { ReplyError } from '@canopy/contracts';
import {
  EventIdConflictError,
  EventStoreUnavailableError,
  ExpectedVersionConflictError,
} from '@canopy/event-store';

// The scheduler's own refusals, thrown by its handlers and answered by the one RPC filter.

/** The function of an IssueTask request does not exist in the caller's account. */
export class FunctionNotFoundError extends Error {
  constructor(readonly functionId: string) {
    super(`no function ${functionId} in this account`);
    this.name = 'FunctionNotFoundError';
  }
}

/** The account is at its limit of unfinished tasks: the task was not issued. */
export class NoQuotaAvailableError extends Error {
  constructor(readonly limit: number) {
    super(`the account already has ${limit} unfinished tasks`);
    this.name = 'NoQuotaAvailableError';
  }
}

/** The node's owner disabled it: whatever it sends is refused until it is enabled again. */
export class NodeDisabledError extends Error {
  constructor(readonly nodeId: string) {
    super("the node's owner disabled it; it may announce again once it is restored");
    this.name = 'NodeDisabledError';
  }
}

/** A heartbeat from a node this scheduler does not know: it must announce itself. */
export class UnknownNodeError extends Error {
  constructor(readonly nodeId: string) {
    super('this scheduler does not know the node: announce it');
    this.name = 'UnknownNodeError';
  }
}

/** The scheduler is stopping: it takes no new request. */
export class SchedulerStoppingError extends Error {
  constructor() {
    super('the scheduler is stopping; try again');
    this.name = 'SchedulerStoppingError';
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
  retry: true,
} as const;

/** The one translation of our error vocabulary into replies; never a stack trace in a reply. */
export function rpcFailureOf(error: unknown): RpcFailure {
  const final = (code: string, message: string, field?: string): RpcFailure => ({
    error: { code, message, ...(field === undefined || field === '' ? {} : { field }) },
    retry: false,
    expected: true,
  });
  const retryable = (code: string, message: string): RpcFailure => ({
    error: { code, message },
    retry: true,
    expected: true,
  });
  if (error instanceof ContractViolationError)
    return final(issueTaskErrorCodes.CONTRACT_VIOLATION, error.message, error.field);
  if (error instanceof RuleViolation) return final(error.code, error.message, error.field);
  if (error instanceof FunctionNotFoundError)
    return final(issueTaskErrorCodes.FUNCTION_NOT_FOUND, error.message);
  if (error instanceof NoQuotaAvailableError)
    return final(issueTaskErrorCodes.NO_QUOTA_AVAILABLE, error.message);
  if (error instanceof NodeDisabledError) return final(NODE_DISABLED, error.message);
  if (error instanceof UnknownNodeError) return final(UNKNOWN_NODE, error.message);
  if (error instanceof SchedulerStoppingError)
    return retryable(issueTaskErrorCodes.UNAVAILABLE, error.message);
  if (error instanceof EventStoreUnavailableError)
    return retryable(issueTaskErrorCodes.UNAVAILABLE, 'the event store is unavailable');
  if (error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError) {
    // Still conflicting after the bounded retries: contention, worth another try later.
    return retryable(issueTaskErrorCodes.UNAVAILABLE, 'the task changed concurrently; try again');
  }
  return { error: internalErrorReply.error, retry: true, expected: false };
}
