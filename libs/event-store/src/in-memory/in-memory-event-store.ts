import {
  checkAppendInput,
  checkBatchSize,
  checkExpectedVersion,
  findRepeatedAppend,
  type StoredEventPlace,
} from '../append-rules.js';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  FenceCheck,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../port/event-store.js';
import { EventStoreUnavailableError, FencedAppendError } from '../port/errors.js';
import { Wakeup } from '../wakeup.js';

// Events are kept as JSON text, as a real store keeps them: callers get fresh copies, and what
// does not survive serialisation (undefined, Dates, class instances) does not survive here either.
interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly globalPosition: bigint;
  readonly recordedAt: Date;
}

const defaultBatchSize = 1000;

export interface InMemoryEventStoreOptions {
  /** Checks appends' fences just before they are written; without it, fences are not checked. */
  readonly fenceHolds?: FenceCheck;
}

/**
 * An event store in process memory, for unit tests of code that appends and subscribes. It keeps
 * the contract of the real adapters (the shared contract suite runs against it); a checkpoint is
 * the global position as a decimal string.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly places = new Map<string, StoredEventPlace>();
  private readonly subscribers = new Set<Wakeup>();
  private readonly closing = new AbortController();

  constructor(private readonly options: InMemoryEventStoreOptions = {}) {}

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    const ids = checkAppendInput(streamId, events, options.expectedVersion);
    // Let concurrent callers interleave here as they would around a real store's I/O.
    await Promise.resolve();
    this.assertOpen();
    const { fence } = options;
    if (fence !== undefined && this.options.fenceHolds !== undefined) {
      if (!(await this.options.fenceHolds(fence))) throw new FencedAppendError(streamId, fence);
    }

    const repeated = findRepeatedAppend(streamId, ids, options.expectedVersion, this.places);
    if (repeated !== undefined) return repeated;

    const stream = this.streams.get(streamId) ?? [];
    checkExpectedVersion(streamId, options.expectedVersion, stream.length);
    const recordedAt = new Date();
    const appended = events.map((event, index): StoredEvent => ({
      id: ids[index] ?? event.id,
      type: event.type,
      data: JSON.stringify(event.data ?? null),
      metadata: JSON.stringify(event.metadata ?? {}),
      streamId,
      streamVersion: stream.length + index + 1,
      globalPosition: BigInt(this.log.length + index + 1),
      recordedAt,
    }));
    const last = appended.at(-1);
    if (last === undefined) {
      return {
        nextExpectedVersion: stream.length,
        lastGlobalPosition: stream.at(-1)?.globalPosition ?? 0n,
      };
    }
    for (const event of appended) {
      stream.push(event);
      this.log.push(event);
      this.places.set(event.id, event);
    }
    this.streams.set(streamId, stream);
    for (const subscriber of this.subscribers) subscriber.wake();
    return { nextExpectedVersion: last.streamVersion, lastGlobalPosition: last.globalPosition };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = Math.max(options.fromVersion ?? 1, 1);
    const stream = this.streams.get(streamId) ?? [];
    const end =
      options.maxCount === undefined ? undefined : from - 1 + Math.max(options.maxCount, 0);
    return stream.slice(from - 1, end).map(toRecordedEvent);
  }

  async *subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    this.assertOpen();
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.closing.signal])
      : this.closing.signal;
    const batchSize = checkBatchSize(options.batchSize, defaultBatchSize);
    const prefix = options.streamPrefix ?? '';
    let next = options.from === undefined ? 0 : parseCheckpoint(options.from);
    const head = this.log.length;
    let caughtUp = false;
    const wakeup = new Wakeup();
    this.subscribers.add(wakeup);
    try {
      while (!signal.aborted) {
        const batch: RecordedEvent[] = [];
        while (next < this.log.length && batch.length < batchSize) {
          const event = this.log[next++];
          if (event?.streamId.startsWith(prefix)) batch.push(toRecordedEvent(event));
        }
        if (batch.length > 0) yield batch;
        if (!caughtUp && next >= head) {
          caughtUp = true;
          options.onCaughtUp?.();
        }
        if (batch.length === 0) await wakeup.wait(undefined, signal);
      }
    } finally {
      this.subscribers.delete(wakeup);
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted)
      throw new EventStoreUnavailableError('the event store is closed');
  }
}

function toRecordedEvent(event: StoredEvent): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    data: JSON.parse(event.data) as unknown,
    metadata: JSON.parse(event.metadata) as EventMetadata,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    checkpoint: event.globalPosition.toString(),
    recordedAt: new Date(event.recordedAt),
  };
}

/** Index in the log of the first event after the checkpoint. */
function parseCheckpoint(checkpoint: string): number {
  if (!/^\d+$/.test(checkpoint)) {
    throw new RangeError(`not a checkpoint of the in-memory event store: ${checkpoint}`);
  }
  return Number(checkpoint);
}
