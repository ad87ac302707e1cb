import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  END,
  NO_STREAM,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type {
  AppendExpectedRevision,
  AppendResult as DriverAppendResult,
  EventData,
  EventStoreDBClient,
  Filter,
  Position,
  ReadPosition,
  ReadStreamOptions as DriverReadStreamOptions,
} from '@eventstore/db-client';
import {
  EventIdConflictError,
  EventStoreUnavailableError,
  ExpectedVersionConflictError,
} from '../port/errors.js';
import type { NewEvent, RecordedEvent } from '../port/event-store.js';
import { EventStoreDbEventStore } from './eventstoredb-event-store.js';
import type { DriverRecordedEvent } from './stored-event-mapping.js';

// The adapter against a stand-in for the client that behaves as EventStoreDB documents (and as
// its IndexWriter.CheckCommit decides repeated appends). What only a real server can prove runs
// in eventstoredb-event-store.int.spec.ts.

interface StoredRecord extends DriverRecordedEvent {
  readonly isJson: true;
  readonly position: Position;
}

class FakeSubscription extends PassThrough {
  unsubscribed = false;

  constructor(highWaterMark: number | undefined) {
    super({ objectMode: true, highWaterMark: highWaterMark ?? 16 });
  }

  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
    this.end();
  }
}

class InMemoryEventStoreDbClient {
  readonly log: StoredRecord[] = [];
  readonly streams = new Map<string, StoredRecord[]>();
  readonly appends: { streamName: string; expectedRevision: AppendExpectedRevision }[] = [];
  readonly reads: { streamName: string; options: DriverReadStreamOptions }[] = [];
  readonly subscriptions: {
    subscription: FakeSubscription;
    fromPosition: ReadPosition;
    filter: Filter | undefined;
    highWaterMark: number | undefined;
  }[] = [];
  disposed = false;
  /** Answer appends without a position, as a server may for an idempotent one. */
  answerWithoutPosition = false;
  /** Answer refused appends with `success: false`, as a client built with throwOnAppendFailure: false. */
  answerFailureInsteadOfThrowing = false;
  failNextCall: Error | undefined;
  /** Fails the next append after writing it, as a timeout whose write went through. */
  failNextAppendAfterWriting: Error | undefined;
  // The server's bounded in-memory cache of recently committed event ids.
  readonly #recentIds = new Map<string, { streamId: string; revision: number }>();
  #nextPosition = 1_000n;

  /** A server restart: the cache of recent ids is gone, the events stay. */
  restart(): void {
    this.#recentIds.clear();
  }

