// The behaviour every EventStore adapter must show, as one Jest suite that each adapter's spec runs
// with its own factory. Every test works on its own random stream ids, and subscriptions filter on
// a random stream prefix, so one store serves the whole suite and a server holding old data works.
import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, RecordedEvent } from '../port/event-store.js';
import { EventIdConflictError, ExpectedVersionConflictError } from '../port/errors.js';
import { RecordingSubscription } from './recording-subscription.js';

export interface EventStoreContractSetup {
  /** Creates the store under test (called once per suite, in beforeAll). */
  create(): Promise<EventStore>;
  /** Optional: a store over the same storage whose appends wait for `beforeCommit()` while their
   *  transaction is open, to provoke out-of-order commits. Adapters without transactions omit it. */
  createWithCommitDelay?(beforeCommit: () => Promise<void>): Promise<EventStore>;
  /** Called once after the suite. */
  dispose?(): Promise<void>;
  /**
   * Set to false by an adapter whose server cannot tell that an event id was already used in another
   * stream or further back in the same one (EventStoreDB keeps no such index). The two reuse tests
   * are then reported as skipped, naming the reason, instead of run.
   */
  detectsEventIdReuse?: boolean;
}

/**
 * Declares the contract suite for one adapter. The suite closes every store it creates (through
 * `create` and `createWithCommitDelay`) before it calls `dispose`.
 */
