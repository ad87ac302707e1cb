import { ContractViolationError, parseTaskEvent, taskStreamId } from '@canopy/contracts';
import type { TaskCommand, TaskEvent } from '@canopy/contracts';
import {
  EventIdConflictError,
  ExpectedVersionConflictError,
  readContractStream,
  toNewEvents,
} from '@canopy/event-store';
import type { EventStore } from '@canopy/event-store';
import { decide, evolve, foldTask } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';

/** What a command did to its task. */
export interface TaskDecision {
  /** The task as its stream stood when the command was decided. */
  readonly before: TaskState;
  /** The events appended: none when there was nothing to do or the command repeated one applied. */
  readonly events: readonly TaskEvent[];
  readonly after: TaskState;
}

/**
 * Builds the command from the task as it stands and the current time, or returns undefined when,
 * seen from the fresh stream, there is nothing to do any more (the deadline's task moved on...).
 */
export type CommandBuilder = (state: TaskState, now: string) => TaskCommand | undefined;

/** An event appended by this process, at its version in the task's stream. */
export interface AppendedTaskEvent {
  readonly event: TaskEvent;
  readonly streamVersion: number;
}

export interface TaskCommandHandlerOptions {
  readonly store: EventStore;
  readonly clock: () => Date;
  /** Told of every event appended, in stream order, right after the append. */
  readonly onAppended: (appended: readonly AppendedTaskEvent[]) => void;
  /** Decisions tried when the stream keeps changing under us; default 5. */
  readonly maxRounds?: number;
}

const DEFAULT_MAX_ROUNDS = 5;

/**
 * Every decision about a task goes through here: read the task's stream, fold it, decide with the
 * task decider, append at the version read (deterministic event ids), and on a version conflict read
 * again and decide again, a bounded number of times. Commands for one task run one after another in
 * this process, so they rarely conflict at all.
 *
 * Throws what the decider throws (TaskRuleViolation) and what the store throws
 * (EventStoreUnavailableError; ExpectedVersionConflictError after the last round).
 */
export class TaskCommandHandler {
  private readonly maxRounds: number;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TaskCommandHandlerOptions) {
    this.maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  }

  handle(taskId: string, build: CommandBuilder): Promise<TaskDecision> {
    const previous = this.queues.get(taskId) ?? Promise.resolve();
    const decision = previous.then(
      () => this.decideAndAppend(taskId, build),
      () => this.decideAndAppend(taskId, build),
    );
    const settled = decision.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(taskId, settled);
    void settled.then(() => {
      if (this.queues.get(taskId) === settled) this.queues.delete(taskId);
    });
    return decision;
  }

  private async decideAndAppend(taskId: string, build: CommandBuilder): Promise<TaskDecision> {
    const streamId = taskStreamId(taskId);
    for (let round = 1; ; round += 1) {
      const { history, version } = await this.read(streamId);
      const before = foldTask(history);
      const command = build(before, this.options.clock().toISOString());
      if (command === undefined) return { before, events: [], after: before };
      const events = decide(command, before);
      if (events.length === 0) return { before, events, after: before };
      try {
        await this.options.store.appendToStream(streamId, toNewEvents(streamId, version, events), {
          expectedVersion: version === 0 ? 'no_stream' : version,
        });
      } catch (error) {
        const conflict =
          error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError;
        if (conflict && round < this.maxRounds) continue;
        throw error;
      }
      this.options.onAppended(
        events.map((event, index) => ({ event, streamVersion: version + index + 1 })),
      );
      return { before, events, after: events.reduce(evolve, before) };
    }
  }

  private async read(streamId: string): Promise<{ history: TaskEvent[]; version: number }> {
    try {
      const { events, version } = await readContractStream(
        this.options.store,
        streamId,
        parseTaskEvent,
      );
      return { history: events, version };
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      // Our own store holding an event we cannot read is a defect, not a bad request.
      throw new Error(`${streamId} holds an unreadable event: ${error.message}`);
    }
  }
}