  async appendToStream(
    streamName: string,
    events: EventData | EventData[],
    options: { expectedRevision?: AppendExpectedRevision } = {},
  ): Promise<DriverAppendResult> {
    const expectedRevision = options.expectedRevision ?? ANY;
    this.appends.push({ streamName, expectedRevision });
    this.#failIfAsked();
    const proposed = Array.isArray(events) ? events : [events];
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length - 1;
    const refuse = (): DriverAppendResult => {
      if (this.answerFailureInsteadOfThrowing) {
        return { success: false, nextExpectedRevision: 1n, position: undefined };
      }
      throw new WrongExpectedVersionError(undefined, {
        streamName,
        expected: expectedRevision,
        current: current < 0 ? NO_STREAM : BigInt(current),
      });
    };
    const alreadyStored = (lastRevision: number): DriverAppendResult => {
      const last = stream[lastRevision] as StoredRecord;
      return {
        success: true,
        nextExpectedRevision: last.revision,
        position: this.answerWithoutPosition ? undefined : last.position,
      };
    };

    if (expectedRevision === ANY) {
      let lastRevision = -1;
      for (const [i, event] of proposed.entries()) {
        const known = this.#recentIds.get(event.id);
        if (known === undefined || known.streamId !== streamName) {
          if (i === 0) break;
          return refuse();
        }
        lastRevision = known.revision;
      }
      if (lastRevision >= 0) return alreadyStored(lastRevision);
    } else if (expectedRevision === 'stream_exists') {
      throw new Error('the adapter never expects stream_exists');
    } else {
      const expected = expectedRevision === NO_STREAM ? -1 : Number(expectedRevision);
      if (expected > current) return refuse();
      if (expected < current) {
        const matches = proposed.every((event, i) => stream[expected + 1 + i]?.id === event.id);
        return matches ? alreadyStored(expected + proposed.length) : refuse();
      }
    }

    for (const event of proposed) {
      this.#nextPosition += 137n;
      const record: StoredRecord = {
        id: event.id,
        streamId: streamName,
        revision: BigInt(stream.length),
        type: event.type,
        data: JSON.parse(JSON.stringify(event.data)) as unknown,
        metadata:
          event.metadata === undefined
            ? undefined
            : (JSON.parse(JSON.stringify(event.metadata)) as unknown),
        isJson: true,
        created: new Date(),
        position: { commit: this.#nextPosition, prepare: this.#nextPosition },
      };
      stream.push(record);
      this.#record(record);
      this.#recentIds.set(record.id, { streamId: streamName, revision: Number(record.revision) });
    }
    this.streams.set(streamName, stream);
    const lateFailure = this.failNextAppendAfterWriting;
    this.failNextAppendAfterWriting = undefined;
    if (lateFailure !== undefined) throw lateFailure;
    return alreadyStored(stream.length - 1);
  }

  /** What EventStoreDB writes itself, e.g. `$settings` or a `$metadata` event. */
  writeSystemEvent(streamId: string, type: string): void {
    this.#nextPosition += 137n;
    this.#record({
      id: randomUUID(),
      streamId,
      revision: 0n,
      type,
      data: {},
      metadata: undefined,
      isJson: true,
      created: new Date(),
      position: { commit: this.#nextPosition, prepare: this.#nextPosition },
    });
  }

  readStream(streamName: string, options: DriverReadStreamOptions = {}): Readable {
    this.reads.push({ streamName, options });
    const failure = this.failNextCall;
    this.failNextCall = undefined;
    const stream = this.streams.get(streamName);
    if (failure !== undefined || stream === undefined) {
      return new Readable({
        objectMode: true,
        read() {
          this.destroy(failure ?? new StreamNotFoundError(undefined, streamName));
        },
      });
    }
    const {
      fromRevision = START,
      maxCount = Number.MAX_SAFE_INTEGER,
      direction = 'forwards',
    } = options;
    const count = Number(maxCount);
    let selected: StoredRecord[];
    if (direction === BACKWARDS) {
      const from =
        fromRevision === END
          ? stream.length - 1
          : fromRevision === START
            ? 0
            : Number(fromRevision);
      selected = stream.slice(Math.max(0, from - count + 1), from + 1).reverse();
    } else {
      const from =
        fromRevision === START ? 0 : fromRevision === END ? stream.length : Number(fromRevision);
      selected = stream.slice(from, from + count);
    }
    return Readable.from(selected.map((event) => ({ event: { ...event } })));
  }

  subscribeToAll(
    options: { fromPosition?: ReadPosition; filter?: Filter } = {},
    readableOptions: { highWaterMark?: number } = {},
  ): FakeSubscription {
    const fromPosition = options.fromPosition ?? START;
    const subscription = new FakeSubscription(readableOptions.highWaterMark);
    this.subscriptions.push({
      subscription,
      fromPosition,
      filter: options.filter,
      highWaterMark: readableOptions.highWaterMark,
    });
    for (const record of this.log) {
      if (isAfter(record.position, fromPosition) && passes(options.filter, record)) {
        subscription.write({ event: { ...record }, commitPosition: record.position.commit });
      }
    }
    return subscription;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  #record(record: StoredRecord): void {
    this.log.push(record);
    for (const { subscription, filter } of this.subscriptions) {
      if (!subscription.writableEnded && passes(filter, record)) {
        subscription.write({ event: { ...record }, commitPosition: record.position.commit });
      }
    }
  }

