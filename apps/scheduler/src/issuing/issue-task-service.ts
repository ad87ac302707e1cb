import { decodeJson, issueTaskErrorCodes, parseIssueTaskRequest } from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest } from '@canopy/contracts';
import { functionOfAccount, isIssuedBy, issueTaskCommand } from '@canopy/scheduling';
import type { IssuePolicy } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { TaskCommandHandler } from '../tasks/task-command-handler.js';
import { FunctionNotFoundError, rpcFailureOf } from '../transport/rpc-errors.js';
import type { AccountQuota, QuotaReservation } from './account-quota.js';

/** The account is at its limit of unfinished tasks: the task was not issued. */
class NoQuotaAvailableError extends Error {
  constructor(readonly limit: number) {
    super(`the account already has ${limit} unfinished tasks`);
    this.name = 'NoQuotaAvailableError';
  }
}

/**
 * The gateway's IssueTask request: the task is recorded as TaskIssued before the reply, so `ok: true`
 * means it is in the event store. A repeated request (same task id, same request) is answered `ok`
 * again without a second event, even when the account has reached its quota since: the quota is
 * checked only for a task id whose stream is still empty.
 */
export class IssueTaskService {
  constructor(
    private readonly catalog: FunctionCatalog,
    private readonly commands: TaskCommandHandler,
    private readonly policy: IssuePolicy,
    private readonly logger: ServiceLogger,
    private readonly quota: AccountQuota,
  ) {}

  async issue(payload: Uint8Array): Promise<IssueTaskReply> {
    let request: IssueTaskRequest | undefined;
    let reservation: QuotaReservation | null = null;
    try {
      request = parseIssueTaskRequest(decodeJson(payload, 'IssueTask request'));
      const issued = request;
      const fn = functionOfAccount(await this.catalog.read(issued.functionId), issued.accountId);
      if (fn === undefined) throw new FunctionNotFoundError(issued.functionId);
      const decision = await this.commands.handle(issued.taskId, (state) => {
        if (state.phase !== 'NotIssued') {
          return isIssuedBy(state.task, issued)
            ? undefined
            : issueTaskCommand(issued, fn, this.policy);
        }
        // The builder runs again after a version conflict: one reservation covers every round.
        reservation ??= this.quota.reserve(issued.accountId);
        if (reservation === null) throw new NoQuotaAvailableError(this.quota.maxUnfinishedTasks);
        return issueTaskCommand(issued, fn, this.policy);
      });
      this.logger.info(
        {
          taskId: issued.taskId,
          functionId: issued.functionId,
          repeated: decision.events.length === 0,
        },
        decision.events.length === 0 ? 'IssueTask repeated; already issued' : 'task issued',
      );
      return { ok: true, taskId: issued.taskId };
    } catch (error) {
      if (error instanceof NoQuotaAvailableError) {
        this.logger.info(
          { taskId: request?.taskId, accountId: request?.accountId, limit: error.limit },
          'IssueTask refused: no quota available',
        );
        return {
          ok: false,
          error: { code: issueTaskErrorCodes.NO_QUOTA_AVAILABLE, message: error.message },
        };
      }
      const failure = rpcFailureOf(error);
      const context = { taskId: request?.taskId, code: failure.error.code };
      if (failure.expected)
        this.logger.info({ ...context, reason: failure.error.message }, 'IssueTask refused');
      else this.logger.error({ ...context, err: error }, 'IssueTask failed');
      return { ok: false, error: failure.error };
    } finally {
      // By now a TaskIssued appended here is in the queue's counts (onAppended runs before handle
      // resolves), so the reservation it held can go.
      (reservation as QuotaReservation | null)?.release();
    }
  }
}
