import { nodeReportPattern } from '@canopy/contracts';
import type { AnnouncementReply, HeartbeatReply, NodeAck } from '@canopy/contracts';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { SCHEDULER_HANDLERS } from '../scheduler-handlers.js';
import type { SchedulerHandlers } from '../scheduler-handlers.js';

// Nest finds a handler by the subscribed pattern (the wildcard); the node is the concrete subject's.
@Controller()
export class NodeReportsController {
  constructor(@Inject(SCHEDULER_HANDLERS) private readonly handlers: SchedulerHandlers) {}

  @MessagePattern(nodeReportPattern('announce'))
  announce(
    @Payload() payload: Uint8Array,
    @Ctx() context: NatsContext,
  ): Promise<AnnouncementReply> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.announce(context.getSubject(), payload),
    );
  }

  @MessagePattern(nodeReportPattern('heartbeat'))
  heartbeat(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<HeartbeatReply> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.heartbeat(context.getSubject(), payload),
    );
  }

  @MessagePattern(nodeReportPattern('goodbye'))
  goodbye(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() => this.handlers.nodes.goodbye(context.getSubject(), payload));
  }

  @MessagePattern(nodeReportPattern('progress'))
  progress(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.progress(context.getSubject(), payload),
    );
  }

  @MessagePattern(nodeReportPattern('result'))
  result(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() => this.handlers.nodes.result(context.getSubject(), payload));
  }
}
