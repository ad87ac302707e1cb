import {
  ISSUE_TASK_BATCH_SUBJECT,
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
} from '@canopy/contracts';
import type { IssueTaskBatchReply, IssueTaskReply } from '@canopy/contracts';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { SCHEDULER_HANDLERS } from '../scheduler-handlers.js';
import type { SchedulerHandlers } from '../scheduler-handlers.js';

@Controller()
export class IssueTaskController {
  constructor(@Inject(SCHEDULER_HANDLERS) private readonly handlers: SchedulerHandlers) {}

  // The queue group spreads IssueTask requests over the scheduler replicas: each reaches one.
  @MessagePattern(ISSUE_TASK_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issue(@Payload() payload: Uint8Array): Promise<IssueTaskReply> {
    return this.handlers.work.run(() => this.handlers.issuing.issue(payload));
  }

  @MessagePattern(ISSUE_TASK_BATCH_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  issueBatch(@Payload() payload: Uint8Array): Promise<IssueTaskBatchReply> {
    return this.handlers.work.run(() => this.handlers.issuing.issueBatch(payload));
  }
}
