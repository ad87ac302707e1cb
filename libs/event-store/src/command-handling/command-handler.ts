import { ContractViolationError } from '@canopy/contracts';
import type { Aggregate } from '@canopy/contracts';
import { asContractEvent, toNewEvents } from '../contract-streams.js';
import type { ContractEvent } from '../contract-streams.js';
import { EventIdConflictError, ExpectedVersionConflictError } from '../port/errors.js';
import type { AppendFence, EventMetadata, EventStore } from '../port/event-store.js';
import type { StreamState, StreamStateCache } from './stream-state-cache.js';

/**
 * What to decide: a command, several decided in turn (each against the state the previous one left),
 * or a builder that makes them from the stream's current state. A builder runs again in every round
 * (after a conflict, on a fresher state) and returns undefined when there is nothing to do any more.
 */
export type CommandSource<Command, State> =
  Command | readonly Command[] | ((state: State) => Command | readonly Command[] | undefined);

/** What a command did to its stream. */
export interface Decision<Event, State> {
  /** The state the command was decided against. */
  readonly before: State;
  /** The events appended: none when there was nothing to do or the command repeated one applied. */
  readonly events: readonly Event[];
  readonly after: State;
  /** The stream's version after the decision: the expected version of its next append. */
  readonly version: number;
}

/** An event appended by this handler, at its version in the stream. */
export interface AppendedEvent<Event> {
  readonly event: Event;
  readonly streamVersion: number;
}

/** The store, and the aggregate (its decider and event parser, e.g. `taskAggregate`) it changes. */
export interface CommandHandlerOptions<
  Command,
  Event extends ContractEvent,
  State,
> extends Aggregate<Command, Event, State> {
  readonly store: EventStore;
  /** How often a command is decided again after a conflicting append; default {@link DEFAULT_CONFLICT_RETRIES}. */
  readonly conflictRetries?: number;
  /**
   * Remembers each stream's state after a command, so that the next command on it is decided without
   * reading the stream. Without one, every command reads its stream.
   */
  readonly cache?: StreamStateCache<State>;
  /** Told of what a command appended, in stream order, before `handle` resolves. */
  readonly onAppended?: (streamId: string, appended: readonly AppendedEvent<Event>[]) => void;
}

export interface HandleOptions<State, Event = unknown> {
  /**
   * A state the caller holds at a known version (a read model's row, say): the handler reads only
   * the events after it instead of the whole stream.
   */
  readonly known?: StreamState<State>;
  /**
   * A state the caller expects the stream to be in (a stream it is about to create is empty): the
   * command is decided on it without reading the stream, like a remembered state, and the append's
   * expected version checks the guess. Ignored when the cache remembers the stream. A guess that
   * decides exactly what the stream already records at those versions is taken by the store for a
   * retry of that append: the command counts as done (it was) and the decision is reported as if
   * made now, so presume only where the caller would not repeat a decision it knows was made.
   */
  readonly presumed?: StreamState<State>;
  /**
   * Added to the metadata of every event the command yields (a leadership epoch, a trace), or, as a
   * function, to each event what it gives for it (commands decided together for different causes).
   */
  readonly metadata?: EventMetadata | ((event: Event) => EventMetadata | undefined);
  /** The lease the append depends on (see AppendFence); a failed fence is thrown, not retried. */
  readonly fence?: AppendFence;
}

/**
 * Five rounds in all: commands on one stream run one after another in a process, so a conflict
 * means another process wrote in between, and that rarely happens twice in a row.
 */
export const DEFAULT_CONFLICT_RETRIES = 4;

/** The current state of a stream, and whether it was read from the store in this call. */
interface Loaded<State> extends StreamState<State> {
  readonly fresh: boolean;
}

/**
 * The one way an aggregate is changed: load the stream's state, decide the command with the
 * aggregate's decider, append the events at the version decided on (with ids derived from the stream,
 * the version and the event, so a repeated append is recognised), and after a conflicting append
 * catch up with what was written meanwhile and decide again, a bounded number of times.
 *
 * A state remembered in the cache (or presumed by the caller) is used without reading the stream; the
 * expected-version check keeps that safe. A decision that changes nothing, or a rule violation, is not trusted to a
 * remembered state: the handler first reads whatever followed it, and decides again when anything did.
 * Commands on one stream run one after another within the process.
 *
 * Throws what the decider throws (the aggregate's RuleViolation, ContractViolationError) and what the
 * store throws (EventStoreUnavailableError; a conflict error after the last round).
 */
