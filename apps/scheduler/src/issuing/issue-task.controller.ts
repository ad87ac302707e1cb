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

  // The queue group spreads IssueTask requests over the scheduler replicas: each reaches one.
  @MessagePattern(ISSUE_TASK_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issue(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<IssueTaskReply> {
    return this.handlers.work.run(() =>
      this.handlers.issuing.issue(payload, originOfHeaders(context.getHeaders())),
    );
  }

  @MessagePattern(ISSUE_TASK_BATCH_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issueBatch(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<IssueTaskBatchReply> {
    return this.handlers.work.run(() =>
      this.handlers.issuing.issueBatch(payload, originOfHeaders(context.getHeaders())),
    );
  }
}