export function describeEventStoreContract(
  adapterName: string,
  setup: EventStoreContractSetup,
): void {
  describe(`${adapterName} event store contract`, () => {
    let store: EventStore;
    const storesToClose: EventStore[] = [];
    const subscriptions: RecordingSubscription[] = [];

    function subscribe(options: ConstructorParameters<typeof RecordingSubscription>[1]) {
      const subscription = new RecordingSubscription(store, options);
      subscriptions.push(subscription);
      return subscription;
    }

    beforeAll(async () => {
      store = await setup.create();
      storesToClose.push(store);
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    });

    afterAll(async () => {
      await Promise.all(storesToClose.map((each) => each.close()));
      await setup.dispose?.();
    });

    describe('appending and reading a stream', () => {
      test('reads back the appended events in order, with 1-based stream versions', async () => {
        const streamId = newStreamId();
        const appended = numberedEvents(3);
        await store.appendToStream(streamId, appended, { expectedVersion: 'no_stream' });

        const read = await store.readStream(streamId);

        expect(
          read.map((event) => [event.id, event.type, event.data, event.streamVersion]),
        ).toEqual(appended.map((event, index) => [event.id, event.type, event.data, index + 1]));
        for (const event of read) {
          expect(event.streamId).toBe(streamId);
          expect(typeof event.globalPosition).toBe('bigint');
          expect(typeof event.checkpoint).toBe('string');
          expect(event.recordedAt).toBeInstanceOf(Date);
          expect(Number.isNaN(event.recordedAt.getTime())).toBe(false);
        }
      });

      test('a stream that does not exist reads as no events', async () => {
        await expect(store.readStream(newStreamId())).resolves.toEqual([]);
      });

      test('the result carries the next expected version and the last global position', async () => {
        const streamId = newStreamId();
        const first = await store.appendToStream(streamId, numberedEvents(3), {
          expectedVersion: 'no_stream',
        });
        const second = await store.appendToStream(streamId, numberedEvents(2), {
          expectedVersion: first.nextExpectedVersion,
        });

        const read = await store.readStream(streamId);
        expect(first.nextExpectedVersion).toBe(3);
        expect(second.nextExpectedVersion).toBe(5);
        expect(first.lastGlobalPosition).toBe(read[2]?.globalPosition);
        expect(second.lastGlobalPosition).toBe(read[4]?.globalPosition);
      });

      test('global positions increase along a stream, within and across appends', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(3), { expectedVersion: 'no_stream' });
        await store.appendToStream(streamId, numberedEvents(3), { expectedVersion: 3 });

        expectIncreasingPositions(await store.readStream(streamId));
      });

      test('fromVersion and maxCount select a window of the stream', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(6), { expectedVersion: 'no_stream' });

        const versions = async (options: { fromVersion?: number; maxCount?: number }) =>
          (await store.readStream(streamId, options)).map((event) => event.streamVersion);
        await expect(versions({ fromVersion: 3 })).resolves.toEqual([3, 4, 5, 6]);
        await expect(versions({ maxCount: 2 })).resolves.toEqual([1, 2]);
        await expect(versions({ fromVersion: 2, maxCount: 3 })).resolves.toEqual([2, 3, 4]);
        await expect(versions({ fromVersion: 6, maxCount: 10 })).resolves.toEqual([6]);
        await expect(versions({ fromVersion: 7 })).resolves.toEqual([]);
      });

      test('appending no events checks the expected version and writes nothing', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(2), { expectedVersion: 'no_stream' });

        await expect(
          store.appendToStream(streamId, [], { expectedVersion: 2 }),
        ).resolves.toMatchObject({ nextExpectedVersion: 2 });
        await expect(
          store.appendToStream(streamId, [], { expectedVersion: 'no_stream' }),
        ).rejects.toMatchObject({ actual: 2 });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('expected version', () => {
      test("'no_stream' appends to a new stream and conflicts with an existing one", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(2), { expectedVersion: 'no_stream' });

        const conflict = store.appendToStream(streamId, numberedEvents(1), {
          expectedVersion: 'no_stream',
        });

        await expect(conflict).rejects.toBeInstanceOf(ExpectedVersionConflictError);
        await expect(conflict).rejects.toMatchObject({
          streamId,
          expected: 'no_stream',
          actual: 2,
        });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      test("0 means the same as 'no_stream'", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(1), { expectedVersion: 0 });

        await expect(
          store.appendToStream(streamId, numberedEvents(1), { expectedVersion: 0 }),
        ).rejects.toMatchObject({ actual: 1 });
      });

      test('an exact version must be the stream version', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(3), { expectedVersion: 'no_stream' });

        for (const wrong of [2, 4]) {
          const conflict = store.appendToStream(streamId, numberedEvents(1), {
            expectedVersion: wrong,
          });
          await expect(conflict).rejects.toBeInstanceOf(ExpectedVersionConflictError);
          await expect(conflict).rejects.toMatchObject({ expected: wrong, actual: 3 });
        }
        await expect(
          store.appendToStream(streamId, numberedEvents(1), { expectedVersion: 3 }),
        ).resolves.toMatchObject({ nextExpectedVersion: 4 });
      });

      test('an exact version on a missing stream conflicts with version 0', async () => {
        const conflict = store.appendToStream(newStreamId(), numberedEvents(1), {
          expectedVersion: 2,
        });
        await expect(conflict).rejects.toBeInstanceOf(ExpectedVersionConflictError);
        await expect(conflict).rejects.toMatchObject({ actual: 0 });
      });

      test("'any' appends whatever the version", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(1), { expectedVersion: 'any' });
        const result = await store.appendToStream(streamId, numberedEvents(2), {
          expectedVersion: 'any',
        });
        expect(result.nextExpectedVersion).toBe(3);
        expect(await store.readStream(streamId)).toHaveLength(3);
      });

      test('of concurrent appends with the same expected version exactly one wins', async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(2), { expectedVersion: 'no_stream' });

        const attempts = await Promise.allSettled(
          Array.from({ length: 12 }, (_, writer) =>
            store.appendToStream(streamId, [newEvent('Raced', { writer })], {
              expectedVersion: 2,
            }),
          ),
        );

        const winners = attempts.filter((attempt) => attempt.status === 'fulfilled');
        const losers = attempts.flatMap((attempt) =>
          attempt.status === 'rejected' ? [attempt.reason as unknown] : [],
        );
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(11);
        for (const loser of losers) {
          expect(loser).toBeInstanceOf(ExpectedVersionConflictError);
          expect(loser).toMatchObject({ expected: 2, actual: 3 });
        }
        const read = await store.readStream(streamId);
        expect(read).toHaveLength(3);
        expect(read[2]?.type).toBe('Raced');
      });
    });

    describe('idempotent appends', () => {
      test('repeating an append with the same event ids succeeds, writes nothing, returns the same result', async () => {
        const streamId = newStreamId();
        const batch = numberedEvents(3);
        const original = await store.appendToStream(streamId, batch, {
          expectedVersion: 'no_stream',
        });

        const repeated = await store.appendToStream(streamId, batch, {
          expectedVersion: 'no_stream',
        });
        expect(repeated).toEqual(original);

        // Also when the retry comes after the stream has moved on.
        const next = numberedEvents(2);
        const nextOriginal = await store.appendToStream(streamId, next, { expectedVersion: 3 });
        await store.appendToStream(streamId, numberedEvents(1), { expectedVersion: 5 });
        await expect(
          store.appendToStream(streamId, batch, { expectedVersion: 0 }),
        ).resolves.toEqual(original);
        await expect(store.appendToStream(streamId, next, { expectedVersion: 3 })).resolves.toEqual(
          nextOriginal,
        );

        const read = await store.readStream(streamId);
        expect(read).toHaveLength(6);
        expect(read.slice(0, 5).map((event) => event.id)).toEqual(ids([...batch, ...next]));
      });

      test("repeating an append made with 'any' returns the same result", async () => {
        const streamId = newStreamId();
        await store.appendToStream(streamId, numberedEvents(2), { expectedVersion: 'any' });
        const batch = numberedEvents(2);
        const original = await store.appendToStream(streamId, batch, { expectedVersion: 'any' });

        await expect(
          store.appendToStream(streamId, batch, { expectedVersion: 'any' }),
        ).resolves.toEqual(original);
        expect(await store.readStream(streamId)).toHaveLength(4);
      });

      test('concurrent repeats of one append write it once', async () => {
        const streamId = newStreamId();
        const batch = numberedEvents(2);
        const results = await Promise.all(
          Array.from({ length: 6 }, () =>
            store.appendToStream(streamId, batch, { expectedVersion: 'no_stream' }),
          ),
        );
        for (const result of results) expect(result).toEqual(results[0]);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      const reuseTest =
        setup.detectsEventIdReuse === false
          ? (name: string, body: () => Promise<void>) =>
              test.skip(`${name} (not detectable by ${adapterName})`, body)
          : test;

      reuseTest('reusing an event id in another stream is an EventIdConflictError', async () => {
        const reused = newEvent('Reused');
        await store.appendToStream(newStreamId(), [reused], { expectedVersion: 'no_stream' });
        const otherStream = newStreamId();

        const conflict = store.appendToStream(otherStream, [newEvent('Fresh'), reused], {
          expectedVersion: 'no_stream',
        });

        await expect(conflict).rejects.toBeInstanceOf(EventIdConflictError);
        await expect(conflict).rejects.toMatchObject({ eventId: reused.id });
        await expect(store.readStream(otherStream)).resolves.toEqual([]);
      });

      reuseTest(
        'reusing an event id at another version of the same stream is an EventIdConflictError',
        async () => {
          const streamId = newStreamId();
          const [first, second] = numberedEvents(2) as [NewEvent, NewEvent];
          await store.appendToStream(streamId, [first, second], { expectedVersion: 'no_stream' });

          await expect(
            store.appendToStream(streamId, [first], { expectedVersion: 2 }),
          ).rejects.toBeInstanceOf(EventIdConflictError);
          await expect(
            store.appendToStream(streamId, [second], { expectedVersion: 'no_stream' }),
          ).rejects.toBeInstanceOf(EventIdConflictError);
          expect(await store.readStream(streamId)).toHaveLength(2);
        },
      );
    });

    describe('subscription to all events', () => {
      test('catches up on existing events, then delivers events appended later', async () => {
        const prefix = newStreamPrefix();
        const streamId = `${prefix}catch-up`;
        const before = numberedEvents(3);
        await store.appendToStream(streamId, before, { expectedVersion: 'no_stream' });

        const subscription = subscribe({ streamPrefix: prefix });
        await subscription.waitForIds(ids(before));
        const after = numberedEvents(2);
        await store.appendToStream(streamId, after, { expectedVersion: 3 });
        const received = await subscription.waitForIds(ids(after));

        expect(received.map((event) => event.id)).toEqual(ids([...before, ...after]));
        expect(received.map((event) => event.streamVersion)).toEqual([1, 2, 3, 4, 5]);
      });

      test('delivers what readStream reads, and positions that increase along the subscription', async () => {
        const prefix = newStreamPrefix();
        const streams = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
        for (const round of [1, 2, 3]) {
          for (const streamId of streams) {
            await store.appendToStream(streamId, numberedEvents(round), { expectedVersion: 'any' });
          }
        }
        const stored = (await Promise.all(streams.map((id) => store.readStream(id)))).flat();

        const received = await subscribe({ streamPrefix: prefix }).waitForIds(ids(stored));

        expect(received).toHaveLength(stored.length);
        expectIncreasingPositions(received);
        const byId = new Map(stored.map((event) => [event.id, event]));
        for (const event of received) {
          const read = byId.get(event.id);
          expect(read).toBeDefined();
          expect({ ...event, checkpoint: undefined, recordedAt: undefined }).toEqual({
            ...read,
            checkpoint: undefined,
            recordedAt: undefined,
          });
          expect(typeof event.checkpoint).toBe('string');
          expect(event.recordedAt.getTime()).toBe(read?.recordedAt.getTime());
        }
      });

      test('says once when it has handed out what was stored, even while writes go on', async () => {
        const prefix = newStreamPrefix();
        const stored = numberedEvents(30);
        await store.appendToStream(`${prefix}history`, stored, { expectedVersion: 'no_stream' });
        let caughtUp = 0;
        let deliveredWhenCaughtUp = -1;
        const subscription: RecordingSubscription = subscribe({
          streamPrefix: prefix,
          batchSize: 4,
          onCaughtUp: () => {
            caughtUp += 1;
            deliveredWhenCaughtUp = subscription.events.length;
          },
        });
        // A steady writer that never pauses long enough for the subscription to look quiet.
        let writing = true;
        const writer = (async () => {
          for (let version = 0; writing; version += 1) {
            await store.appendToStream(`${prefix}live`, numberedEvents(1), {
              expectedVersion: version === 0 ? 'no_stream' : version,
            });
          }
        })();
        try {
          await subscription.waitFor('the caught-up signal', () => caughtUp > 0);
        } finally {
          writing = false;
          await writer;
        }
        expect(caughtUp).toBe(1);
        expect(deliveredWhenCaughtUp).toBeGreaterThanOrEqual(stored.length);
        const delivered = subscription.events.map((event) => event.id);
        expect(delivered.slice(0, stored.length)).toEqual(expect.arrayContaining(ids(stored)));
      });

      test('says at once that it has caught up when there is nothing to hand out', async () => {
        let caughtUp = 0;
        const subscription = subscribe({
          streamPrefix: newStreamPrefix(),
          onCaughtUp: () => {
            caughtUp += 1;
          },
        });
        await subscription.waitFor('the caught-up signal', () => caughtUp > 0);
        expect(caughtUp).toBe(1);
      });

      test('resumes after a checkpoint with no repeat and no loss', async () => {
        const prefix = newStreamPrefix();
        const streamId = `${prefix}resume`;
        const appended = numberedEvents(5);
        await store.appendToStream(streamId, appended, { expectedVersion: 'no_stream' });
        const first = subscribe({ streamPrefix: prefix });
        const seen = await first.waitForIds(ids(appended));
        await first.stop();
        const checkpoint = seen[1]?.checkpoint;
        expect(checkpoint).toBeDefined();

        const resumed = subscribe({ streamPrefix: prefix, from: checkpoint });
        const later = numberedEvents(1);
        await store.appendToStream(streamId, later, { expectedVersion: 5 });
        const received = await resumed.waitForIds(ids(later));

        expect(received.map((event) => event.id)).toEqual(ids([...appended.slice(2), ...later]));

        // From the last checkpoint: only what comes after it.
        const fromLast = subscribe({ streamPrefix: prefix, from: received.at(-1)?.checkpoint });
        const newest = numberedEvents(1);
        await store.appendToStream(streamId, newest, { expectedVersion: 6 });
        const tail = await fromLast.waitForIds(ids(newest));
        expect(tail.map((event) => event.id)).toEqual(ids(newest));
      });

      test('delivers only the streams that start with the prefix', async () => {
        const prefix = newStreamPrefix();
        // Characters that mean something to LIKE or to regular expressions are matched literally.
        const literalPrefix = `${prefix}50%_off.*-`;
        const matching = [`${literalPrefix}1`, `${literalPrefix}2`];
        const others = [
          `x${literalPrefix}3`,
          `${prefix}50%Xoff.*-4`,
          `${prefix}50%_off.x-5`,
          literalPrefix.slice(0, -1),
        ];
        const expected: NewEvent[] = [];
        for (const streamId of [...others, ...matching, ...others]) {
          const batch = numberedEvents(1);
          await store.appendToStream(streamId, batch, { expectedVersion: 'any' });
          if (matching.includes(streamId)) expected.push(...batch);
        }
        const sentinel = numberedEvents(1);
        await store.appendToStream(`${literalPrefix}sentinel`, sentinel, {
          expectedVersion: 'no_stream',
        });

        const received = await subscribe({ streamPrefix: literalPrefix }).waitForIds(ids(sentinel));

        expect(received.map((event) => event.id)).toEqual(ids([...expected, ...sentinel]));
      });

      test('hands events over in batches of at most batchSize', async () => {
        const prefix = newStreamPrefix();
        const appended = numberedEvents(11);
        await store.appendToStream(`${prefix}batched`, appended, { expectedVersion: 'no_stream' });

        const subscription = subscribe({ streamPrefix: prefix, batchSize: 4 });
        const received = await subscription.waitForIds(ids(appended));

        expect(received.map((event) => event.id)).toEqual(ids(appended));
        expect(subscription.batchSizes.every((size) => size >= 1 && size <= 4)).toBe(true);
      });

      test('aborting the signal ends the iterator, also while it waits for new events', async () => {
        const prefix = newStreamPrefix();
        const appended = numberedEvents(1);
        await store.appendToStream(`${prefix}abort`, appended, { expectedVersion: 'no_stream' });
        const controller = new AbortController();
        const iterator = store
          .subscribeToAll({ streamPrefix: prefix, signal: controller.signal })
          [Symbol.asyncIterator]();

        const first = await iterator.next();
        expect(first.done).toBe(false);
        expect(first.value?.map((event: RecordedEvent) => event.id)).toEqual(ids(appended));
        const waiting = iterator.next();
        controller.abort();

        await expect(waiting).resolves.toMatchObject({ done: true });
      });

      test('a signal aborted up front yields nothing', async () => {
        const prefix = newStreamPrefix();
        await store.appendToStream(`${prefix}aborted`, numberedEvents(1), {
          expectedVersion: 'no_stream',
        });
        const batches: RecordedEvent[][] = [];
        for await (const batch of store.subscribeToAll({
          streamPrefix: prefix,
          signal: AbortSignal.abort(),
        })) {
          batches.push(batch);
        }
        expect(batches).toEqual([]);
      });

      test('breaking out of the loop ends the subscription', async () => {
        const prefix = newStreamPrefix();
        await store.appendToStream(`${prefix}break`, numberedEvents(3), {
          expectedVersion: 'no_stream',
        });
        let batches = 0;
        for await (const _batch of store.subscribeToAll({ streamPrefix: prefix, batchSize: 1 })) {
          batches += 1;
          if (batches === 2) break;
        }
        expect(batches).toBe(2);
        // The store is still usable afterwards.
        await expect(store.readStream(`${prefix}break`)).resolves.toHaveLength(3);
      });
    });

    test('metadata and binary-safe data round-trip through readStream and subscriptions', async () => {
      const prefix = newStreamPrefix();
      const streamId = `${prefix}round-trip`;
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
      const data = {
        bodyBase64: allBytes.toString('base64'),
        latin1: allBytes.toString('latin1'),
        unicode: 'zażółć gęślą jaźń — 日本語 — 🚀 👩‍👩‍👧 e\u0301',
        unpairedSurrogates: 'a\ud800b\udfffc',
        escapes: `"quoted" 'single' \\back\\slash\\ /slash/ \`tick\` \${x} \n\r\t`,
        numbers: [0, -1, 1.5, -3e-7, 1e21, Number.MAX_SAFE_INTEGER],
        nested: { empty: {}, list: [], flags: [true, false, null], text: '' },
      };
      const metadata = {
        correlationId: randomUUID(),
        causationId: randomUUID(),
        schemaVersion: 2,
        tags: ['a', 'b'],
        nested: { nothing: null, nul: 'x\u0000y' },
      };
      const appended: NewEvent[] = [
        { id: randomUUID(), type: 'Binary', data, metadata },
        { id: randomUUID(), type: 'WithoutMetadata', data: { ok: true } },
        { id: randomUUID(), type: 'ArrayData', data: [1, 'two', { three: 3 }] },
        { id: randomUUID(), type: 'StringData', data: 'just text \u0000 with a NUL' },
        { id: randomUUID(), type: 'NullData', data: null },
      ];
      await store.appendToStream(streamId, appended, { expectedVersion: 'no_stream' });

      const read = await store.readStream(streamId);
      const received = await subscribe({ streamPrefix: prefix }).waitForIds(ids(appended));

      for (const events of [read, received]) {
        expect(events.map((event) => ({ type: event.type, data: event.data }))).toEqual(
          appended.map((event) => ({ type: event.type, data: event.data })),
        );
        expect(events.map((event) => event.metadata)).toEqual([metadata, {}, {}, {}, {}]);
        expect(Buffer.from((events[0]?.data as typeof data).bodyBase64, 'base64')).toEqual(
          allBytes,
        );
      }
    });

    test('gap test: many concurrent appenders with late commits, one subscriber sees every event exactly once, each stream in order', async () => {
      const writers = 16;
      const appendsPerWriter = 30;
      const prefix = newStreamPrefix();
      const streams = Array.from({ length: 6 }, (_, index) => `${prefix}gap-${index}`);

      // A good share of the transactions stay open for a while, so later ones commit first.
      const holdSomeOpen = async (): Promise<void> => {
        if (Math.random() < 0.5) await sleep(1 + Math.random() * 25);
      };
      const writerStores: EventStore[] = [];
      if (setup.createWithCommitDelay) {
        for (let index = 0; index < 8; index += 1) {
          const delayed = await setup.createWithCommitDelay(holdSomeOpen);
          storesToClose.push(delayed);
          writerStores.push(delayed);
        }
      } else {
        writerStores.push(store);
      }

      const subscriber = subscribe({ streamPrefix: prefix });
      const pagingSubscriber = subscribe({ streamPrefix: prefix, batchSize: 7 });

      const appendedIds = new Set<string>();
      const writer = async (index: number): Promise<void> => {
        const writerStore = writerStores[index % writerStores.length] ?? store;
        const usesExactVersions = index % 2 === 1;
        for (let round = 0; round < appendsPerWriter; round += 1) {
          const streamId = streams[Math.floor(Math.random() * streams.length)] ?? `${prefix}gap`;
          const batch = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, n) =>
            newEvent('Written', { writer: index, round, n }),
          );
          if (usesExactVersions) {
            await appendWithExactVersion(writerStore, streamId, batch);
          } else {
            await writerStore.appendToStream(streamId, batch, { expectedVersion: 'any' });
          }
          for (const event of batch) appendedIds.add(event.id);
        }
      };
      await Promise.all(Array.from({ length: writers }, (_, index) => writer(index)));

      // Appended after every writer has finished: once a subscriber has it, it has had its chance
      // to deliver everything before it.
      const sentinel = numberedEvents(1);
      await store.appendToStream(`${prefix}sentinel`, sentinel, { expectedVersion: 'no_stream' });

      for (const each of [subscriber, pagingSubscriber]) {
        const received = await each.waitForIds(ids(sentinel), 60_000);
        const receivedIds = received.map((event) => event.id);
        expect(new Set(receivedIds).size).toBe(receivedIds.length);
        expect(new Set(receivedIds)).toEqual(new Set([...appendedIds, ...ids(sentinel)]));
        expectIncreasingPositions(received);
        const versionsByStream = new Map<string, number[]>();
        for (const event of received) {
          const versions = versionsByStream.get(event.streamId) ?? [];
          versions.push(event.streamVersion);
          versionsByStream.set(event.streamId, versions);
        }
        for (const [streamId, versions] of versionsByStream) {
          expect({ streamId, versions }).toEqual({
            streamId,
            versions: versions.map((_, index) => index + 1),
          });
        }
      }
    }, 120_000);
  });
}

