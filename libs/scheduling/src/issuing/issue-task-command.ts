import { DEFAULT_TASK_PRIORITY, taskCommand } from '@canopy/contracts';
import type {
  FunctionCapabilities,
  IssueTask,
  IssueTaskRequest,
  RetryPolicy,
  TaskIssued,
} from '@canopy/contracts';

/** What the platform adds to every task it issues (configuration). */
export interface IssuePolicy {
  readonly maxAttempts: number;
  readonly pendingDeadlineSeconds: number;
}

/** The version of the function a task is issued against: what the task takes from it. */
export interface FunctionToIssue {
  readonly version: number;
  readonly capabilities: FunctionCapabilities;
  /** The function's retry policy; absent: none. */
  readonly retry?: RetryPolicy;
  /** The function's priority; absent: DEFAULT_TASK_PRIORITY. */
  readonly priority?: number;
}

/**
 * The IssueTask command for a request: the task records the function's current version, and takes
 * its requirements, timeout and retry policy from it; its priority from the request, else the
 * function, else DEFAULT_TASK_PRIORITY.
 */
export function issueTaskCommand(
  request: IssueTaskRequest,
  fn: FunctionToIssue,
  policy: IssuePolicy,
): IssueTask {
  const { timeout, cpuCount, memSize, networkLatency, privileged } = fn.capabilities;
  return taskCommand('IssueTask', {
    taskId: request.taskId,
    accountId: request.accountId,
    functionId: request.functionId,
    functionVersion: fn.version,
    scheduleId: request.scheduleId,
    request: { ...request.request },
    requirements: { cpuCount, memSize, networkLatency, privileged },
    timeout,
    maxAttempts: policy.maxAttempts,
    pendingDeadline: policy.pendingDeadlineSeconds,
    issuedAt: request.issuedAt,
    priority: request.priority ?? fn.priority ?? DEFAULT_TASK_PRIORITY,
    ...(request.notBefore === undefined ? {} : { notBefore: request.notBefore }),
    ...(fn.retry === undefined ? {} : { retry: fn.retry }),
  });
}

/**
 * Whether an issued task is what this request asked for. Judged on what the gateway sent, not on
 * what the scheduler derived (requirements, attempts, deadline), so that a retry is recognised as
 * such even when the function or the configuration changed in between.
 */
export function isIssuedBy(issued: TaskIssued['data'], request: IssueTaskRequest): boolean {
  return (
    issued.taskId === request.taskId &&
    issued.accountId === request.accountId &&
    issued.functionId === request.functionId &&
    issued.scheduleId === request.scheduleId &&
    issued.issuedAt === request.issuedAt &&
    issued.request.query === request.request.query &&
    issued.request.contentType === request.request.contentType &&
    issued.request.body === request.request.body &&
    issued.notBefore === request.notBefore &&
    // The priority the request named, if any; without one the task took the function's.
    (request.priority === undefined || issued.priority === request.priority)
  );
}
