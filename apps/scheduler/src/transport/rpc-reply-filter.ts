import {
  CANCEL_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_AGAIN_SUBJECT,
  CANCEL_TASK_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  parseNodeReportSubject,
} from '@canopy/contracts';
import type { ServiceLogger } from '@canopy/service-runtime';
import { Catch } from '@nestjs/common';
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import { of } from 'rxjs';
import type { Observable } from 'rxjs';
import { rpcFailureOf } from './rpc-errors.js';

/** The reply to a request whose handler threw: `{ ok: false, error, retry }`. */
export interface FailureReply {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
  readonly retry: boolean;
}

/**
 * Where a Nest handler's failure becomes its reply ({@link failureReplyOf}). The reply is sent as a
 * normal response, so nodes and gateways read it as they read any other.
 */
@Catch()
export class RpcReplyFilter implements RpcExceptionFilter {
  constructor(private readonly logger: ServiceLogger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<FailureReply> {
    const rpc = host.switchToRpc();
    const request = requestOf(rpc.getContext<NatsContext>().getSubject());
    return of(
      failureReplyOf(exception, this.logger, { ...request, taskId: taskIdOf(rpc.getData()) }),
    );
  }
}

/** What a failed request was, for its log line. */
export interface FailedRequest {
  /** IssueTask, CancelTask, node report... */
  readonly what: string;
  readonly taskId?: string | undefined;
  readonly nodeId?: string;
  readonly kind?: string;
  /** The HTTP request that led to it, when its headers name one. */
  readonly requestId?: string | undefined;
}

/**
 * The one place where a handler's failure becomes its reply (rpcFailureOf says how), logged once: refusals at
 * info, anything unexpected at error with its stack. Used by the filter and by the handlers that
 * NATS calls directly.
 */
export function failureReplyOf(
  exception: unknown,
  logger: ServiceLogger,
  request: FailedRequest,
): FailureReply {
  const failure = rpcFailureOf(exception);
  const { what, ...about } = request;
  const context = { ...about, code: failure.error.code };
  if (failure.expected) {
    logger.info({ ...context, reason: failure.error.message }, `${what} refused`);
  } else {
    logger.error({ ...context, err: exception }, `${what} failed`);
  }
  return { ok: false, error: failure.error, retry: failure.retry };
}

// What the request was, from its subject (a node's subject names the node, whatever the body says).
function requestOf(subject: string): { what: string; nodeId?: string; kind?: string } {
  if (subject === ISSUE_TASK_SUBJECT || subject === ISSUE_TASK_AGAIN_SUBJECT)
    return { what: 'IssueTask' };
  if (subject === CANCEL_TASK_SUBJECT || subject === CANCEL_TASK_AGAIN_SUBJECT)
    return { what: 'CancelTask' };
  if (subject === ISSUE_TASK_BATCH_SUBJECT || subject === ISSUE_TASK_BATCH_AGAIN_SUBJECT)
    return { what: 'IssueTaskBatch' };
  try {
    return { what: 'node report', ...parseNodeReportSubject(subject) };
  } catch {
    return { what: `request on ${subject}` };
  }
}

/**
 * The task a request was about, when it names a well-formed one: for the log line only, since the
 * payload may be anything a client or node sent.
 */
export function taskIdOf(payload: unknown): string | undefined {
  if (!(payload instanceof Uint8Array) || payload.length > 65_536) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    const taskId = (parsed as { taskId?: unknown } | null)?.taskId;
    return typeof taskId === 'string' && /^[0-9a-f]{24}$/.test(taskId) ? taskId : undefined;
  } catch {
    return undefined;
  }
}
