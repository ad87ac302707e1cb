import { parseTaskEvent } from '@canopy/contracts';
import { asContractEvent } from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import type { TaskQueue } from '@canopy/scheduling';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { TaskCommands } from '../tasks/task-commands.js';
import { StreamFollower } from '../transport/stream-follower.js';

export interface TaskEventFeedOptions {
  readonly store: EventStore;
  readonly queue: TaskQueue;
  /** Remembers tasks' states; told of every event applied. */
  readonly commands: Pick<TaskCommands, 'observed'>;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  /** After new events were applied. */
  readonly onApplied: () => void;
  /** Wait before subscribing again after the subscription failed. */
  readonly retryMs: number;
}

/**
 * Feeds the task queue from the event store: every `task-` event from the beginning (that is how the
 * scheduling state is rebuilt after a restart), then live, which is also how tasks issued through
 * other scheduler replicas reach the matching loop. The scheduler's own appends are applied at once
 * too; the queue ignores the copies that arrive here later.
 */
export class TaskEventFeed extends StreamFollower {
  constructor(options: TaskEventFeedOptions) {
    super({
      store: options.store,
      streamPrefix: 'task-',
      kind: 'task',
      logger: options.logger,
      apply: (recorded) => {
        const { streamVersion } = recorded;
        // This process's own appends come back here too: skip what was applied already unparsed.
        if (options.queue.hasApplied(recorded.streamId.slice('task-'.length), streamVersion))
          return;
        const event = parseTaskEvent(asContractEvent(recorded));
        options.queue.apply(event, streamVersion, options.clock().getTime());
        options.commands.observed(event, streamVersion);
      },
      afterBatch: options.onApplied,
      onCaughtUp: () => {
        options.logger.info(
          { activeTasks: options.queue.size, waiting: options.queue.waitingCount },
          'scheduling state rebuilt from the event store',
        );
        options.onApplied();
      },
      onCurrent: options.onApplied,
      retryMs: options.retryMs,
    });
  }
}