  #failIfAsked(): void {
    const failure = this.failNextCall;
    this.failNextCall = undefined;
    if (failure !== undefined) throw failure;
  }
}

function isAfter(position: Position, from: ReadPosition): boolean {
  if (from === START) return true;
  if (from === END) return false;
  return (
    position.commit > from.commit ||
    (position.commit === from.commit && position.prepare > from.prepare)
  );
}

function passes(filter: Filter | undefined, record: StoredRecord): boolean {
  if (filter === undefined) return true;
  const subject = filter.filterOn === 'streamName' ? record.streamId : record.type;
  if ('prefixes' in filter) return filter.prefixes.some((prefix) => subject.startsWith(prefix));
  return new RegExp(filter.regex).test(subject);
}

function setup() {
  const client = new InMemoryEventStoreDbClient();
  const store = new EventStoreDbEventStore({ client: client as unknown as EventStoreDBClient });
  return { client, store };
}

function newEvent(
  type: string,
  data: unknown = { at: type },
  metadata?: NewEvent['metadata'],
): NewEvent {
  return { id: randomUUID(), type, data, ...(metadata === undefined ? {} : { metadata }) };
}

async function takeBatches(
  iterable: AsyncIterable<RecordedEvent[]>,
  eventCount: number,
): Promise<RecordedEvent[][]> {
  const batches: RecordedEvent[][] = [];
  let received = 0;
  for await (const batch of iterable) {
    batches.push(batch);
    received += batch.length;
    if (received >= eventCount) break;
  }
  return batches;
}