async function appendWithExactVersion(
  store: EventStore,
  streamId: string,
  events: readonly NewEvent[],
): Promise<void> {
  let expectedVersion = (await store.readStream(streamId)).length;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      await store.appendToStream(streamId, events, { expectedVersion });
      return;
    } catch (error) {
      if (!(error instanceof ExpectedVersionConflictError)) throw error;
      expectedVersion = error.actual;
    }
  }
  throw new Error(`could not append to ${streamId}: always conflicting`);
}

function expectIncreasingPositions(events: readonly RecordedEvent[]): void {
  const positions = events.map((event) => event.globalPosition);
  for (const position of positions) expect(typeof position).toBe('bigint');
  const decreasing = positions.findIndex(
    (position, index) => index > 0 && position <= (positions[index - 1] ?? -1n),
  );
  expect(decreasing).toBe(-1);
}

function newStreamId(): string {
  return `contract-${randomUUID()}`;
}

function newStreamPrefix(): string {
  return `contract${randomUUID().replaceAll('-', '').slice(0, 12)}-`;
}

function newEvent(type: string, data: unknown = { note: type }): NewEvent {
  return { id: randomUUID(), type, data };
}

function numberedEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => newEvent('Counted', { n: index + 1 }));
}

function ids(events: readonly { readonly id: string }[]): string[] {
  return events.map((event) => event.id);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
