import { PassThrough } from 'node:stream';
import { START, UnavailableError } from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  ReadPosition,
} from '@eventstore/db-client';
import { ConstantBackoff } from 'cockatiel';
import type { IBackoff, IBackoffFactory } from 'cockatiel';
import { EventStoreUnavailableError } from '../port/errors.js';
import type { RecordedEvent } from '../port/event-store.js';
import {
  defaultResubscribeBackoff,
  resumableAllSubscription,
} from './resumable-all-subscription.js';
import type { SubscriptionDrop } from './resumable-all-subscription.js';

/** Stands in for the client's subscription: an object-mode stream the test writes events into. */
class FakeSubscription extends PassThrough {
  unsubscribed = 0;

  constructor(readonly from: ReadPosition) {
    super({ objectMode: true, highWaterMark: 100 });
  }

  deliver(...events: AllStreamResolvedEvent[]): void {
    for (const event of events) this.write(event);
  }

  async unsubscribe(): Promise<void> {
    this.unsubscribed += 1;
  }
}

function storeEvent(
  n: number,
  fields: { streamId?: string; type?: string } = {},
): AllStreamResolvedEvent {
  const position = { commit: BigInt(n * 100), prepare: BigInt(n * 100) };
  return {
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      streamId: fields.streamId ?? `task-${n}`,
      revision: 0n,
      type: fields.type ?? 'TaskIssued',
      data: { n },
      metadata: undefined,
      isJson: true,
      created: new Date(0),
      position,
    },
    commitPosition: position.commit,
  } as AllStreamResolvedEvent;
}

/**
 * Runs a subscription the way a projector does, with subscriptions and waits under test control
 * (`realWait`: the adapter's own wait, with `backoff`).
 */