describe('EventStoreDbEventStore.appendToStream', () => {
  test('appends to a new stream and reads back 1-based versions, data and metadata', async () => {
    const { client, store } = setup();
    const issued = newEvent('TaskIssued', { functionId: 'f-1' }, { correlationId: 'c-1' });
    const assigned = newEvent('TaskAssigned', { nodeId: 'n-1' });

    const result = await store.appendToStream('task-1', [issued, assigned], {
      expectedVersion: 'no_stream',
    });

    const last = client.log.at(-1) as StoredRecord;
    expect(result).toEqual({ nextExpectedVersion: 2, lastGlobalPosition: last.position.commit });
    expect(client.appends).toEqual([{ streamName: 'task-1', expectedRevision: NO_STREAM }]);
    expect(await store.readStream('task-1')).toEqual([
      expect.objectContaining({
        id: issued.id,
        type: 'TaskIssued',
        data: { functionId: 'f-1' },
        metadata: { correlationId: 'c-1' },
        streamId: 'task-1',
        streamVersion: 1,
      }),
      expect.objectContaining({
        id: assigned.id,
        metadata: {},
        streamVersion: 2,
        globalPosition: last.position.commit,
      }),
    ]);
  });

  test('expects revision N - 1 for version N, and NO_STREAM for version 0', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 0 });
    const result = await store.appendToStream('task-1', [newEvent('B'), newEvent('C')], {
      expectedVersion: 1,
    });
    expect(result.nextExpectedVersion).toBe(3);
    expect(client.appends.map((append) => append.expectedRevision)).toEqual([NO_STREAM, 0n]);
  });

  test('a stale expected version is a conflict that names the actual version', async () => {
    const { store } = setup();
    await store.appendToStream('task-1', [newEvent('A'), newEvent('B')], {
      expectedVersion: 'no_stream',
    });

    const stale = store.appendToStream('task-1', [newEvent('C')], { expectedVersion: 1 });
    await expect(stale).rejects.toBeInstanceOf(ExpectedVersionConflictError);
    await expect(stale).rejects.toMatchObject({ streamId: 'task-1', expected: 1, actual: 2 });
    await expect(
      store.appendToStream('task-1', [newEvent('C')], { expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({ expected: 'no_stream', actual: 2 });
    await expect(
      store.appendToStream('task-1', [newEvent('C')], { expectedVersion: 5 }),
    ).rejects.toMatchObject({
      expected: 5,
      actual: 2,
    });
    await expect(
      store.appendToStream('task-2', [newEvent('C')], { expectedVersion: 3 }),
    ).rejects.toMatchObject({
      expected: 3,
      actual: 0,
    });
    expect(await store.readStream('task-1')).toHaveLength(2);
  });

  test('repeating an append with its expected version answers the first result and writes nothing', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    const events = [newEvent('B'), newEvent('C')];
    const first = await store.appendToStream('task-1', events, { expectedVersion: 1 });
    await store.appendToStream('task-1', [newEvent('D')], { expectedVersion: 3 });

    const repeated = await store.appendToStream('task-1', events, { expectedVersion: 1 });

    expect(repeated).toEqual(first);
    expect(await store.readStream('task-1')).toHaveLength(4);
    expect(client.log).toHaveLength(4);
  });

  test('a repeat is still recognised when the server answers it without a position', async () => {
    const { client, store } = setup();
    const events = [newEvent('A'), newEvent('B')];
    const first = await store.appendToStream('task-1', events, { expectedVersion: 'no_stream' });
    client.answerWithoutPosition = true;
    expect(await store.appendToStream('task-1', events, { expectedVersion: 'no_stream' })).toEqual(
      first,
    );
  });

  test('ids are compared in lower case, as EventStoreDB returns them', async () => {
    const { store } = setup();
    const event = newEvent('A');
    const first = await store.appendToStream('task-1', [{ ...event, id: event.id.toUpperCase() }], {
      expectedVersion: 'no_stream',
    });
    expect(await store.appendToStream('task-1', [event], { expectedVersion: 'no_stream' })).toEqual(
      first,
    );
    expect(await store.appendToStream('task-1', [event], { expectedVersion: 'any' })).toEqual(
      first,
    );
    expect((await store.readStream('task-1')).map((stored) => stored.id)).toEqual([event.id]);
  });

  test('an append that stored some of its ids where it targets is an id conflict', async () => {
    const { store } = setup();
    const [a, b] = [newEvent('A'), newEvent('B')];
    await store.appendToStream('task-1', [a, b], { expectedVersion: 'no_stream' });

    const partial = store.appendToStream('task-1', [a, newEvent('C')], {
      expectedVersion: 'no_stream',
    });
    await expect(partial).rejects.toBeInstanceOf(EventIdConflictError);
    await expect(partial).rejects.toMatchObject({ streamId: 'task-1', eventId: a.id });
    await expect(
      store.appendToStream('task-1', [newEvent('X'), a], { expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({ eventId: a.id });
  });

  test('an id stored later in the stream than the append targets is an id conflict', async () => {
    const { store } = setup();
    const [first, second] = [newEvent('A'), newEvent('B')];
    await store.appendToStream('task-1', [first, second], { expectedVersion: 'no_stream' });

    await expect(
      store.appendToStream('task-1', [second], { expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT', eventId: second.id });
    expect(await store.readStream('task-1')).toHaveLength(2);
  });

  test('after a timeout, an append found where it was going is a success', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    client.failNextAppendAfterWriting = new TimeoutError(undefined, 'Operation timed out');

    const result = await store.appendToStream('task-1', [newEvent('B'), newEvent('C')], {
      expectedVersion: 1,
    });

    expect(result).toEqual({
      nextExpectedVersion: 3,
      lastGlobalPosition: (client.log.at(-1) as StoredRecord).position.commit,
    });
  });

  test('after a timeout, an append not found is EventStoreUnavailableError', async () => {
    const { client, store } = setup();
    const timeout = new TimeoutError(undefined, 'Operation timed out');
    client.failNextCall = timeout;
    await expect(
      store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({ code: 'EVENT_STORE_UNAVAILABLE', cause: timeout });
    expect(client.appends).toHaveLength(1);
    expect(client.reads.at(-1)).toEqual({
      streamName: 'task-1',
      options: { fromRevision: 0n, maxCount: 1 },
    });
  });

  test('one id twice in an append is an id conflict, and nothing is sent', async () => {
    const { client, store } = setup();
    const event = newEvent('A');
    await expect(
      store.appendToStream('task-1', [event, { ...event, type: 'B' }], {
        expectedVersion: 'no_stream',
      }),
    ).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT', eventId: event.id });
    expect(client.appends).toEqual([]);
  });

  test('with any, appends whatever the stream holds', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'any' });
    const result = await store.appendToStream('task-1', [newEvent('B')], {
      expectedVersion: 'any',
    });
    expect(result.nextExpectedVersion).toBe(2);
    expect(client.appends.map((append) => append.expectedRevision)).toEqual([ANY, ANY]);
  });

  test('with any, a retry is recognised from the stream’s end even after the server forgot the ids', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'any' });
    const events = [newEvent('B'), newEvent('C')];
    const first = await store.appendToStream('task-1', events, { expectedVersion: 'any' });
    client.restart();

    expect(await store.appendToStream('task-1', events, { expectedVersion: 'any' })).toEqual(first);
    expect(client.log).toHaveLength(3);
    expect(client.appends).toHaveLength(2);
  });

  test('with any, a retry overtaken by another append is recognised by the server while it remembers', async () => {
    const { client, store } = setup();
    const events = [newEvent('A')];
    const first = await store.appendToStream('task-1', events, { expectedVersion: 'any' });
    await store.appendToStream('task-1', [newEvent('B')], { expectedVersion: 'any' });

    expect(await store.appendToStream('task-1', events, { expectedVersion: 'any' })).toEqual(first);
    expect(client.log).toHaveLength(2);
  });

  test('with any, ids of which only some are stored are an id conflict', async () => {
    const { client, store } = setup();
    const a = newEvent('A');
    await store.appendToStream('task-1', [a], { expectedVersion: 'any' });
    await store.appendToStream('task-1', [newEvent('B')], { expectedVersion: 'any' });

    // Found at the stream's end by the adapter...
    await expect(
      store.appendToStream('task-1', [newEvent('C'), a], { expectedVersion: 'any' }),
    ).rejects.toThrow(EventIdConflictError);
    // ...or refused by the server, which remembers `a` but not what follows it.
    await store.appendToStream('task-1', [newEvent('D'), newEvent('E')], {
      expectedVersion: 'any',
    });
    await expect(
      store.appendToStream('task-1', [a, newEvent('F')], { expectedVersion: 'any' }),
    ).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT', eventId: a.id });
    expect(client.log).toHaveLength(4);
  });

  test('a refusal answered as a result (throwOnAppendFailure: false) is translated the same way', async () => {
    const { client, store } = setup();
    const events = [newEvent('A'), newEvent('B')];
    await store.appendToStream('task-1', events, { expectedVersion: 'no_stream' });
    client.answerFailureInsteadOfThrowing = true;

    await expect(
      store.appendToStream('task-1', [newEvent('C')], { expectedVersion: 1 }),
    ).rejects.toMatchObject({
      code: 'EXPECTED_VERSION_CONFLICT',
      actual: 2,
    });
  });

  test('uses the server’s position, and reads the last event’s when the server gives none', async () => {
    const { client, store } = setup();
    client.answerWithoutPosition = true;
    const result = await store.appendToStream('task-1', [newEvent('A'), newEvent('B')], {
      expectedVersion: 'no_stream',
    });
    expect(result.lastGlobalPosition).toBe((client.log.at(-1) as StoredRecord).position.commit);
    expect(client.reads.at(-1)).toEqual({
      streamName: 'task-1',
      options: { fromRevision: 1n, maxCount: 1 },
    });
  });

  test('an empty append checks the expected version and writes nothing', async () => {
    const { client, store } = setup();
    expect(await store.appendToStream('task-1', [], { expectedVersion: 'no_stream' })).toEqual({
      nextExpectedVersion: 0,
      lastGlobalPosition: 0n,
    });
    await store.appendToStream('task-1', [newEvent('A'), newEvent('B')], { expectedVersion: 0 });
    expect(await store.appendToStream('task-1', [], { expectedVersion: 2 })).toEqual({
      nextExpectedVersion: 2,
      lastGlobalPosition: (client.log.at(-1) as StoredRecord).position.commit,
    });
    expect(
      (await store.appendToStream('task-1', [], { expectedVersion: 'any' })).nextExpectedVersion,
    ).toBe(2);
    await expect(store.appendToStream('task-1', [], { expectedVersion: 1 })).rejects.toMatchObject({
      expected: 1,
      actual: 2,
    });
    expect(client.appends).toHaveLength(1);
  });

  test('an unreachable server is EventStoreUnavailableError, with the driver’s error as cause', async () => {
    const { client, store } = setup();
    const cause = new UnavailableError(undefined, 'No connection established');
    client.failNextCall = cause;
    const append = store.appendToStream('task-1', [newEvent('A')], {
      expectedVersion: 'no_stream',
    });
    await expect(append).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(append).rejects.toMatchObject({ cause });
  });

  test('refuses versions that are not counts before contacting the server', async () => {
    const { client, store } = setup();
    await expect(
      store.appendToStream('task-1', [newEvent('A')], { expectedVersion: -1 }),
    ).rejects.toThrow(RangeError);
    await expect(
      store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 1.5 }),
    ).rejects.toThrow(RangeError);
    expect(client.appends).toEqual([]);
  });
});

