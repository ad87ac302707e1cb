import {
  SCHEDULER_QUEUE_GROUP,
  nodeReportAgainPattern,
  nodeReportPattern,
} from '@canopy/contracts';
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
// record, so each reaches one of them (the queue group), and every one of them when asked again
// (`.again`: the queue group's pick did not acknowledge it, and may be the one it would pick again).
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
    return this.recordProgress(payload, context);
  }

  @MessagePattern(nodeReportAgainPattern('progress'))
  progressAgain(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.recordProgress(payload, context);
  }

  @MessagePattern(nodeReportPattern('result'), { queue: SCHEDULER_QUEUE_GROUP })
  result(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.recordResult(payload, context);
  }

  @MessagePattern(nodeReportAgainPattern('result'))
  resultAgain(@Payload() payload: Uint8Array, @Ctx() context: NatsContext): Promise<NodeAck> {
    return this.recordResult(payload, context);
  }

  private recordProgress(payload: Uint8Array, context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.progress(
        context.getSubject(),
        payload,
        traceContextOfHeaders(context.getHeaders()),
      ),
    );
  }

  private recordResult(payload: Uint8Array, context: NatsContext): Promise<NodeAck> {
    return this.handlers.work.run(() =>
      this.handlers.nodes.result(
        context.getSubject(),
        payload,
        traceContextOfHeaders(context.getHeaders()),
      ),
    );
  }
}
