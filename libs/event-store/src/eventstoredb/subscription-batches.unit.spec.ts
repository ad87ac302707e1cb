import { PassThrough } from 'node:stream';
import { subscriptionBatches } from './subscription-batches.js';

function objects(): PassThrough {
  return new PassThrough({ objectMode: true, highWaterMark: 100 });
}

function writeAll(source: PassThrough, items: readonly number[]): void {
  for (const item of items) source.write(item);
}

describe('subscriptionBatches', () => {
  test('hands over what is buffered, at most batchSize at a time', async () => {
    const source = objects();
    writeAll(source, [1, 2, 3, 4, 5]);
    const batches = subscriptionBatches<number>(source, 3, new AbortController().signal);

    expect((await batches.next()).value).toEqual([1, 2, 3]);
    expect((await batches.next()).value).toEqual([4, 5]);
    await batches.return();
  });

  test('does not wait for a full batch, and waits for the next item when none is buffered', async () => {
    const source = objects();
    writeAll(source, [1, 2]);
    const batches = subscriptionBatches<number>(source, 100, new AbortController().signal);

    expect((await batches.next()).value).toEqual([1, 2]);
    const next = batches.next();
    setImmediate(() => writeAll(source, [3]));
    expect((await next).value).toEqual([3]);
    await batches.return();
  });

  test('ends when the source ends, after its last items', async () => {
    const source = objects();
    writeAll(source, [1, 2]);
    source.end();
    const received: number[][] = [];
    for await (const batch of subscriptionBatches<number>(
      source,
      10,
      new AbortController().signal,
    )) {
      received.push(batch);
    }
    expect(received).toEqual([[1, 2]]);
  });

  test('delivers the items received before a failure, then throws it', async () => {
    const source = objects();
    const failure = new Error('connection reset');
    writeAll(source, [1, 2]);
    const batches = subscriptionBatches<number>(source, 10, new AbortController().signal);
    expect((await batches.next()).value).toEqual([1, 2]);

    writeAll(source, [3]);
    // The client's subscription emits 'error' without ending, as here.
    source.emit('error', failure);
    expect((await batches.next()).value).toEqual([3]);
    await expect(batches.next()).rejects.toBe(failure);
  });

  test('an error while waiting is thrown at once', async () => {
    const source = objects();
    const failure = new Error('deadline exceeded');
    const batches = subscriptionBatches<number>(source, 10, new AbortController().signal);
    const next = batches.next();
    setImmediate(() => source.emit('error', failure));
    await expect(next).rejects.toBe(failure);
  });

  test('aborting ends the batches while waiting, and releases the source', async () => {
    const source = objects();
    const abort = new AbortController();
    const batches = subscriptionBatches<number>(source, 10, abort.signal);
    const next = batches.next();
    setImmediate(() => abort.abort());

    expect(await next).toEqual({ done: true, value: undefined });
    expect(source.listenerCount('error')).toBe(0);
    expect(source.listenerCount('readable')).toBe(0);
  });

  test('an aborted signal hands over nothing, even with items buffered', async () => {
    const source = objects();
    writeAll(source, [1]);
    const abort = new AbortController();
    abort.abort();
    const received: number[][] = [];
    for await (const batch of subscriptionBatches<number>(source, 10, abort.signal))
      received.push(batch);
    expect(received).toEqual([]);
  });
});
