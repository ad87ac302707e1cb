import {
  assignmentSubject,
  cancellationSubject,
  decodeJson,
  parseAssignmentReply,
} from '@canopy/contracts';
import type { Assignment, AssignmentReply, Cancellation } from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { traceHeaders } from '@canopy/observability';
import { whyUnanswered } from '@canopy/service-runtime';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Context } from '@opentelemetry/api';
import { RecentEntries } from '../transport/recent-entries.js';

/**
 * The node's answer to an offer, or why there is none (timeout, nobody listening, invalid answer).
 * `undelivered`: NATS answered that nothing listens to the node's assignments (it is away from
 * NATS, reconnecting): the offer reached no one, so nothing can run it.
 */
export type OfferOutcome =
  | { readonly answered: true; readonly reply: AssignmentReply }
  | { readonly answered: false; readonly undelivered: boolean; readonly reason: string };

/** What the scheduler sends to nodes: assignment offers (request/reply) and cancellations. */
export interface NodeChannel {
  /** `trace`: the span the node's run continues (sent as W3C trace context headers). */
  offer(
    nodeId: string,
    assignment: Assignment,
    timeoutMs: number,
    trace?: Context,
  ): Promise<OfferOutcome>;
  /** Fire and forget. */
  cancel(nodeId: string, cancellation: Cancellation): void;
  /** Why the attempt was cancelled, when that was among the last cancellations sent. */
  cancelledFor(taskId: string, attempt: number): Cancellation['reason'] | undefined;
}

/** Cancellations remembered for sending again (a node still lists the attempt): the last ones. */
const REMEMBERED_CANCELLATIONS = 10_000;

/** The node channel on the scheduler's NATS connection, attached once the transport is up. */
export class NatsNodeChannel implements NodeChannel {
  private connection: NatsConnection | undefined;
  private readonly reasons = new RecentEntries<Cancellation['reason']>(REMEMBERED_CANCELLATIONS);

  constructor(private readonly logger: ServiceLogger) {}

  attach(connection: NatsConnection): void {
    this.connection = connection;
  }

  async offer(
    nodeId: string,
    assignment: Assignment,
    timeoutMs: number,
    trace?: Context,
  ): Promise<OfferOutcome> {
    const connection = this.connection;
    if (connection === undefined) {
      return { answered: false, undelivered: true, reason: 'not connected to NATS yet' };
    }
    const headers = traceHeaders(trace);
    try {
      const reply = await connection.request(
        assignmentSubject(nodeId),
        JSON.stringify(assignment),
        headers === undefined ? { timeout: timeoutMs } : { timeout: timeoutMs, headers },
      );
      return {
        answered: true,
        reply: parseAssignmentReply(decodeJson(reply.data, 'assignment reply')),
      };
    } catch (error) {
      if (whyUnanswered(error) === 'no_responders') {
        return { answered: false, undelivered: true, reason: 'nothing listens to its assignments' };
      }
      return {
        answered: false,
        undelivered: false,
        reason: error instanceof Error ? error.message : String(error),
      };
    }
  }

  cancel(nodeId: string, cancellation: Cancellation): void {
    const { taskId, attempt, reason } = cancellation;
    this.reasons.set(`${taskId}#${attempt}`, reason);
    try {
      this.connection?.publish(cancellationSubject(nodeId), JSON.stringify(cancellation));
    } catch (error) {
      this.logger.warn({ nodeId, taskId, reason: String(error) }, 'could not send a cancellation');
    }
  }

  cancelledFor(taskId: string, attempt: number): Cancellation['reason'] | undefined {
    return this.reasons.get(`${taskId}#${attempt}`);
  }
}
