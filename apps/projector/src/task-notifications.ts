import { parseTaskEvent, taskNotificationSubject, type TaskNotification } from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';

export interface AddressedTaskNotification {
  readonly subject: string;
  readonly notification: TaskNotification;
}

/**
 * The notifications a committed batch calls for: one per task that became terminal in it, so that
 * gateways holding a `?wait` request for it can answer from the read models. Only terminal events
 * notify (progress would multiply the traffic for no reader that waits on it). A replayed batch
 * notifies again, which is harmless: a notification only says "look again".
 */
export function taskNotificationsOf(events: readonly RecordedEvent[]): AddressedTaskNotification[] {
  const notifications = new Map<string, AddressedTaskNotification>();
  for (const event of events) {
    if (event.type !== 'TaskFinished' && event.type !== 'TaskFailed') continue;
    // The batch has been projected, so the event parsed there already.
    const parsed = parseTaskEvent({ type: event.type, data: event.data, metadata: event.metadata });
    const { taskId } = parsed.data;
    notifications.set(taskId, {
      subject: taskNotificationSubject(taskId),
      notification: { taskId, state: parsed.type === 'TaskFinished' ? 'FINISHED' : 'FAILED' },
    });
  }
  return [...notifications.values()];
}
