import {
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
  // answer (leader-hand-off.ts).
  @MessagePattern(ISSUE_TASK_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issue(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<IssueTaskReply> {
    const { work, handOff, issuing } = this.handlers;
    return work.run(
      async () =>
        (await handOff.issue(payload, context.getHeaders())) ??
        issuing.issue(payload, originOfHeaders(context.getHeaders())),
    );
  }

  @MessagePattern(ISSUE_TASK_BATCH_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issueBatch(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<IssueTaskBatchReply> {
    const { work, handOff, issuing } = this.handlers;
    return work.run(
      async () =>
        (await handOff.issueBatch(payload, context.getHeaders())) ??
        issuing.issueBatch(payload, originOfHeaders(context.getHeaders())),
    );
  }
}
