import { decodeJson, parseIssueTaskRequest } from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest } from '@canopy/contracts';
import { functionOfAccount, isIssuedBy, issueTaskCommand } from '@canopy/scheduling';
import type { IssuePolicy } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { FunctionCatalog } from '../functions/function-catalog.js';
import type { TaskCommandHandler } from '../tasks/task-command-handler.js';
import { FunctionNotFoundError, rpcFailureOf } from '../transport/rpc-errors.js';

/**
 * The gateway's IssueTask request: the task is recorded as TaskIssued before the reply, so `ok: true`
 * means it is in the event store. A repeated request (same task id, same request) is answered `ok`
 * again without a second event.
 */
export class IssueTaskService {
  constructor(
    private readonly catalog: FunctionCatalog,
    private readonly commands: TaskCommandHandler,
    private readonly policy: IssuePolicy,
    private readonly logger: ServiceLogger,
  ) {}

  async issue(payload: Uint8Array): Promise<IssueTaskReply> {
    let request: IssueTaskRequest | undefined;
    try {
      request = parseIssueTaskRequest(decodeJson(payload, 'IssueTask request'));
      const issued = request;
      const fn = functionOfAccount(await this.catalog.read(issued.functionId), issued.accountId);
      if (fn === undefined) throw new FunctionNotFoundError(issued.functionId);
      const decision = await this.commands.handle(issued.taskId, (state) =>
        state.phase !== 'NotIssued' && isIssuedBy(state.task, issued)
          ? undefined
          : issueTaskCommand(issued, fn, this.policy),
      );
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
      const failure = rpcFailureOf(error);
      const context = { taskId: request?.taskId, code: failure.error.code };
      if (failure.expected)
        this.logger.info({ ...context, reason: failure.error.message }, 'IssueTask refused');
      else this.logger.error({ ...context, err: error }, 'IssueTask failed');
      return { ok: false, error: failure.error };
    }
  }
}
