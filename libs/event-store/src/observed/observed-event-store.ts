import type { EventStore } from '../port/event-store.js';
import {
  EventIdConflictError,
  EventStoreUnavailableError,
  ExpectedVersionConflictError,
  FencedAppendError,
} from '../port/errors.js';

/** Told of every append's outcome; must not throw, and must stay cheap (it runs per append). */
export interface AppendObserver {
  appended(events: number, seconds: number): void;
  appendFailed(kind: 'conflict' | 'fenced' | 'unavailable' | 'other', seconds: number): void;
}

/**
 * The store, with each append's latency, size and failure reported to `observer` (a service's
 * metrics). Everything else passes through untouched.
 */
export function observedEventStore(store: EventStore, observer: AppendObserver): EventStore {
  // The port types every method: a decorator that restated the signatures would only repeat them.
  return {
    async appendToStream(streamId, events, options) {
      const started = performance.now();
      try {
        const result = await store.appendToStream(streamId, events, options);
        observer.appended(events.length, (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        observer.appendFailed(appendErrorKind(error), (performance.now() - started) / 1000);
        throw error;
      }
    },
    readStream: (streamId, options) => store.readStream(streamId, options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    close: () => store.close(),
  };
}

function appendErrorKind(error: unknown): 'conflict' | 'fenced' | 'unavailable' | 'other' {
  if (error instanceof ExpectedVersionConflictError || error instanceof EventIdConflictError)
    return 'conflict';
  if (error instanceof FencedAppendError) return 'fenced';
  if (error instanceof EventStoreUnavailableError) return 'unavailable';
  return 'other';
}
