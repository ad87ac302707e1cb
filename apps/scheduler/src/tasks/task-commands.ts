import { parseTaskEvent, taskStreamId } from '@canopy/contracts';
import type { TaskCommand, TaskEvent } from '@canopy/contracts';
import { CommandHandler } from '@canopy/event-store';
import type { AppendedEvent, Decision, EventStore } from '@canopy/event-store';
import { taskDecider } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';

/** What a command did to its task. */
export type TaskDecision = Decision<TaskEvent, TaskState>;

/**
 * Builds the command from the task as it stands and the current time, or returns undefined when,
 * seen from the task's current state, there is nothing to do any more (the deadline's task moved on...).
 */
export type TaskCommandBuilder = (state: TaskState, now: string) => TaskCommand | undefined;

export interface TaskCommandsOptions {
  readonly store: EventStore;
  readonly clock: () => Date;
  /** Told of every event appended, in stream order, right after the append. */
  readonly onAppended: (appended: readonly AppendedEvent<TaskEvent>[]) => void;
}

/**
 * Every decision about a task: the task decider through the event store's command handler, by task
 * id, each round stamped with the current time.
 */
export class TaskCommands {
  private readonly handler: CommandHandler<TaskCommand, TaskEvent, TaskState>;

  constructor(private readonly options: TaskCommandsOptions) {
    this.handler = new CommandHandler({
      store: options.store,
      decider: taskDecider,
      parseEvent: parseTaskEvent,
      onAppended: (_streamId, appended) => options.onAppended(appended),
    });
  }

  handle(taskId: string, build: TaskCommandBuilder): Promise<TaskDecision> {
    return this.handler.handle(taskStreamId(taskId), (state) =>
      build(state, this.options.clock().toISOString()),
    );
  }
}