export class CommandHandler<Command, Event extends ContractEvent, State> {
  private readonly retries: number;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: CommandHandlerOptions<Command, Event, State>) {
    this.retries = options.conflictRetries ?? DEFAULT_CONFLICT_RETRIES;
  }

  handle(
    streamId: string,
    source: CommandSource<Command, State>,
    options: HandleOptions<State, Event> = {},
  ): Promise<Decision<Event, State>> {
    const previous = this.queues.get(streamId) ?? Promise.resolve();
    const run = () => this.decideAndAppend(streamId, source, options);
    const decision = previous.then(run, run);
    const settled = decision.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(streamId, settled);
    void settled.then(() => {
      if (this.queues.get(streamId) === settled) this.queues.delete(streamId);
    });
    return decision;
  }

  /**
   * The stream's current state: what the cache (or `known`) holds, completed with the events the
   * store has after it. Waits for the commands in progress on the stream.
   */
  async current(
    streamId: string,
    options: HandleOptions<State, Event> = {},
  ): Promise<StreamState<State>> {
    await this.queues.get(streamId);
    const { state, version } = await this.catchUpFrom(
      streamId,
      this.startingPoint(streamId, options),
    );
    return { state, version };
  }

  private async decideAndAppend(
    streamId: string,
    source: CommandSource<Command, State>,
    options: HandleOptions<State, Event>,
  ): Promise<Decision<Event, State>> {
    const { store, cache } = this.options;
    let current = await this.start(streamId, options);
    for (let round = 0; ; round += 1) {
      let events: Event[];
      let after: State;
      try {
        ({ events, after } = this.decide(source, current.state, options.metadata));
      } catch (error) {
        if (current.fresh) throw error;
        current = await this.catchUpFrom(streamId, current);
        continue;
      }
      if (events.length === 0) {
        if (!current.fresh) {
          current = await this.catchUpFrom(streamId, current);
          continue;
        }
        return { before: current.state, events, after, version: current.version };
      }
      try {
        await store.appendToStream(streamId, toNewEvents(streamId, current.version, events), {
          expectedVersion: current.version === 0 ? 'no_stream' : current.version,
          ...(options.fence === undefined ? {} : { fence: options.fence }),
        });
      } catch (error) {
        const conflict =
          error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError;
        if (!conflict || round >= this.retries) throw error;
        current = await this.catchUpFrom(streamId, current);
        continue;
      }
      const version = current.version + events.length;
      cache?.set(streamId, { state: after, version });
      this.options.onAppended?.(
        streamId,
        events.map((event, index) => ({ event, streamVersion: current.version + index + 1 })),
      );
      return { before: current.state, events, after, version };
    }
  }

  private async start(
    streamId: string,
    options: HandleOptions<State, Event>,
  ): Promise<Loaded<State>> {
    const remembered = this.options.cache?.get(streamId) ?? options.presumed;
    if (remembered !== undefined) return { ...remembered, fresh: false };
    return this.catchUpFrom(streamId, this.startingPoint(streamId, options));
  }

  private startingPoint(
    streamId: string,
    options: HandleOptions<State, Event>,
  ): StreamState<State> {
    return (
      this.options.cache?.get(streamId) ??
      options.known ?? { state: this.options.decider.initialState(), version: 0 }
    );
  }

  /** Folds what the store holds after `from` onto it, and remembers the result. */
  private async catchUpFrom(streamId: string, from: StreamState<State>): Promise<Loaded<State>> {
    const caughtUp = await this.catchUp(streamId, from);
    this.options.cache?.set(streamId, caughtUp);
    return { ...caughtUp, fresh: true };
  }

  /** Folds the events after `from.version` onto `from.state`. */
  private async catchUp(streamId: string, from: StreamState<State>): Promise<StreamState<State>> {
    const recorded = await this.options.store.readStream(streamId, {
      fromVersion: from.version + 1,
    });
    let { state, version } = from;
    for (const stored of recorded) {
      state = this.options.decider.evolve(state, this.parse(streamId, stored));
      version = stored.streamVersion;
    }
    return { state, version };
  }

  private decide(
    source: CommandSource<Command, State>,
    state: State,
    metadata: HandleOptions<State, Event>['metadata'],
  ): { events: Event[]; after: State } {
    const { decide, evolve } = this.options.decider;
    const built =
      typeof source === 'function'
        ? (source as (state: State) => Command | readonly Command[] | undefined)(state)
        : source;
    const commands: readonly Command[] =
      built === undefined ? [] : Array.isArray(built) ? built : [built as Command];
    const events: Event[] = [];
    let after = state;
    for (const command of commands) {
      const decided = decide(command, after).map((event) => {
        const added = typeof metadata === 'function' ? metadata(event) : metadata;
        return added === undefined
          ? event
          : { ...event, metadata: { ...event.metadata, ...added } };
      });
      after = decided.reduce(evolve, after);
      events.push(...decided);
    }
    return { events, after };
  }

  private parse(streamId: string, stored: Parameters<typeof asContractEvent>[0]): Event {
    try {
      return this.options.parseEvent(asContractEvent(stored));
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      // Our own store holding an event we cannot read is a defect, not a bad request.
      throw new Error(
        `${streamId} holds an unreadable event at version ${stored.streamVersion}: ${error.message}`,
      );
    }
  }
}
