import {
  CANCEL_TASK_AGAIN_SUBJECT,
  CANCEL_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
} from '@canopy/contracts';
import type { CancelTaskReply } from '@canopy/contracts';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { originOfHeaders } from '@canopy/observability';
import { SCHEDULER_HANDLERS } from '../scheduler-handlers.js';
import type { SchedulerHandlers } from '../scheduler-handlers.js';

@Controller()
export class CancelTaskController {
  constructor(@Inject(SCHEDULER_HANDLERS) private readonly handlers: SchedulerHandlers) {}

  // Any replica records a cancellation, as it records an issue: one of them takes each request, and
  // every one of them a request asked again.
  @MessagePattern(CANCEL_TASK_SUBJECT, { queue: SCHEDULER_QUEUE_GROUP })
  cancel(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<CancelTaskReply> {
    return this.record(payload, context);
  }

  @MessagePattern(CANCEL_TASK_AGAIN_SUBJECT)
  cancelAgain(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<CancelTaskReply> {
    return this.record(payload, context);
  }

  private record(payload: Uint8Array, context: NatsContext): Promise<CancelTaskReply> {
    return this.handlers.work.run(() =>
      this.handlers.cancelling.cancel(payload, originOfHeaders(context.getHeaders())),
    );
  }
}
