import {
  CANCEL_TASK_SUBJECT,
  decodeJson,
  parseCancelTaskRequest,
  taskCommand,
} from '@canopy/contracts';
import type { CancelTaskReply, TaskEnding } from '@canopy/contracts';
import { inSpan, noOrigin } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import { TaskRuleViolation } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';
import type { NodeChannel } from '../dispatch/node-channel.js';
import { decisionMetadata } from '../tasks/decision-metadata.js';
import type { TaskCommandOptions, TaskCommands } from '../tasks/task-commands.js';
import { serverSpan } from '../transport/request-spans.js';

const cancelTaskSpan = serverSpan(CANCEL_TASK_SUBJECT);

/**
 * The gateway's CancelTask request, taken by any replica: the CancelTask command is decided on the
 * task and appended before the reply, so the reply says how the task ended as the event store
 * records it. Cancel racing the node's result: both are decided at the stream's version, so
 * whichever is appended first ends the task, and the other is decided again on the ended task (a
 * result for a cancelled task is refused; a cancel of a finished task answers how it finished).
 *
 * The replica that records the cancellation tells the node of the running attempt to stop, at
 * once: a cancellation is not an assignment, so any replica may send it. A node that has not got
 * the assignment yet refuses it when it comes (the SDK remembers the cancellation).
 */
export class CancelTaskService {
  constructor(
    private readonly commands: TaskCommands,
    private readonly channel: NodeChannel,
    private readonly logger: ServiceLogger,
  ) {}

  /** `origin`: the gateway's request, recorded as the cause of TaskFailed (CANCELLED). */
  cancel(payload: Uint8Array, origin: MessageOrigin = noOrigin): Promise<CancelTaskReply> {
    return inSpan('CancelTask', cancelTaskSpan, origin.trace, (span, trace) => {
      const request = parseCancelTaskRequest(decodeJson(payload, 'CancelTask request'));
      span?.setAttribute('canopy.task.id', request.taskId);
      const metadata = decisionMetadata(origin.requestId, trace);
      return this.record(
        request.taskId,
        request.accountId,
        metadata === undefined ? {} : { metadata },
      );
    });
  }

  private async record(
    taskId: string,
    accountId: string,
    options: TaskCommandOptions,
  ): Promise<CancelTaskReply> {
    // The state each round decides on: a refusal is made on the stream as stored.
    let decidedOn: TaskState | undefined;
    try {
      const decision = await this.commands.handle(
        taskId,
        (state, now) => {
          decidedOn = state;
          return taskCommand('CancelTask', { taskId, accountId, now });
        },
        options,
      );
      const { before } = decision;
      const running = before.phase === 'Assigned' ? before.current : undefined;
      if (decision.events.length > 0) {
        if (running !== undefined) {
          this.channel.cancel(running.nodeId, {
            taskId,
            attempt: running.attempt,
            reason: 'CANCELLED',
          });
        }
        this.logger.info(
          {
            taskId,
            ...(running === undefined ? {} : { nodeId: running.nodeId, attempt: running.attempt }),
          },
          running === undefined
            ? 'task cancelled while waiting'
            : 'task cancelled; node told to stop',
        );
      }
      return { ok: true, taskId, ending: endingOf(decision.after) };
    } catch (error) {
      // Ended before the cancellation could be: answered with how it ended, which stays.
      if (
        error instanceof TaskRuleViolation &&
        error.code === 'TASK_TERMINAL' &&
        decidedOn !== undefined
      ) {
        this.logger.info({ taskId }, 'cancel refused: the task had ended');
        return { ok: true, taskId, ending: endingOf(decidedOn) };
      }
      throw error;
    }
  }
}

function endingOf(state: TaskState): TaskEnding {
  switch (state.phase) {
    case 'Finished':
      return {
        kind: 'FINISHED',
        status: state.finished.response.status,
        at: state.finished.finishedAt,
      };
    case 'Failed': {
      const { reason, status, at } = state.failure;
      return reason === 'CANCELLED'
        ? { kind: 'CANCELLED', at }
        : { kind: 'FAILED', reason, status, at };
    }
    case 'NotIssued':
    case 'Waiting':
    case 'Assigned':
      // The decider ends every issued task it cancels, and refuses a missing one.
      throw new Error(`a cancelled task cannot be ${state.phase}`);
    default: {
      const unknown: never = state;
      throw new Error(`Unhandled task phase ${JSON.stringify(unknown)}`);
    }
  }
}
