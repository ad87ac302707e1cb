import { decodeJson, parseIssueTaskRequest } from '@canopy/contracts';
import type { IssueTaskReply } from '@canopy/contracts';
import { isIssuedBy, issueTaskCommand } from '@canopy/scheduling';
import type { IssuePolicy } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { FunctionDefinitions } from '../functions/function-definitions.js';
import type { TaskCommands } from '../tasks/task-commands.js';
import { FunctionNotFoundError, NoQuotaAvailableError } from '../transport/rpc-errors.js';
import type { AccountQuota, QuotaReservation } from './account-quota.js';

/**
 * The gateway's IssueTask request: the task is recorded as TaskIssued before the reply, so `ok: true`
 * means it is in the event store. A repeated request (same task id, same request) is answered `ok`
 * again without a second event, even when the account has reached its quota since: the quota is
 * checked only for a task id whose stream is still empty. Refusals are thrown, and answered by the
 * RPC edge.
 */
export class IssueTaskService {
  constructor(
    private readonly functions: FunctionDefinitions,
    private readonly commands: TaskCommands,
    private readonly policy: IssuePolicy,
    private readonly logger: ServiceLogger,
    private readonly quota: AccountQuota,
    /** The tasks this process knows (unfinished, or ended recently): any other id is presumed new. */
    private readonly knownTasks: { knows(taskId: string): boolean },
  ) {}

  async issue(payload: Uint8Array): Promise<IssueTaskReply> {
    const issued = parseIssueTaskRequest(decodeJson(payload, 'IssueTask request'));
    const fn = await this.functions.current(issued.functionId, issued.accountId);
    if (fn === undefined) throw new FunctionNotFoundError(issued.functionId);
    let reservation: QuotaReservation | null = null;
    try {
      // A new id (the usual case) is decided on an empty stream without reading it first.
      const presumeNew = !this.knownTasks.knows(issued.taskId);
      const decision = await this.commands.handle(
        issued.taskId,
        (state) => {
          if (state.phase !== 'NotIssued') {
            return isIssuedBy(state.task, issued)
              ? undefined
              : issueTaskCommand(issued, fn, this.policy);
          }
          // The builder runs again after a version conflict: one reservation covers every round.
          reservation ??= this.quota.reserve(issued.accountId);
          if (reservation === null) throw new NoQuotaAvailableError(this.quota.maxUnfinishedTasks);
          return issueTaskCommand(issued, fn, this.policy);
        },
        { presumeNew },
      );
      const repeated = decision.events.length === 0;
      this.logger.info(
        { taskId: issued.taskId, functionId: issued.functionId, repeated },
        repeated ? 'IssueTask repeated; already issued' : 'task issued',
      );
      return { ok: true, taskId: issued.taskId };
    } finally {
      // By now a TaskIssued appended here is in the queue's counts (onAppended runs before handle
      // resolves), so the reservation it held can go.
      (reservation as QuotaReservation | null)?.release();
    }
  }
}
