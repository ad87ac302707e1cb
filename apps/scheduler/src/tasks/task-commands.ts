import { taskStreamId } from '@canopy/contracts';
import type { TaskCommand, TaskEvent } from '@canopy/contracts';
import { CommandHandler, RecentStreamStates } from '@canopy/event-store';
import type { AppendedEvent, Decision, EventMetadata, EventStore } from '@canopy/event-store';
import { initialState, taskAggregate, taskDecider } from '@canopy/task-domain';
import type { TaskState } from '@canopy/task-domain';

/** What a command did to its task. */
export type TaskDecision = Decision<TaskEvent, TaskState>;

/**
 * Builds the command from the task as it stands and the current time (or several, decided in turn
 * and appended together), or returns undefined when, seen from the task's current state, there is
 * nothing to do any more (the deadline's task moved on...).
 */
export type TaskCommandBuilder = (
  state: TaskState,
  now: string,
) => TaskCommand | readonly TaskCommand[] | undefined;

export interface TaskCommandsOptions {
  readonly store: EventStore;
  readonly clock: () => Date;
  /** Told of every event appended, in stream order, right after the append. */
  readonly onAppended: (appended: readonly AppendedEvent<TaskEvent>[]) => void;
  /** How many unfinished tasks' states are remembered; default {@link DEFAULT_REMEMBERED_TASKS}. */
  readonly rememberedTasks?: number;
  /**
   * The leadership whose lease fences the decisions made under an epoch: they are recorded only
   * while that lease is still held at that epoch. Without it, epochs are recorded but not fenced.
   */
  readonly lease?: string;
  /**
   * The correlation id a task's TaskIssued recorded, when this process knows it: put on the task's
   * later events too, so that all of them name the request that started the task.
   */
  readonly correlationOf?: (taskId: string) => string | undefined;
}

export interface TaskCommandOptions {
  /**
   * The task is new to this process (an IssueTask for an id it has never seen): decide on an empty
   * stream without reading it; the append's expected version checks the guess.
   */
  readonly presumeNew?: boolean;
  /**
   * The leadership epoch the decision is made under: put on the metadata of the leader's decisions
   * (every event but a TaskIssued, which records a request), and the append is fenced by the lease
   * at that epoch (FencedAppendError once another replica may lead).
   */
  readonly epoch?: number;
  /**
   * More metadata for the events: what caused them (`causationId`), the trace that decided them; or,
   * as a function, each event's own (commands decided together for different causes).
   */
  readonly metadata?: TaskEventMetadata | ((event: TaskEvent) => TaskEventMetadata | undefined);
}

/** What a decision may add to the metadata of the events it yields. */
export type TaskEventMetadata = Partial<
  Pick<TaskEvent['metadata'], 'correlationId' | 'causationId' | 'traceparent' | 'tracestate'>
>;

export const DEFAULT_REMEMBERED_TASKS = 100_000;

const emptyStream = { state: initialState(), version: 0 };

/**
 * Every decision about a task: the task decider through the event store's command handler, by task
 * id, each round stamped with the current time. The states of unfinished tasks are remembered, from
 * this process's own decisions and from what the subscription brings ({@link observed}), so a
 * command is decided without reading the task's stream; the append's expected version keeps that
 * safe, and a stale state costs a conflict and a catch-up. A task's state is forgotten once it ends.
 */
export class TaskCommands {
  private readonly states: RecentStreamStates<TaskState>;
  private readonly handler: CommandHandler<TaskCommand, TaskEvent, TaskState>;

  constructor(private readonly options: TaskCommandsOptions) {
    this.states = new RecentStreamStates(options.rememberedTasks ?? DEFAULT_REMEMBERED_TASKS);
    this.handler = new CommandHandler({
      store: options.store,
      ...taskAggregate,
      cache: this.states,
      onAppended: (streamId, appended) => {
        if (appended.some(({ event }) => isTerminal(event))) this.states.delete(streamId);
        options.onAppended(appended);
      },
    });
  }

  handle(
    taskId: string,
    build: TaskCommandBuilder,
    options: TaskCommandOptions = {},
  ): Promise<TaskDecision> {
    const metadata = this.metadataFor(taskId, options);
    const { epoch } = options;
    const { lease } = this.options;
    return this.handler.handle(
      taskStreamId(taskId),
      (state) => build(state, this.options.clock().toISOString()),
      {
        ...(options.presumeNew === true ? { presumed: emptyStream } : {}),
        ...(metadata === undefined ? {} : { metadata }),
        ...(epoch === undefined || lease === undefined ? {} : { fence: { lease, epoch } }),
      },
    );
  }

  private metadataFor(
    taskId: string,
    { epoch, metadata }: TaskCommandOptions,
  ): EventMetadata | ((event: TaskEvent) => EventMetadata) | undefined {
    const correlationId = this.options.correlationOf?.(taskId);
    if (correlationId === undefined && epoch === undefined && metadata === undefined)
      return undefined;
    const correlation = correlationId === undefined ? {} : { correlationId };
    if (epoch === undefined && typeof metadata !== 'function')
      return { ...correlation, ...metadata };
    return (event) => ({
      ...correlation,
      ...(epoch === undefined || event.type === 'TaskIssued' ? {} : { epoch }),
      ...(typeof metadata === 'function' ? metadata(event) : metadata),
    });
  }

  /** An event of the task's stream, appended by any process: keeps a remembered state current. */
  observed(event: TaskEvent, streamVersion: number): void {
    const streamId = taskStreamId(event.data.taskId);
    const known = this.states.get(streamId);
    if (known === undefined || streamVersion <= known.version) return;
    if (isTerminal(event) || streamVersion !== known.version + 1) {
      // Over, or events missed in between: the next command reads the stream.
      this.states.delete(streamId);
      return;
    }
    this.states.set(streamId, {
      state: taskDecider.evolve(known.state, event),
      version: streamVersion,
    });
  }
}

function isTerminal(event: TaskEvent): boolean {
  return event.type === 'TaskFinished' || event.type === 'TaskFailed';
}
