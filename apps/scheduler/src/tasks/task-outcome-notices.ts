import {
  MAX_NOTIFIED_BODY_BASE64,
  taskEventNoticeSubject,
  taskNotificationSubject,
} from '@canopy/contracts';
import type {
  TaskEvent,
  TaskEventNotice,
  TaskFailed,
  TaskFinished,
  TaskNotification,
} from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceLogger } from '@canopy/service-runtime';

/**
 * Tells the gateways, the moment a task's outcome is recorded, that its `?wait` requests may answer:
 * the notification carries the task's account and the outcome just recorded (a response body over
 * MAX_NOTIFIED_BODY_BASE64 is left out, and the gateway reads the task's stream), so a client gets its
 * result without another read and without waiting for the projector (which notifies again once it
 * has projected the outcome). A notification is a hint: a lost one only delays a waiting request.
 *
 * It also tells the gateways following a task's history (`GET /v1/task/:id/events?follow=true`)
 * that the task's stream grew: one notice per append, on the task's own subject, which only a
 * gateway following that task listens to (NATS drops it otherwise, at next to no cost).
 */
export class TaskOutcomeNotices {
  private connection: NatsConnection | undefined;

  constructor(
    private readonly logger: ServiceLogger,
    /** The account of a task not yet ended in this process's queue. */
    private readonly accountOf: (taskId: string) => string | undefined,
  ) {}

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
      this.publish(taskNotificationSubject(taskId), this.notificationOf(event));
    }
  }

  private notificationOf(event: TaskFinished | TaskFailed): TaskNotification {
    const { taskId } = event.data;
    const accountId = this.accountOf(taskId);
    if (accountId === undefined) {
      return { taskId, state: event.type === 'TaskFinished' ? 'FINISHED' : 'FAILED' };
    }
    if (event.type === 'TaskFailed') {
      const { reason, status } = event.data;
      return { taskId, state: 'FAILED', accountId, failure: { reason, status } };
    }
    const { response } = event.data;
    return response.body.length > MAX_NOTIFIED_BODY_BASE64
      ? { taskId, state: 'FINISHED', accountId }
      : { taskId, state: 'FINISHED', accountId, response };
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
