import {
  ISSUE_TASK_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_AGAIN_SUBJECT,
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
} from '@canopy/contracts';
import type { IssueTaskBatchReply, IssueTaskReply } from '@canopy/contracts';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { originOfHeaders } from '@canopy/observability';
import { SCHEDULER_HANDLERS } from '../scheduler-handlers.js';
import type { SchedulerHandlers } from '../scheduler-handlers.js';

@Controller()
export class IssueTaskController {
  constructor(@Inject(SCHEDULER_HANDLERS) private readonly handlers: SchedulerHandlers) {}

  // The queue group spreads IssueTask requests over the scheduler replicas: each reaches one. A
  // standby hands what it takes on to the leader, and records it itself when the leader does not
  // answer (leader-hand-off.ts). A request asked again reaches every replica: the first reply is the
  // gateway's answer, and the others answer a repeat.
  @MessagePattern(ISSUE_TASK_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issue(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<IssueTaskReply> {
    return this.issueOne(payload, context);
  }

  @MessagePattern(ISSUE_TASK_AGAIN_SUBJECT)
  issueAgain(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<IssueTaskReply> {
    return this.issueOne(payload, context);
  }

  @MessagePattern(ISSUE_TASK_BATCH_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issueBatch(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<IssueTaskBatchReply> {
    return this.issueMany(payload, context);
  }

  @MessagePattern(ISSUE_TASK_BATCH_AGAIN_SUBJECT)
  issueBatchAgain(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<IssueTaskBatchReply> {
    return this.issueMany(payload, context);
  }

  private issueOne(payload: Uint8Array, context: NatsContext): Promise<IssueTaskReply> {
    const { work, handOff, issuing } = this.handlers;
    return work.run(
      async () =>
        (await handOff.issue(payload, context.getHeaders())) ??
        issuing.issue(payload, originOfHeaders(context.getHeaders())),
    );
  }

  private issueMany(payload: Uint8Array, context: NatsContext): Promise<IssueTaskBatchReply> {
    const { work, handOff, issuing } = this.handlers;
    return work.run(
      async () =>
        (await handOff.issueBatch(payload, context.getHeaders())) ??
        issuing.issueBatch(payload, originOfHeaders(context.getHeaders())),
    );
  }
}