function run(
  options: {
    batchSize?: number;
    stopAfter?: number;
    waitForever?: boolean;
    realWait?: boolean;
    backoff?: IBackoffFactory<unknown>;
  } = {},
) {
  const opened: FakeSubscription[] = [];
  const openListeners: (() => void)[] = [];
  const drops: SubscriptionDrop[] = [];
  const waits: number[] = [];
  const abort = new AbortController();
  const delivered: RecordedEvent[] = [];
  const batches: number[] = [];

  const subscription = resumableAllSubscription({
    open: (from) => {
      const opening = new FakeSubscription(from);
      opened.push(opening);
      for (const listener of openListeners.splice(0)) listener();
      return opening as unknown as AllStreamSubscription;
    },
    from: START,
    batchSize: options.batchSize ?? 100,
    signal: abort.signal,
    onDrop: (drop) => drops.push(drop),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.realWait === true
      ? {}
      : {
          wait: async (ms: number, signal: AbortSignal) => {
            waits.push(ms);
            if (options.waitForever === true) {
              await new Promise<void>((resolve) =>
                signal.addEventListener('abort', () => resolve()),
              );
            }
          },
        }),
  });

  let finished = false;
  const consumed = (async () => {
    try {
      for await (const batch of subscription) {
        batches.push(batch.length);
        delivered.push(...batch);
        if (options.stopAfter !== undefined && delivered.length >= options.stopAfter) break;
      }
    } finally {
      finished = true;
      for (const listener of openListeners.splice(0)) listener();
    }
  })();

  /** The n-th subscription opened (1-based), once it is. */
  async function subscriptionNumber(n: number): Promise<FakeSubscription> {
    while (opened.length < n) {
      if (finished) throw new Error(`the subscription ended before opening subscription ${n}`);
      await new Promise<void>((resolve) => openListeners.push(resolve));
    }
    return opened[n - 1] as FakeSubscription;
  }

  /** Resolves once `count` events have reached the consumer. */
  async function deliveredCount(count: number): Promise<void> {
    while (delivered.length < count) {
      if (finished)
        throw new Error(`the subscription ended after ${delivered.length} of ${count} events`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  return {
    opened,
    drops,
    waits,
    abort,
    delivered,
    batches,
    consumed,
    subscriptionNumber,
    deliveredCount,
  };
}

/** What the client emits when the connection to the server is lost. */
const unavailable = (message: string) => new UnavailableError(undefined, message);

const ids = (events: readonly RecordedEvent[]) => events.map((event) => event.streamId);

describe('resumableAllSubscription', () => {
  test('starts from the given position and delivers the events as RecordedEvents', async () => {
    const test = run({ stopAfter: 2 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1), storeEvent(2));
    await test.consumed;

    expect(first.from).toBe(START);
    expect(test.delivered).toEqual([
      expect.objectContaining({
        streamId: 'task-1',
        streamVersion: 1,
        globalPosition: 100n,
        checkpoint: '100/100',
      }),
      expect.objectContaining({
        streamId: 'task-2',
        streamVersion: 1,
        globalPosition: 200n,
        checkpoint: '200/200',
      }),
    ]);
  });

  test('hands over what has arrived in batches of at most batchSize', async () => {
    const test = run({ batchSize: 2, stopAfter: 5 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1), storeEvent(2), storeEvent(3), storeEvent(4), storeEvent(5));
    await test.consumed;
    expect(test.batches).toEqual([2, 2, 1]);
  });

  test('after a drop, subscribes again after the last delivered event: nothing twice, nothing missed', async () => {
    const test = run({ stopAfter: 4 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1), storeEvent(2));
    await test.deliveredCount(2);
    first.emit('error', unavailable('Connection dropped'));

    const second = await test.subscriptionNumber(2);
    expect(second.from).toEqual({ commit: 200n, prepare: 200n });
    second.deliver(storeEvent(3), storeEvent(4));
    await test.consumed;

    expect(ids(test.delivered)).toEqual(['task-1', 'task-2', 'task-3', 'task-4']);
    expect(first.unsubscribed).toBe(1);
    expect(test.drops).toEqual([
      { error: expect.any(EventStoreUnavailableError), consecutiveFailures: 1, retryInMs: 100 },
    ]);
    expect(test.drops[0]?.error.message).toContain('Connection dropped');
  });

  test('a drop before anything was delivered resubscribes from where it started', async () => {
    const test = run({ stopAfter: 1 });
    (await test.subscriptionNumber(1)).emit('error', unavailable('no connection'));
    const second = await test.subscriptionNumber(2);
    expect(second.from).toBe(START);
    second.deliver(storeEvent(1));
    await test.consumed;
  });

  test('events received before the drop are still delivered, and the new subscription starts after them', async () => {
    const test = run({ stopAfter: 3 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1), storeEvent(2));
    first.emit('error', unavailable('reset'));

    const second = await test.subscriptionNumber(2);
    expect(second.from).toEqual({ commit: 200n, prepare: 200n });
    second.deliver(storeEvent(3));
    await test.consumed;
    expect(ids(test.delivered)).toEqual(['task-1', 'task-2', 'task-3']);
  });

  test('the server ending the subscription counts as a drop', async () => {
    const test = run({ stopAfter: 2 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1));
    first.end();
    const second = await test.subscriptionNumber(2);
    expect(second.from).toEqual({ commit: 100n, prepare: 100n });
    second.deliver(storeEvent(2));
    await test.consumed;
    expect(test.drops.map((drop) => drop.error.message)).toEqual([
      'EventStoreDB ended the subscription to $all',
    ]);
  });

  test('backs off more with each drop in a row and starts over after a delivery', async () => {
    const test = run({ stopAfter: 2 });
    (await test.subscriptionNumber(1)).emit('error', unavailable('down'));
    (await test.subscriptionNumber(2)).emit('error', unavailable('down'));
    (await test.subscriptionNumber(3)).emit('error', unavailable('down'));
    const fourth = await test.subscriptionNumber(4);
    fourth.deliver(storeEvent(1));
    await test.deliveredCount(1);
    fourth.emit('error', unavailable('down again'));
    (await test.subscriptionNumber(5)).deliver(storeEvent(2));
    await test.consumed;

    expect(test.waits).toEqual([100, 200, 400, 100]);
    expect(test.drops.map((drop) => drop.consecutiveFailures)).toEqual([1, 2, 3, 1]);
  });

  test('a subscription that reports being caught up counts as healthy', async () => {
    const test = run({ stopAfter: 1 });
    (await test.subscriptionNumber(1)).emit('error', unavailable('down'));
    const second = await test.subscriptionNumber(2);
    second.emit('caughtUp');
    second.emit('error', unavailable('down'));
    (await test.subscriptionNumber(3)).deliver(storeEvent(1));
    await test.consumed;
    expect(test.waits).toEqual([100, 100]);
  });

  test('system events are not delivered, but the subscription resumes after them', async () => {
    const test = run({ stopAfter: 2 });
    const first = await test.subscriptionNumber(1);
    first.deliver(
      storeEvent(1),
      storeEvent(2, { streamId: '$settings', type: 'update' }),
      storeEvent(3, { streamId: 'task-3', type: '$streamDeleted' }),
    );
    await test.deliveredCount(1);
    first.emit('error', unavailable('reset'));
    const second = await test.subscriptionNumber(2);
    expect(second.from).toEqual({ commit: 300n, prepare: 300n });
    second.deliver(storeEvent(4));
    await test.consumed;
    expect(ids(test.delivered)).toEqual(['task-1', 'task-4']);
  });

  test('items without an event (nothing but a position) are passed over', async () => {
    const test = run({ stopAfter: 1 });
    const first = await test.subscriptionNumber(1);
    first.deliver({ commitPosition: 50n } as AllStreamResolvedEvent, storeEvent(1));
    await test.consumed;
    expect(ids(test.delivered)).toEqual(['task-1']);
  });

  test('breaking out of the loop unsubscribes', async () => {
    const test = run({ stopAfter: 1 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1), storeEvent(2));
    await test.consumed;
    expect(first.unsubscribed).toBe(1);
    expect(first.destroyed).toBe(true);
  });

  test('aborting ends the iteration while it waits for events, and unsubscribes', async () => {
    const test = run();
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1));
    await test.deliveredCount(1);
    test.abort.abort();
    await test.consumed;
    expect(first.unsubscribed).toBe(1);
    expect(test.opened).toHaveLength(1);
  });

  test('aborting ends the iteration while it waits to resubscribe', async () => {
    const test = run({ waitForever: true });
    (await test.subscriptionNumber(1)).emit('error', unavailable('down'));
    while (test.waits.length === 0) await new Promise((resolve) => setImmediate(resolve));
    test.abort.abort();
    await test.consumed;
    expect(test.opened).toHaveLength(1);
  });

  test('aborting ends its own wait to resubscribe at once', async () => {
    // An hour: only an aborted wait lets the iteration end within the test's time.
    const test = run({ realWait: true, backoff: new ConstantBackoff(3_600_000) });
    (await test.subscriptionNumber(1)).emit('error', unavailable('down'));
    while (test.drops.length === 0) await new Promise((resolve) => setImmediate(resolve));
    test.abort.abort();
    await test.consumed;
    expect(test.drops.map((drop) => drop.retryInMs)).toEqual([3_600_000]);
    expect(test.opened).toHaveLength(1);
  });

  test('an error that is not the server’s ends the iteration with that error', async () => {
    const test = run();
    const first = await test.subscriptionNumber(1);
    const broken = storeEvent(1);
    delete (broken.event as { position?: unknown }).position;
    first.deliver(broken);
    await expect(test.consumed).rejects.toThrow(/without its position/);
    expect(first.unsubscribed).toBe(1);
    expect(test.opened).toHaveLength(1);
  });

  test('a late error from a released subscription does not crash the process', async () => {
    const test = run({ stopAfter: 1 });
    const first = await test.subscriptionNumber(1);
    first.deliver(storeEvent(1));
    await test.consumed;
    expect(() => first.emit('error', new Error('1 CANCELLED: Cancelled on client'))).not.toThrow();
  });
});

describe('defaultResubscribeBackoff', () => {
  const waits: number[] = [];
  let backoff: IBackoff<unknown> | undefined;
  for (let drop = 0; drop < 12; drop += 1) {
    backoff = (backoff ?? defaultResubscribeBackoff).next(undefined);
    waits.push(backoff.duration);
  }

  test('waits a tenth of a second after a first drop', () => {
    expect(waits[0]).toBe(100);
  });

  test('waits longer with each drop in a row until it reaches its cap', () => {
    for (let index = 1; index < waits.length; index += 1) {
      const previous = waits[index - 1] as number;
      expect(waits[index]).toBe(Math.min(5_000, previous * 2));
    }
  });

  test('never waits more than 5 s, however long the store is away', () => {
    expect(Math.max(...waits)).toBe(5_000);
    expect(waits.at(-1)).toBe(5_000);
  });
});
