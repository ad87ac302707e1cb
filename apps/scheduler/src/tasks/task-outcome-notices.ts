import { taskNotificationSubject } from '@canopy/contracts';
import type { TaskEvent, TaskNotification } from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceLogger } from '@canopy/service-runtime';

/**
 * Tells the gateways, the moment a task's outcome is recorded, that its `?wait` requests may look
 * again: they read the task's stream while the read models have not caught up, so a client gets its
 * result without waiting for the projector (which notifies again once it has projected the outcome).
 * A notification is a hint: a lost one only delays a waiting request until its own deadline.
 */
export class TaskOutcomeNotices {
  private connection: NatsConnection | undefined;

  constructor(private readonly logger: ServiceLogger) {}

  attach(connection: NatsConnection): void {
    this.connection = connection;
  }

  /** Publishes a notification for each terminal event among those just recorded. */
  recorded(events: readonly { readonly event: TaskEvent }[]): void {
    for (const { event } of events) {
      if (event.type !== 'TaskFinished' && event.type !== 'TaskFailed') continue;
      const { taskId } = event.data;
      const notification: TaskNotification = {
        taskId,
        state: event.type === 'TaskFinished' ? 'FINISHED' : 'FAILED',
      };
      try {
        this.connection?.publish(taskNotificationSubject(taskId), JSON.stringify(notification));
      } catch (error) {
        this.logger.warn(
          { taskId, reason: String(error) },
          'could not publish a task notification',
        );
      }
    }
  }
}
