import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

/** An object-mode readable; the client's subscription types redeclare Readable's events. */
export type BatchSource = EventEmitter & Pick<Readable, 'read' | 'readableEnded' | 'destroyed'>;

/**
 * Turns an object-mode readable (the client's subscription) into batches: each batch is what is
 * already buffered, up to `batchSize`, handed over without waiting for more. Ends when the source
 * ends or `signal` aborts; throws the source's error once the items received before it are out.
 *
 * The client's subscription reports a failure with an 'error' event but does not end itself, so
 * the error is remembered here rather than waited for as the end of the stream.
 */
export async function* subscriptionBatches<Item>(
  source: BatchSource,
  batchSize: number,
  signal: AbortSignal,
): AsyncGenerator<Item[], void, undefined> {
  let failure: { readonly error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };

  source.on('readable', notify);
  source.on('error', onError);
  source.on('end', onEnd);
  source.on('close', onEnd);
  signal.addEventListener('abort', notify);
  try {
    while (!signal.aborted) {
      const batch: Item[] = [];
      while (batch.length < batchSize) {
        const item: unknown = source.read();
        if (item === null) break;
        batch.push(item as Item);
      }
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (failure !== undefined) throw failure.error;
      if (ended || source.readableEnded || source.destroyed) return;
      // read() returned nothing, so the stream emits 'readable' as soon as something arrives.
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    source.off('readable', notify);
    source.off('error', onError);
    source.off('end', onEnd);
    source.off('close', onEnd);
    signal.removeEventListener('abort', notify);
  }
}
