import { SCHEDULER_QUEUE_GROUP, nodeReportPattern } from '@canopy/contracts';
import type { AnnouncementReply, HeartbeatReply, NodeAck } from '@canopy/contracts';
import { traceContextOfHeaders } from '@canopy/observability';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { SCHEDULER_HANDLERS } from '../scheduler-handlers.js';
import type { SchedulerHandlers } from '../scheduler-handlers.js';

// Nest finds a handler by the subscribed pattern (the wildcard); the node is the concrete subject's.
// Announcements, heartbeats and goodbyes reach every scheduler replica, so that each keeps its node
// registry warm and a standby can take over at once; progress and results are facts any replica can
// record, so each reaches one of them (the queue group).
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

  @MessagePattern(nodeReportPattern('progress'), { queue: SCHEDULER_QUEUE_GROUP })
  progress(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.progress(
        context.getSubject(),
        payload,
        traceContextOfHeaders(context.getHeaders()),
      ),
    );
  }

  @MessagePattern(nodeReportPattern('result'), { queue: SCHEDULER_QUEUE_GROUP })
  result(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.result(
        context.getSubject(),
        payload,
        traceContextOfHeaders(context.getHeaders()),
      ),
    );
  }
}