describe('EventStoreDbEventStore.readStream', () => {
  test('a stream that does not exist reads as no events', async () => {
    const { store } = setup();
    expect(await store.readStream('task-404')).toEqual([]);
  });

  test('reads from a 1-based version, at most maxCount events', async () => {
    const { client, store } = setup();
    await store.appendToStream(
      'task-1',
      ['A', 'B', 'C', 'D', 'E'].map((type) => newEvent(type)),
      {
        expectedVersion: 'no_stream',
      },
    );
    const read = await store.readStream('task-1', { fromVersion: 2, maxCount: 3 });
    expect(read.map((event) => [event.type, event.streamVersion])).toEqual([
      ['B', 2],
      ['C', 3],
      ['D', 4],
    ]);
    expect(client.reads.at(-1)?.options).toEqual({ fromRevision: 1n, maxCount: 3 });
    expect(await store.readStream('task-1', { fromVersion: 6 })).toEqual([]);
    expect(await store.readStream('task-1', { maxCount: 0 })).toEqual([]);
  });

  test('refuses a version to read from below 1', async () => {
    const { store } = setup();
    await expect(store.readStream('task-1', { fromVersion: 0 })).rejects.toThrow(RangeError);
    await expect(store.readStream('task-1', { maxCount: -1 })).rejects.toThrow(RangeError);
  });

  test('an unreachable server is EventStoreUnavailableError', async () => {
    const { client, store } = setup();
    client.failNextCall = new UnavailableError(undefined, 'No connection established');
    await expect(store.readStream('task-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });
});

describe('EventStoreDbEventStore.subscribeToAll', () => {
  test('delivers every event from the start in $all order, without EventStoreDB’s own', async () => {
    const { client, store } = setup();
    client.writeSystemEvent('$settings', 'update');
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    client.writeSystemEvent('$$task-1', '$metadata');
    await store.appendToStream('node-1', [newEvent('B')], { expectedVersion: 'no_stream' });

    const batches = await takeBatches(store.subscribeToAll(), 2);

    expect(batches.flat().map((event) => [event.streamId, event.type])).toEqual([
      ['task-1', 'A'],
      ['node-1', 'B'],
    ]);
    const [{ fromPosition, filter }] = client.subscriptions as [
      (typeof client.subscriptions)[number],
    ];
    expect(fromPosition).toBe(START);
    expect(filter).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
  });

  test('filters on the server by stream prefix, and still drops system event types', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    await store.appendToStream('node-1', [newEvent('B')], { expectedVersion: 'no_stream' });
    client.writeSystemEvent('task-2', '$streamDeleted');
    await store.appendToStream('task-3', [newEvent('C')], { expectedVersion: 'no_stream' });

    const events = (await takeBatches(store.subscribeToAll({ streamPrefix: 'task-' }), 2)).flat();

    expect(events.map((event) => event.streamId)).toEqual(['task-1', 'task-3']);
    expect(client.subscriptions[0]?.filter).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['task-'],
    });
  });

  test('resumes after the event whose checkpoint it is given', async () => {
    const { client, store } = setup();
    await store.appendToStream('task-1', [newEvent('A'), newEvent('B'), newEvent('C')], {
      expectedVersion: 'no_stream',
    });
    const [first] = (await takeBatches(store.subscribeToAll({ batchSize: 1 }), 1)).flat() as [
      RecordedEvent,
    ];

    const rest = (await takeBatches(store.subscribeToAll({ from: first.checkpoint }), 2)).flat();

    expect(rest.map((event) => event.type)).toEqual(['B', 'C']);
    expect(client.subscriptions[1]?.fromPosition).toEqual((client.log[0] as StoredRecord).position);
  });

  test('hands out batches no larger than batchSize, with a buffer of that size', async () => {
    const { client, store } = setup();
    await store.appendToStream(
      'task-1',
      ['A', 'B', 'C', 'D', 'E'].map((type) => newEvent(type)),
      {
        expectedVersion: 'no_stream',
      },
    );
    const batches = await takeBatches(store.subscribeToAll({ batchSize: 2 }), 5);
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    expect(client.subscriptions[0]?.highWaterMark).toBe(2);
  });

  test('delivers events appended while it waits', async () => {
    const { store } = setup();
    const subscription = takeBatches(store.subscribeToAll(), 2);
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    await store.appendToStream('task-1', [newEvent('B')], { expectedVersion: 1 });
    expect((await subscription).flat().map((event) => event.type)).toEqual(['A', 'B']);
  });

  test('refuses a malformed checkpoint or batch size when called, not when iterated', () => {
    const { store } = setup();
    expect(() => store.subscribeToAll({ from: '42' })).toThrow(RangeError);
    expect(() => store.subscribeToAll({ from: 'not-a-checkpoint' })).toThrow(RangeError);
    expect(() => store.subscribeToAll({ batchSize: 0 })).toThrow(RangeError);
  });

  test('the signal ends the iteration and unsubscribes', async () => {
    const { client, store } = setup();
    const abort = new AbortController();
    const batches: RecordedEvent[][] = [];
    const consumed = (async () => {
      for await (const batch of store.subscribeToAll({ signal: abort.signal })) batches.push(batch);
    })();
    await store.appendToStream('task-1', [newEvent('A')], { expectedVersion: 'no_stream' });
    while (batches.length === 0) await new Promise((resolve) => setImmediate(resolve));

    abort.abort();
    await consumed;
    expect(client.subscriptions[0]?.subscription.unsubscribed).toBe(true);
  });
});

describe('EventStoreDbEventStore.close', () => {
  test('ends running subscriptions and leaves a client it was given open', async () => {
    const { client, store } = setup();
    const consumed = (async () => {
      for await (const _ of store.subscribeToAll()) {
        // nothing is written
      }
    })();
    while (client.subscriptions.length === 0) await new Promise((resolve) => setImmediate(resolve));

    await store.close();
    await consumed;
    expect(client.subscriptions[0]?.subscription.unsubscribed).toBe(true);
    expect(client.disposed).toBe(false);
  });

  test('disposes of the client it created from a connection string', async () => {
    // The client connects on first use only, so nothing is dialled here.
    const store = new EventStoreDbEventStore({
      connectionString: 'esdb://127.0.0.1:2113?tls=false',
    });
    await expect(store.close()).resolves.toBeUndefined();
  });
});
