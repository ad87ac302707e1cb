/**
 * The event store port. Every adapter (in-memory, PostgreSQL, EventStoreDB) implements it and
 * passes the shared contract suite exported from `@canopy/event-store/testing`.
 *
 * Streams are named `<category>-<id>` (for example `task-64057f3c9956fae80d7e0e84`). Versions are
 * 1-based: the first event of a stream has `streamVersion` 1, and a stream's version is the number
 * of events in it.
 */

/** An event to append. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  /**
   * Unique id of the event (a UUID). Appending events whose ids are already stored in the same
   * stream, at the same versions, succeeds and writes nothing: retries are safe.
   */
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: EventMetadata;
}

/** Free-form, JSON-serialisable metadata (correlation id, causation id, payload schema version...). */
export type EventMetadata = Readonly<Record<string, unknown>>;

/**
 * Opaque, serialisable token for a place in the store's global order. Subscribing from a
 * checkpoint resumes right after the event that carried it. Only the adapter that issued a
 * checkpoint can interpret it.
 */
export type Checkpoint = string;

/** An event as stored. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
  readonly streamId: string;
  /** 1-based position of the event in its stream. */
  readonly streamVersion: number;
  /** Position in the store's global order: increases along a subscription, may have gaps. */
  readonly globalPosition: bigint;
  /** Resume token: a subscription started from it delivers the events after this one. */
  readonly checkpoint: Checkpoint;
  readonly recordedAt: Date;
}

/**
 * What the caller believes about the stream before appending:
 * - `'no_stream'` (or `0`): the stream must not exist yet;
 * - a positive number: the stream must hold exactly that many events;
 * - `'any'`: no check.
 */
export type ExpectedVersion = 'no_stream' | 'any' | number;

export interface AppendOptions {
  readonly expectedVersion: ExpectedVersion;
  /**
   * Append only while this lease is held at this epoch: a leader's decisions must not be recorded
   * once another replica may have taken over. See {@link AppendFence}.
   */
  readonly fence?: AppendFence;
}

/**
 * A lease of `@canopy/leadership` (`leadership.leases`) that an append depends on. The PostgreSQL
 * adapter checks it inside the append's own transaction and holds a share lock on the lease's row
 * until the commit, so no other replica can take the lease between the check and the commit: the
 * append is written while the lease is held, or not at all (FencedAppendError). The lease must live
 * in the store's database. Adapters that cannot check it atomically say so (see docs/event-store.md).
 */
export interface AppendFence {
  /** The leadership's name, for example `scheduler`. */
  readonly lease: string;
  readonly epoch: number;
}

/**
 * Whether a fence's lease is held at its epoch right now, for adapters that cannot check it inside
 * the append (EventStoreDB, in memory): they ask just before appending, which leaves a window
 * between the answer and the write that the PostgreSQL adapter does not have.
 */
export type FenceCheck = (fence: AppendFence) => boolean | Promise<boolean>;

export interface AppendResult {
  /** The stream's version after the append: pass it as `expectedVersion` for the next one. */
  readonly nextExpectedVersion: number;
  /** Global position of the last event appended (or found, for an idempotent repeat). */
  readonly lastGlobalPosition: bigint;
}

export interface ReadStreamOptions {
  /** First stream version to return (1-based, inclusive); default 1. */
  readonly fromVersion?: number;
  /** At most this many events; default: all. */
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Start after this checkpoint; without it, from the very first event. */
  readonly from?: Checkpoint;
  /** Only events of streams whose id starts with this prefix (for example `task-`). */
  readonly streamPrefix?: string;
  /** Largest batch handed to the consumer at once; adapters pick a default. */
  readonly batchSize?: number;
  /** Ends the subscription: the iterator returns once the signal aborts. */
  readonly signal?: AbortSignal;
  /**
   * Called once, when the subscription has handed out every event committed when it started (its
   * catch-up reached the head), after the consumer took the last of them, whatever keeps being
   * appended meanwhile: a subscriber that rebuilds its state knows it is done in bounded time, even
   * under steady writes. Right away for a store holding nothing to deliver.
   */
  readonly onCaughtUp?: () => void;
}

/** The port every event store adapter implements. */
export interface EventStore {
  /**
   * Appends events to a stream atomically, checking `expectedVersion` first.
   * @throws ExpectedVersionConflictError when the stream's version is not the expected one.
   * @throws EventIdConflictError when an event id is already stored elsewhere (another stream or version).
   */
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult>;

  /** Reads a stream in order. A stream that does not exist reads as no events. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /**
   * Catch-up-then-live subscription to all events in the store's global order, in batches.
   * Every committed event matching the filter is delivered exactly once and each stream's events
   * in stream order, also when transactions commit out of order. The iterator ends only when
   * `signal` aborts (or the consumer breaks out of the loop).
   */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]>;

  /** Releases connections. The store must not be used afterwards. */
  close(): Promise<void>;
}
