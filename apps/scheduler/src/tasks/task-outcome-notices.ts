import { taskEventNoticeSubject, taskNotificationSubject } from '@canopy/contracts';
import type { TaskEvent, TaskEventNotice, TaskNotification } from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceLogger } from '@canopy/service-runtime';

/**
 * Tells the gateways, the moment a task's outcome is recorded, that its `?wait` requests may look
 * again: they read the task's stream while the read models have not caught up, so a client gets its
 * result without waiting for the projector (which notifies again once it has projected the outcome).
 * A notification is a hint: a lost one only delays a waiting request until its own deadline.
 *
 * It also tells the gateways following a task's history (`GET /v1/task/:id/events?follow=true`)
 * that the task's stream grew: one notice per append, on the task's own subject, which only a
 * gateway following that task listens to (NATS drops it otherwise, at next to no cost).
 */
export class TaskOutcomeNotices {
  private connection: NatsConnection | undefined;

  constructor(private readonly logger: ServiceLogger) {}

  attach(connection: NatsConnection): void {
    this.connection = connection;
  }

  /**
   * Publishes a notice of the append, then a notification for each terminal event among those just
   * recorded.
   */
  recorded(events: readonly { readonly event: TaskEvent; readonly streamVersion: number }[]): void {
    const last = events.at(-1);
    if (last !== undefined) {
      const notice: TaskEventNotice = {
        taskId: last.event.data.taskId,
        streamVersion: last.streamVersion,
      };
      this.publish(taskEventNoticeSubject(notice.taskId), notice);
    }
    for (const { event } of events) {
      if (event.type !== 'TaskFinished' && event.type !== 'TaskFailed') continue;
      const { taskId } = event.data;
      const notification: TaskNotification = {
        taskId,
        state: event.type === 'TaskFinished' ? 'FINISHED' : 'FAILED',
      };
      this.publish(taskNotificationSubject(taskId), notification);
    }
  }

  private publish(subject: string, message: TaskNotification | TaskEventNotice): void {
    try {
      this.connection?.publish(subject, JSON.stringify(message));
    } catch (error) {
      this.logger.warn(
        { taskId: message.taskId, reason: String(error) },
        'could not publish a task notification',
      );
    }
  }
}
